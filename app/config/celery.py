import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The task modules: their names are the contract between releases (config/celery_contract.py).
app.conf.include = ["config.tasks"]

# Workers and beat announce their release when ready (the deploy gate reads it from the logs).
from config import release  # noqa: E402,F401
