"""Minimal settings of the stand-in app: enough for gunicorn, celery and the health path."""
import os

SECRET_KEY = os.environ.get("SECRET_KEY", "stand-in-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "config.urls"
INSTALLED_APPS = ["django_celery_beat", "standin"]
# DATABASE_PATH: where the release task and the apps share one SQLite file (a volume); by default a
# file of each container's own, which the image build migrates.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("DATABASE_PATH", "/tmp/db.sqlite3")}}
CELERY_BROKER_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
# STANDIN_BROKER_DB (a stand-in knob, like STANDIN_MIGRATION_FAIL): this container uses another
# database of the same redis, so a worker given it starts and announces its release but never
# receives what web sends (the canary's "delivery" link, broken on purpose by the real-server tier).
if os.environ.get("STANDIN_BROKER_DB") and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_URL = CELERY_BROKER_URL.rsplit("/", 1)[0] + "/" + os.environ["STANDIN_BROKER_DB"]
# Results (the canary's answer, config/canary.py) come back through the same redis; an in-process
# broker (memory://) has nowhere to keep them.
CELERY_RESULT_BACKEND = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else None
CELERY_RESULT_EXPIRES = 3600
USE_TZ = True
# One time zone for Django and Celery: django-celery-beat's interval entries compare times taken in
# both (celery/django-celery-beat#67, #227), and Django's default is America/Chicago beside Celery's UTC.
TIME_ZONE = "UTC"
CELERY_TIMEZONE = TIME_ZONE
# The queue a task goes to when nobody names one (beat's entries, the site's .delay() calls): one the
# workers consume (-Q default,notifications,heavy), not Celery's own default, "celery".
CELERY_TASK_DEFAULT_QUEUE = "default"
# Beat's schedule, declared here so the build can record it (config/celery_contract.py): the
# DatabaseScheduler copies these entries into its tables, where they keep sending their task.
CELERY_BEAT_SCHEDULE = {
    "nightly-sitemap": {"task": "pages.tasks.rebuild_sitemap", "schedule": 24 * 3600.0},
    "daily-digest": {"task": "notifications.tasks.send_digest", "schedule": 24 * 3600.0},
    # Beat's heartbeat (config/tasks.py): the canary reports its age, and the deploy fails when it
    # is stale. It carries the release of the beat that sent it.
    "site-heartbeat": {
        "task": "site.heartbeat",
        "schedule": float(os.environ.get("SITE_HEARTBEAT_SECONDS", "30")),
        "kwargs": {"beat_release": os.environ.get("SITE_RELEASE", "")},
    },
}
# Drain (site:celeryTaskTimeLimit): the workers get CELERY_TASK_TIME_LIMIT, the longest a task may
# run, and Docker waits that plus a margin for their warm shutdown before it kills them. A task is
# acknowledged once it ends, and given back to the broker if its worker dies under it, so one
# killed mid-deploy is run again rather than lost. Without the variable (web, beat), no limit.
CELERY_TASK_TIME_LIMIT = int(os.environ["CELERY_TASK_TIME_LIMIT"]) if os.environ.get("CELERY_TASK_TIME_LIMIT") else None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
