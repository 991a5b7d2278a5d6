"""WSGI entry point (gunicorn results_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "results_portal.settings.production")

application = get_wsgi_application()
