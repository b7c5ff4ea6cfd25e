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
