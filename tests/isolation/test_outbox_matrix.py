"""The outbox × every staff role: list, change page, search, history and the retry action,
with a password-reset mail, a closure email (survey link, reply token) and a failed
message in it. Only managers and superusers get in; nobody reads a secret; a refused
request changes nothing, and a permitted retry changes only the message retried."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases import services
from notifications.models import Notification
from notifications.reply_tokens import make_reply_token
from notifications.tasks import send_pending_notifications
from tenants.roles import Role
from tests.cases.helpers import taken
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("engineer", "triage_lead", "security", "manager", "superuser")
READERS = {"manager", "superuser"}
CHANGELIST = reverse("admin:notifications_notification_changelist")


def _user(cast, role: str):
    if role == "security":
        return UserFactory(username="sam@support.test", roles=[Role.SECURITY])
    if role == "superuser":
        return UserFactory(username="root@support.test", is_staff=True, is_superuser=True)
    return getattr(cast, role)


@pytest.fixture
def outbox(cast, settings) -> dict:
    """An outbox holding every kind of secret, one message of it failed; and the secrets."""
    settings.EMAIL_BACKEND = "notifications.backends.OutboxEmailBackend"
    Client().post(reverse("portal:password_reset"), {"email": cast.contact_a.email})
    send_pending_notifications()
    reset_link = re.search(r"https?://\S+/password-reset/\S+/", mail.outbox[0].body).group(0)
    case = taken(cast, "Invoices export fails")
    services.case_close(case_id=case.id, actor=cast.engineer, reason="duplicate", note="Dup.")
    case.refresh_from_db()
    closure = Notification.objects.get(event="case.closed", recipient=cast.contact_a.email)
    Notification.objects.filter(id=closure.id).update(
        status=Notification.Status.FAILED, attempts=48, last_error=f"550 refused {reset_link}"
    )
    # The link the closure email carries: one made now would differ in its signature's
    # timestamp, and the checks below would pass without looking for the real secret.
    survey = closure.payload.open()["context"]["survey_url"]
    return {
        "case": case,
        "failed": closure,
        "secrets": [
            reset_link.rstrip("/").rsplit("/", 1)[-1],
            survey.rstrip("/").rsplit("/", 1)[-1],
            make_reply_token(case.id),
        ],
    }


def _state() -> list[tuple]:
    return list(
        Notification.objects.order_by("id").values_list(
            "id", "status", "attempts", "last_error", "next_attempt_at", "payload", "sent_at"
        )
    )


def _cells(outbox: dict) -> dict[str, tuple[str, str, dict]]:
    failed = outbox["failed"]
    return {
        "list": ("get", CHANGELIST, {}),
        "search by case": ("get", CHANGELIST, {"q": outbox["case"].reference}),
        "search by recipient": ("get", CHANGELIST, {"q": failed.recipient}),
        "filter by status": ("get", CHANGELIST, {"status__exact": "failed"}),
        "change page": (
            "get",
            reverse("admin:notifications_notification_change", args=[failed.id]),
            {},
        ),
        "history": (
            "get",
            reverse("admin:notifications_notification_history", args=[failed.id]),
            {},
        ),
        "index": ("get", reverse("admin:index"), {}),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "cell",
    [
        "list",
        "search by case",
        "search by recipient",
        "filter by status",
        "change page",
        "history",
        "index",
    ],
)
def test_outbox_page_by_role_shows_no_secret_and_changes_nothing(client, cast, outbox, role, cell):
    client.login(username=_user(cast, role).username, password=PASSWORD)
    method, url, data = _cells(outbox)[cell]
    before = _state()
    response = getattr(client, method)(url, data)
    body = response.content.decode()
    if cell == "index":
        assert response.status_code == 200
        assert (CHANGELIST in body) is (role in READERS)
    else:
        assert response.status_code == (200 if role in READERS else 403)
    assert [secret for secret in outbox["secrets"] if secret in body] == []
    if role in READERS and cell == "change page":
        assert "[link redacted]" in body
        assert "550 refused [link redacted]" in body
    if role in READERS and cell.startswith("search"):
        assert response.context["cl"].result_count >= 1
    assert _state() == before


@pytest.mark.parametrize("role", ROLES)
def test_retry_action_by_role_is_refused_to_all_but_readers_and_shows_no_secret(
    client, cast, outbox, role
):
    client.login(username=_user(cast, role).username, password=PASSWORD)
    failed = outbox["failed"]
    before = _state()
    response = client.post(
        CHANGELIST, {"action": "retry", "_selected_action": [failed.id]}, follow=True
    )
    body = response.content.decode()
    assert [secret for secret in outbox["secrets"] if secret in body] == []
    after = _state()
    if role not in READERS:
        assert response.status_code == 403
        assert after == before
        return
    assert response.status_code == 200
    assert "Messages queued to be sent again: 1." in body
    assert [row for row in after if row[0] != failed.id] == [
        row for row in before if row[0] != failed.id
    ]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Notification.Status.PENDING, 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("action", "done", "status"),
    [
        ("mark_delivered", "Messages marked delivered: 1.", Notification.Status.SENT),
        (
            "resend_now",
            "Messages queued to be sent again (possible duplicates): 1.",
            Notification.Status.PENDING,
        ),
    ],
)
def test_unknown_outcome_actions_by_role_are_the_readers_alone_and_show_no_secret(
    client, cast, outbox, role, action, done, status, django_capture_on_commit_callbacks
):
    client.login(username=_user(cast, role).username, password=PASSWORD)
    unknown = outbox["failed"]
    Notification.objects.filter(id=unknown.id).update(status=Notification.Status.SENT_UNKNOWN)
    before = _state()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            CHANGELIST, {"action": action, "_selected_action": [unknown.id]}, follow=True
        )
    body = response.content.decode()
    assert [secret for secret in outbox["secrets"] if secret in body] == []
    after = _state()
    if role not in READERS:
        assert response.status_code == 403
        assert after == before
        return
    assert response.status_code == 200
    assert done in body
    assert [row for row in after if row[0] != unknown.id] == [
        row for row in before if row[0] != unknown.id
    ]
    unknown.refresh_from_db()
    assert unknown.status == status
