"""The stand-in app's canary view (/canary/), with Django, Celery and redis replaced by stubs (none is
installed here): a worker answering, each broken link (enqueue, delivery, result), beat's heartbeat."""
import json
import os
import sys
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "app"))


class Response:
    def __init__(self, content, status=200):
        self.content, self.status_code = content, status


http = types.ModuleType("django.http")
http.JsonResponse = lambda data, status=200: Response(json.dumps(data), status)
exceptions = types.ModuleType("celery.exceptions")


class ResultTimeout(Exception):
    pass


exceptions.TimeoutError = ResultTimeout
sys.modules.update({"django": types.ModuleType("django"), "django.http": http, "celery": types.ModuleType("celery"), "celery.exceptions": exceptions})


class Result:
    def __init__(self, app):
        self.app = app

    def get(self, timeout):
        if self.app.outcome == "ok":
            return {"release": "sha256:new", "worker": "celery@w1"}
        if self.app.outcome == "task failed":
            raise RuntimeError("canary raised")
        raise ResultTimeout()

    @property
    def state(self):
        return self.app.state


class App:
    outcome, state, broker_down, sent = "ok", "PENDING", False, []

    def send_task(self, name, **options):
        if self.broker_down:
            raise ConnectionRefusedError("Error 111 connecting to srv-captain--broker:6379. Connection refused.")
        App.sent.append((name, options))
        return Result(self)

    def task(self, **_options):
        return lambda f: f


celery_module = types.ModuleType("config.celery")
celery_module.app = App()
sys.modules["config.celery"] = celery_module
os.environ["SITE_RELEASE"] = "sha256:webnew"

from config import canary, tasks  # noqa: E402

HEARTBEAT = {"value": None}
tasks.read_heartbeat = lambda: HEARTBEAT["value"]
canary.read_heartbeat = tasks.read_heartbeat


def ask():
    response = canary.canary(None)
    return response.status_code, json.loads(response.content)


class Canary(unittest.TestCase):
    def setUp(self):
        App.outcome, App.state, App.broker_down, App.sent = "ok", "PENDING", False, []
        HEARTBEAT["value"] = None

    def test_a_worker_answers_with_its_release_and_beat_age(self):
        HEARTBEAT["value"] = {"at": 1000.0, "release": "sha256:beat"}
        canary.time = types.SimpleNamespace(time=lambda: 1012.34)
        status, body = ask()
        self.assertEqual(status, 200)
        self.assertEqual(body, {"web_release": "sha256:webnew", "link": "ok", "release": "sha256:new", "worker": "celery@w1", "beat": {"age_s": 12.3, "release": "sha256:beat"}})
        # Sent by name to the default queue, never retried into the broker's outage, and dropped once stale.
        self.assertEqual(App.sent, [("site.canary", {"queue": "default", "expires": 60.0, "retry": False})])

    def test_no_heartbeat_yet_is_null(self):
        self.assertIsNone(ask()[1]["beat"])

    def test_enqueue_broken(self):
        App.broker_down = True
        status, body = ask()
        self.assertEqual((status, body["link"]), (503, "enqueue"))
        self.assertIn("Connection refused", body["error"])
        self.assertEqual(body["web_release"], "sha256:webnew")

    def test_delivery_broken_when_nobody_took_it(self):
        App.outcome = "timeout"
        status, body = ask()
        self.assertEqual((status, body["link"]), (503, "delivery"))
        self.assertIn("no worker took the canary within 5 s", body["error"])

    def test_result_broken_when_taken_but_no_result(self):
        App.outcome, App.state = "timeout", "STARTED"
        status, body = ask()
        self.assertEqual((status, body["link"]), (503, "result"))
        self.assertIn("state STARTED", body["error"])

    def test_result_broken_when_the_task_fails(self):
        App.outcome = "task failed"
        status, body = ask()
        self.assertEqual((status, body["link"]), (503, "result"))
        self.assertIn("RuntimeError: canary raised", body["error"])


if __name__ == "__main__":
    unittest.main()
