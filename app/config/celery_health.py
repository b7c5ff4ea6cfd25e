"""Celery's health, served by the web container at /health/celery/ (config/topology.ts CELERY_HEALTH_PATH).

Workers answering a ping make it healthy (200); none answering, or a broker that cannot be reached,
answers 503, so a deploy gate can wait on it. `?format=prometheus` answers the same as metrics, always
200 so Prometheus records zero workers instead of a failed scrape: celery_workers_answering and
celery_queue_length per queue.
"""
from django.http import HttpResponse, JsonResponse

from config.celery import app

QUEUES = ("default", "notifications", "heavy")
PING_TIMEOUT_SECONDS = 2.0


def workers_answering():
    """Names of the workers that answered a ping within the timeout."""
    replies = app.control.ping(timeout=PING_TIMEOUT_SECONDS) or []
    return sorted(name for reply in replies for name in reply)


def queue_depths():
    """Messages waiting per queue; empty when the broker cannot tell."""
    try:
        with app.connection_for_read() as connection:
            channel = connection.default_channel
            return {queue: channel.queue_declare(queue=queue, passive=True).message_count for queue in QUEUES}
    except Exception:
        return {}


def metrics(workers, depths):
    lines = [
        "# HELP celery_workers_answering Celery workers that answered a ping.",
        "# TYPE celery_workers_answering gauge",
        f"celery_workers_answering {len(workers)}",
        "# HELP celery_queue_length Messages waiting in a Celery queue.",
        "# TYPE celery_queue_length gauge",
    ]
    lines += [f'celery_queue_length{{queue="{queue}"}} {depth}' for queue, depth in sorted(depths.items())]
    return "\n".join(lines) + "\n"


def celery_health(request):
    error = None
    try:
        workers = workers_answering()
    except Exception as exc:  # the broker is down: no worker can answer
        workers, error = [], type(exc).__name__
    depths = queue_depths()
    if request.GET.get("format") == "prometheus":
        return HttpResponse(metrics(workers, depths), content_type="text/plain; version=0.0.4")
    body = {"healthy": bool(workers), "workers": workers, "queues": depths}
    if error:
        body["error"] = error
    return JsonResponse(body, status=200 if workers else 503)
