import pytest

from tests.mailserver import SmtpSink


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on 127.0.0.1 that the outbox delivers to."""
    sink = SmtpSink().start()
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    yield sink
    sink.stop()


@pytest.fixture
def published(monkeypatch):
    """The ids handed to the broker on commit (the broker itself is not involved)."""
    from notifications.tasks import send_notification

    ids: list[int] = []
    monkeypatch.setattr(
        send_notification, "apply_async", lambda args, **options: ids.append(args[0])
    )
    return ids
