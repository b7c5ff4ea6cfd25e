"""The stand-in app's Celery health endpoint, with Django and Celery replaced by stubs (neither is
installed here): workers answering or not, the broker down, and the Prometheus format."""
import json
import os
import sys
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "app"))


class Response:
    def __init__(self, content, status=200, content_type="text/html"):
        self.content, self.status_code, self.content_type = content, status, content_type


http = types.ModuleType("django.http")
http.HttpResponse = lambda content, content_type="text/html": Response(content, 200, content_type)
http.JsonResponse = lambda data, status=200: Response(json.dumps(data), status, "application/json")
sys.modules.update({"django": types.ModuleType("django"), "django.http": http})


class Queue:
    def __init__(self, count):
        self.message_count = count


class Broker:
    def __init__(self, app):
        self.app = app

    def __enter__(self):
        if self.app.broker_down:
            raise ConnectionRefusedError()
        return self

    def __exit__(self, *exc):
        return False

    @property
    def default_channel(self):
        return self

    def queue_declare(self, queue, passive):
        return Queue(self.app.depths[queue])


class App:
    replies, broker_down, depths = [], False, {"default": 3, "notifications": 0, "heavy": 1}

    @property
    def control(self):
        return self

    def ping(self, timeout):
        if self.broker_down:
            raise ConnectionRefusedError()
        return self.replies

    def connection_for_read(self):
        return Broker(self)


celery_module = types.ModuleType("config.celery")
celery_module.app = App()
sys.modules["config.celery"] = celery_module

from config import celery_health  # noqa: E402


class Request:
    def __init__(self, **query):
        self.GET = query


class CeleryHealth(unittest.TestCase):
    def setUp(self):
        App.replies, App.broker_down = [], False

    def test_healthy_when_workers_answer(self):
        App.replies = [{"celery@b": {"ok": "pong"}}, {"celery@a": {"ok": "pong"}}]
        response = celery_health.celery_health(Request())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(json.loads(response.content), {"healthy": True, "workers": ["celery@a", "celery@b"], "queues": {"default": 3, "notifications": 0, "heavy": 1}})

    def test_unhealthy_when_no_worker_answers(self):
        response = celery_health.celery_health(Request())
        self.assertEqual(response.status_code, 503)
        self.assertEqual(json.loads(response.content)["workers"], [])

    def test_unhealthy_naming_the_cause_when_the_broker_is_down(self):
        App.broker_down = True
        response = celery_health.celery_health(Request())
        self.assertEqual(response.status_code, 503)
        self.assertEqual(json.loads(response.content), {"healthy": False, "workers": [], "queues": {}, "error": "ConnectionRefusedError"})

    def test_prometheus_format_answers_200_with_the_counts(self):
        App.replies = [{"celery@a": {"ok": "pong"}}]
        response = celery_health.celery_health(Request(format="prometheus"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("celery_workers_answering 1\n", response.content)
        self.assertIn('celery_queue_length{queue="default"} 3\n', response.content)
        App.replies = []
        self.assertIn("celery_workers_answering 0\n", celery_health.celery_health(Request(format="prometheus")).content)


if __name__ == "__main__":
    unittest.main()
