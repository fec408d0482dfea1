"""WSGI entry point of the django-helpdesk bench project (gunicorn, bench/helpdesk/load.sh)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")

application = get_wsgi_application()
