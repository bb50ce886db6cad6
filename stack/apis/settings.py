"""Django settings. Everything that differs between machines comes from the environment
(the compose file's `env_file: .env` and `environment:`)."""
import os
from datetime import timedelta


def env(name, default=None):
    return os.environ.get(name, default)


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-not-secret")
DEBUG = env("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = ["*"]  # a course stack, published on 127.0.0.1 only

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "apis.market",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "apis.urls"
ASGI_APPLICATION = "apis.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Postgres: "db" is the compose service name, resolved by Docker's DNS.
# The port is always 5432 inside the network; DB_PORT in .env is only the host side.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": env("POSTGRES_DB", "cryphos"),
        "USER": env("POSTGRES_USER", "cryphos_user"),
        "PASSWORD": env("DB_PASSWORD") or env("POSTGRES_PASSWORD", ""),
        "HOST": env("DB_HOST", "db"),
        "PORT": "5432",
        "CONNECT_TIMEOUT": 5,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "static/"
STATIC_ROOT = "/app/staticfiles"  # `python manage.py collectstatic` writes here

# Redis database 0: Celery's broker and results, and the tg bot's queue.
REDIS_URL = env("REDIS_URL", "redis://redis:6379/0")
# Redis database 1: where the collectors push their records.
COLLECTOR_REDIS_URL = env("COLLECTOR_REDIS_URL", "redis://redis:6379/1")

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = timedelta(hours=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# What celery-beat sends, and how often.
CELERY_BEAT_SCHEDULE = {
    "move-collected-data": {
        "task": "apis.market.tasks.move_collected_data",
        "schedule": timedelta(seconds=5),
    },
    "enqueue-tg-update": {
        "task": "apis.market.tasks.enqueue_tg_update",
        "schedule": timedelta(seconds=10),
    },
}

# Seconds the tg bot needs for one update.
TG_UPDATE_SECONDS = float(env("TG_UPDATE_SECONDS", "5"))

# Log to stdout, so `docker logs` shows it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
