"""Readiness without HTTP: workers and beat log `SITE_RELEASE=<release> ready` once they run.

The deploy gate reads CapRover's app logs (docker service logs of every task) for this line, so a
worker that crashes on start, or the old container, never passes it.
"""
import logging
import os

from celery.signals import beat_init, worker_ready

logger = logging.getLogger(__name__)


def _ready(**_kwargs):
    release = os.environ.get("SITE_RELEASE", "")
    if release:
        # Printed, not only logged: it must reach the container's stdout whatever the log config.
        print(f"SITE_RELEASE={release} ready", flush=True)


worker_ready.connect(_ready, weak=False)
beat_init.connect(_ready, weak=False)
