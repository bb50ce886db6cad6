"""The Celery app. `celery -A apis worker` / `celery -A apis beat` find it via apis/__init__.py."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")

app = Celery("apis")
# Every Django setting whose name starts with CELERY_ configures Celery
# (CELERY_BROKER_URL -> broker_url, CELERY_BEAT_SCHEDULE -> beat_schedule, ...).
app.config_from_object("django.conf:settings", namespace="CELERY")
# Find tasks.py in every installed Django app (apis/market/tasks.py).
app.autodiscover_tasks()
