"""The Celery application. Workers and beat start with ``celery -A results_portal worker|beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "results_portal.settings.local")

app = Celery("results_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
