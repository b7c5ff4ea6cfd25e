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
USE_TZ = True
# Beat's schedule, declared here so the build can record it (config/celery_contract.py): the
# DatabaseScheduler copies these entries into its tables, where they keep sending their task.
CELERY_BEAT_SCHEDULE = {
    "nightly-sitemap": {"task": "pages.tasks.rebuild_sitemap", "schedule": 24 * 3600.0},
    "daily-digest": {"task": "notifications.tasks.send_digest", "schedule": 24 * 3600.0},
}
