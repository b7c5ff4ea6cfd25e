from django.http import HttpResponse
from django.urls import path

from config.celery_health import celery_health

urlpatterns = [
    path("health/", lambda request: HttpResponse("ok")),
    path("health/celery/", celery_health),
]
