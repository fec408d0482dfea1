"""Finding 1 of the trust review: secrets in the outbox.

An anonymous visitor asks for the superuser's password reset; the reset link then waited
in the outbox where every staff role could read it (list, change page, search) and take
the account over. No reset link, survey link or reply token may be readable by anyone
after it is made: not in the admin, the database, the logs or the API."""

import logging
import re
from urllib.parse import quote

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from cases import services
from cases.notify import survey_url
from cases.survey_links import SURVEY_SALT
from notifications.models import Notification
from notifications.reply_tokens import make_reply_token
from notifications.tasks import send_pending_notifications
from tenants.roles import Role
from tests.cases.helpers import taken
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OUTBOX = "notifications.backends.OutboxEmailBackend"
CHANGELIST = "admin:notifications_notification_changelist"
MAY_READ_THE_OUTBOX = {"manager", "superuser"}
ROLES = ("engineer", "triage_lead", "security", "manager", "superuser")


@pytest.fixture
def staff(cast) -> dict:
    return {
        "engineer": cast.engineer,
        "triage_lead": cast.triage_lead,
        "manager": cast.manager,
        "security": UserFactory(username="sam@support.test", roles=[Role.SECURITY]),
        "superuser": UserFactory(username="root@support.test", is_staff=True, is_superuser=True),
    }


def _raw_outbox_rows() -> str:
    """Every column of every outbox row as the database holds it (a backup, a replica)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Notification._meta.db_table}")  # noqa: S608
        return repr(cursor.fetchall())


def _pages(client: Client, row: Notification) -> dict[str, object]:
    """Every way the admin shows the outbox: the list, a search and a filter, the change
    page, the history page, the index."""
    changelist = reverse(CHANGELIST)
    urls = [
        changelist,
        f"{changelist}?q={quote(row.recipient)}",
        f"{changelist}?status__exact={row.status}",
        reverse("admin:notifications_notification_change", args=[row.id]),
        reverse("admin:notifications_notification_history", args=[row.id]),
        reverse("admin:index"),
        reverse("admin:app_list", args=["notifications"]),
    ]
    return {url: client.get(url) for url in urls}


def _found_by_searching(client: Client, secret: str) -> int:
    """How many outbox rows a search for the secret finds (the page echoes the query, so
    its body proves nothing): a search must not be an oracle for what a message says."""
    response = client.get(reverse(CHANGELIST), {"q": secret})
    return response.context["cl"].result_count if response.status_code == 200 else 0


def _reset_link(body: str) -> str:
    return re.search(r"https?://\S+(/password-reset/[^/\s]+/[^/\s]+/)", body).group(1)


@pytest.mark.parametrize("role", ROLES)
def test_no_staff_role_can_read_a_superusers_reset_link_from_the_outbox(
    client, cast, staff, settings, caplog, role
):
    settings.EMAIL_BACKEND = OUTBOX
    caplog.set_level(logging.DEBUG)
    root = staff["superuser"]
    client.login(username=staff[role].username, password=PASSWORD)
    anonymous = Client()
    anonymous.post(reverse("portal:password_reset"), {"email": root.email})
    row = Notification.objects.get(recipient=root.email)

    # Read the outbox while the message waits, and again once it was sent.
    waiting = _pages(client, row)
    send_pending_notifications()
    (sent,) = mail.outbox
    link = _reset_link(sent.body)
    token = link.strip("/").rsplit("/", 1)[-1]
    row.refresh_from_db()
    after = _pages(client, row)

    pages = [*waiting.items(), *after.items()]
    assert [url for url, response in pages if token in response.content.decode()] == []
    for url, response in pages:
        if url.startswith(reverse(CHANGELIST)) and "/history/" not in url:
            expected = 200 if role in MAY_READ_THE_OUTBOX else 403
            assert response.status_code == expected, url
    assert _found_by_searching(client, token) == _found_by_searching(client, link) == 0
    assert token not in _raw_outbox_rows()
    assert token not in caplog.text
    assert row.status == Notification.Status.SENT
    # The mail itself still works: the owner of the address can set a new password.
    response = anonymous.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    new_password = "another-long-passphrase-2026"
    anonymous.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert anonymous.login(username=root.username, password=new_password)


def test_outbox_is_not_in_the_admin_index_for_roles_that_may_not_read_it(client, staff):
    for role, user in staff.items():
        client.login(username=user.username, password=PASSWORD)
        index = client.get(reverse("admin:index")).content.decode()
        assert (reverse(CHANGELIST) in index) is (role in MAY_READ_THE_OUTBOX), role


def _closed_case(cast):
    case = taken(cast)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Please try again.")
    services.case_close(case_id=case.id, actor=cast.engineer, reason="duplicate", note="Dup.")
    case.refresh_from_db()
    return case


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_survey_link_and_reply_token_are_sealed_at_rest_and_redacted_for_managers(
    client, cast, staff
):
    case = _closed_case(cast)
    reply_token = make_reply_token(case.id)
    closure = Notification.objects.get(event="case.closed", recipient="ann@acme.test")
    # The link the closure email carries, made when the case closed. A link made now for
    # the same survey differs in its signature's timestamp, so compare what it says.
    survey = closure.payload.open()["context"]["survey_url"]
    survey_token = _token(survey)
    assert signing.loads(survey_token, salt=SURVEY_SALT) == signing.loads(
        _token(survey_url(case)), salt=SURVEY_SALT
    )
    raw = _raw_outbox_rows()
    assert survey_token not in raw
    assert reply_token not in raw

    client.login(username=staff["manager"].username, password=PASSWORD)
    page = client.get(reverse("admin:notifications_notification_change", args=[closure.id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Case ACME-00001 is now closed" in body  # the manager sees what was said
    assert "[link redacted]" in body
    assert survey_token not in body
    assert reply_token not in body
    listing = client.get(reverse(CHANGELIST), {"q": case.reference}).content.decode()
    assert "case.closed" in listing  # searching by case still finds its mail
    assert survey_token not in listing

    send_pending_notifications()
    closure_mail = next(m for m in mail.outbox if m.to == ["ann@acme.test"] and survey in m.body)
    assert reply_token in closure_mail.reply_to[0]


def test_no_api_operation_returns_outbox_rows():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert [path for path in schema["paths"] if "outbox" in path or "notification" in path] == []
    outbox_fields = {"payload", "dedup_key", "reply_to", "last_error"}
    exposing = [
        name
        for name, component in schema["components"]["schemas"].items()
        if outbox_fields & set(component.get("properties", {}))
    ]
    assert exposing == []
