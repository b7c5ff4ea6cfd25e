"""The stand-in app's Celery tasks: a few names like the real site's, so the task-name contract
(config/celery_contract.py) has something to record and the preview something to compare; and the
deploy's own two: the canary (config/canary.py) and beat's heartbeat."""
import json
import os
import time

from config.celery import app

# The name web sends the canary by (the decorator below registers it; the contract reads names there).
CANARY_TASK = "site.canary"
# Where the heartbeat is kept: the broker's redis, one key (no table, no migration).
HEARTBEAT_KEY = "site:beat-heartbeat"


@app.task(name="pages.tasks.rebuild_sitemap")
def rebuild_sitemap():
    return "sitemap rebuilt"


@app.task(name="notifications.tasks.send_digest")
def send_digest():
    return "digest sent"


@app.task(name="pages.tasks.clear_expired_sessions")
def clear_expired_sessions():
    return "sessions cleared"


# track_started: the canary can tell a task nobody took (PENDING) from one whose result was lost.
@app.task(name="site.canary", bind=True, track_started=True)
def canary(self):
    """Answers with the release of the worker running it: the gate passes only for the new one."""
    return {"release": os.environ.get("SITE_RELEASE", ""), "worker": self.request.hostname or ""}


@app.task(name="standin.tasks.hold", bind=True)
def hold(self, seconds, token):
    """A task that runs `seconds` (the drain's proof on the real server: a worker deploy starts while
    it runs), marking in the broker's redis on which worker it started and ended, and when it ended."""
    client = _redis()
    client.set(f"standin:hold:{token}:started", self.request.hostname or "")
    time.sleep(float(seconds))
    client.set(f"standin:hold:{token}:done", f"{self.request.hostname or ''} {time.time():.3f}")


def _redis():
    import redis  # noqa: PLC0415 (only where a redis broker is configured)

    url = os.environ.get("REDIS_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        return None
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@app.task(name="site.heartbeat", ignore_result=True)
def heartbeat(beat_release=""):
    """Sent by beat on its schedule, run by a worker: when it last ran, and which beat sent it."""
    client = _redis()
    if client is not None:
        client.set(HEARTBEAT_KEY, json.dumps({"at": time.time(), "release": beat_release}))


def read_heartbeat():
    """The last heartbeat ({"at": epoch seconds, "release": beat's}), or None."""
    client = _redis()
    raw = client.get(HEARTBEAT_KEY) if client is not None else None
    return json.loads(raw) if raw else None
