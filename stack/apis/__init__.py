"""The `apis` package: the Django project, its apps, the Celery app and the collectors.

It lives in /app/apis, so `import apis` needs /app on sys.path: that is why the compose
file sets PYTHONPATH=/app (the containers' working directory is /app/apis itself).
"""
import os
import sys

# The working directory /app/apis is also this package's folder, and Python (for
# `python manage.py ...`, `python -c`, `python -m`) and daphne put it first on sys.path.
# From there our own celery.py would be found as the top-level module "celery" and hide
# the Celery library ("cannot import name 'Celery' from partially initialized module").
# We import everything as `apis.<module>`, so take this folder off sys.path.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]

# The usual Django + Celery wiring: load the Celery app whenever Django loads,
# so that @shared_task functions use it.
from .celery import app as celery_app  # noqa: E402 - only once the sys.path fix above has run

__all__ = ("celery_app",)
