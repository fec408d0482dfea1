import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from supportdesk.redaction import redact_handlers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")

app = Celery("supportdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_worker_logs(logger: logging.Logger, **_: object) -> None:
    """The worker and beat set up their own log handlers; they redact like the web's."""
    redact_handlers(logger)
