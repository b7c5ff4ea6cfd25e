import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Workers and beat announce their release when ready (the deploy gate reads it from the logs).
from config import release  # noqa: E402,F401
