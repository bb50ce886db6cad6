"""The ASGI application that daphne serves: `daphne apis.asgi:application`."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apis.settings")

application = get_asgi_application()
