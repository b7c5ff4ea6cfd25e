from django.urls import path

from config.canary import canary
from config.celery_health import celery_health
from config.health import health

urlpatterns = [
    path("health/", health),
    path("health/celery/", celery_health),
    path("canary/", canary),
]
