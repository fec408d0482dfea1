import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
django_application = get_asgi_application()

# After Django is set up: the limit reads the settings and the API's error body.
from supportdesk.uploads import AsgiBodyLimit  # noqa: E402

application = AsgiBodyLimit(django_application)
