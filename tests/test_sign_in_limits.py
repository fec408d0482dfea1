"""The doors to an account: sign-in lockout per address as well as per (user, address), and
password-reset requests limited per address and per email, with links on SITE_URL."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

RESET_DONE = "/password-reset/sent/"


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    settings.AXES_COOLOFF_TIME = 0.25  # 15 minutes


def _fail(client: Client, username: str, url: str | None = None) -> object:
    url = url or reverse("portal:sign_in")
    return client.post(url, {"username": username, "password": "Winter2026!"})


def test_spraying_one_password_over_many_users_locks_the_address_out(cast, throttled):
    client = Client()
    for n in range(5):
        assert _fail(client, f"user{n}@acme.test").status_code == 200
    locked = _fail(client, "user5@acme.test")
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "paused sign-in from your network after 6 attempts" in html
    # Even a right password, for an account nobody tried, waits for the cool-off.
    right = client.post(
        reverse("portal:sign_in"), {"username": cast.contact_a.username, "password": PASSWORD}
    )
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_address_lockout_is_for_that_address_only(cast, throttled):
    sprayer = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(6):
        _fail(sprayer, f"user{n}@acme.test")
    colleague = Client(REMOTE_ADDR="198.51.100.20")
    response = colleague.post(
        reverse("portal:sign_in"), {"username": cast.contact_a.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert colleague.session["_auth_user_id"] == str(cast.contact_a.pk)


def test_signing_in_to_an_own_account_does_not_clear_the_address_count(cast, throttled):
    client = Client()
    for n in range(5):
        _fail(client, f"user{n}@acme.test")
    own = client.post(
        reverse("portal:sign_in"), {"username": cast.contact_b.username, "password": PASSWORD}
    )
    assert own.status_code == 302
    client.post(reverse("portal:sign_out"))
    assert _fail(client, "user9@acme.test").status_code == 429


def test_the_admin_sign_in_counts_toward_the_address_limit_too(cast, throttled):
    client = Client()
    for n in range(3):
        _fail(client, f"user{n}@acme.test")
    for n in range(2):
        assert _fail(client, f"staff{n}@support.test", reverse("admin:login")).status_code == 200
    assert _fail(client, cast.engineer.username, reverse("admin:login")).status_code == 429


def test_one_user_name_still_locks_at_the_lower_per_user_limit(cast, throttled):
    client = Client()
    for _ in range(2):
        assert _fail(client, cast.contact_a.username).status_code == 200
    locked = _fail(client, cast.contact_a.username)
    assert locked.status_code == 429
    assert "paused sign-in for this account from your network after 3 attempts" in (
        locked.content.decode()
    )


@pytest.fixture
def reset_rates(settings):
    settings.PASSWORD_RESET_RATES = {"address": "5/hour", "email": "3/hour"}


def _ask_reset(client: Client, email: str) -> object:
    return client.post(reverse("portal:password_reset"), {"email": email})


def test_password_reset_sends_at_most_the_per_email_limit(cast, client, reset_rates):
    responses = [_ask_reset(client, cast.contact_a.email) for _ in range(5)]
    assert [(r.status_code, r.url) for r in responses] == [(302, RESET_DONE)] * 5
    assert len(mail.outbox) == 3
    assert {tuple(message.to) for message in mail.outbox} == {(cast.contact_a.email,)}


def test_the_per_email_limit_ignores_case_and_spaces(cast, client, reset_rates):
    for email in ("ann@acme.test", "ANN@Acme.test", " ann@acme.TEST ", "Ann@acme.test"):
        _ask_reset(client, email)
    assert len(mail.outbox) == 3


def test_password_reset_sends_at_most_the_per_address_limit(cast, client, reset_rates):
    for n in range(5):
        _ask_reset(client, f"nobody{n}@acme.test")
    response = _ask_reset(client, cast.contact_a.email)
    assert (response.status_code, response.url) == (302, RESET_DONE)
    assert mail.outbox == []
    # Another address still has its whole budget.
    _ask_reset(Client(REMOTE_ADDR="198.51.100.20"), cast.contact_a.email)
    assert len(mail.outbox) == 1


def test_over_the_limit_a_known_and_an_unknown_email_get_the_same_answer(cast, client, reset_rates):
    for _ in range(3):
        _ask_reset(client, cast.contact_a.email)
        _ask_reset(client, "who@nowhere.test")
    known = _ask_reset(client, cast.contact_a.email)
    unknown = _ask_reset(client, "who@nowhere.test")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url) == (302, RESET_DONE)
    page = client.get(RESET_DONE).content.decode()
    assert "If an account uses that address" in page
    assert len(mail.outbox) == 3


def test_the_reset_budget_comes_back_after_the_hour(cast, client, reset_rates, time_machine):
    time_machine.move_to("2026-11-20 10:00:00+00:00", tick=False)
    for _ in range(4):
        _ask_reset(client, cast.contact_a.email)
    assert len(mail.outbox) == 3
    time_machine.move_to("2026-11-20 11:00:01+00:00", tick=False)
    _ask_reset(client, cast.contact_a.email)
    assert len(mail.outbox) == 4


def test_reset_links_are_built_on_site_url_whatever_the_host_header(cast, client, settings):
    settings.SITE_URL = "https://desk.example.com"
    settings.ALLOWED_HOSTS = ["desk.example.com", "attacker.example.net"]
    response = client.post(
        reverse("portal:password_reset"),
        {"email": cast.contact_a.email},
        HTTP_HOST="attacker.example.net",
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "attacker.example.net" not in body
        assert re.search(r"https://desk\.example\.com/password-reset/[^/\s]+/[^/\s]+/", body)
