"""The canary through the broker, served by web at /canary/ (the deploy's last gate: the provider's
caprover:index:Canary asks it once web and the workers of a release are up).

It sends the canary task through the broker and waits for the answer of the worker that ran it, so
one request proves the whole path a real task takes: web enqueues, the broker delivers, a worker
runs it and the result comes back. It answers JSON naming this container's release (`web_release`),
and either 200 with the release and node name of the worker that answered (the gate passes only for
a worker of the new release) and the age of beat's last heartbeat, or 503 naming the link that
broke: `enqueue` (web could not send to the broker), `delivery` (no worker took the task within the
wait), `result` (a worker took it; no result came back).
"""
import os
import time

from celery.exceptions import TimeoutError as ResultTimeout
from django.http import JsonResponse

from config.celery import app
from config.tasks import CANARY_TASK, read_heartbeat

# Below the gate's request timeout and gunicorn's worker timeout (30 s): the gate asks again.
CANARY_WAIT_SECONDS = 5.0
# A canary nobody took is dropped by the worker that finds it later, not run long after its gate.
CANARY_EXPIRES_SECONDS = 60.0


def _error(exc):
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def beat_age(now=None):
    """Seconds since beat's last heartbeat ran, or None when none was ever recorded (or it cannot be read)."""
    try:
        beat = read_heartbeat()
    except Exception:
        return None
    if beat is None:
        return None
    return {"age_s": round(max(0.0, (now or time.time()) - beat["at"]), 1), "release": beat.get("release", "")}


def canary(request):
    answer = {"web_release": os.environ.get("SITE_RELEASE", "")}
    try:
        result = app.send_task(CANARY_TASK, queue="default", expires=CANARY_EXPIRES_SECONDS, retry=False)
    except Exception as exc:  # the broker cannot be reached or refused the message
        return JsonResponse({**answer, "link": "enqueue", "error": _error(exc)}, status=503)
    try:
        reply = result.get(timeout=CANARY_WAIT_SECONDS)
    except ResultTimeout:
        try:
            state = result.state
        except Exception as exc:
            return JsonResponse({**answer, "link": "result", "error": f"the result backend cannot be read: {_error(exc)}"}, status=503)
        if state == "PENDING":
            return JsonResponse({**answer, "link": "delivery", "error": f"no worker took the canary within {CANARY_WAIT_SECONDS:g} s"}, status=503)
        return JsonResponse({**answer, "link": "result", "error": f"a worker took the canary (state {state}) but no result came back within {CANARY_WAIT_SECONDS:g} s"}, status=503)
    except Exception as exc:  # the task failed, or the result backend broke
        return JsonResponse({**answer, "link": "result", "error": _error(exc)}, status=503)
    return JsonResponse({**answer, "link": "ok", "release": reply.get("release", ""), "worker": reply.get("worker", ""), "beat": beat_age()})
