import pytest


@pytest.fixture
def published(monkeypatch):
    """The ids handed to the broker on commit (the broker itself is not involved)."""
    from notifications.tasks import send_notification

    ids: list[int] = []
    monkeypatch.setattr(
        send_notification, "apply_async", lambda args, **options: ids.append(args[0])
    )
    return ids
