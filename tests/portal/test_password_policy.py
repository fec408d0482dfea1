"""The password policy (Django's validators, offline): at least 12 characters, not a common
password, not like the person's name or email, not all digits; every form that sets a
password shows each reason it was refused."""

import html
import re

import pytest
from django.contrib.auth import password_validation
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOO_SHORT = "This password is too short. It must contain at least 12 characters."
TOO_COMMON = "This password is too common."
ALL_DIGITS = "This password is entirely numeric."
LIKE_EMAIL = "The password is too similar to the email address."


def _refusals(password: str, user=None) -> list[str]:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as refused:
        return refused.messages
    return []


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        ("zebra-lamp9", [TOO_SHORT]),  # 11 characters: Django's default of 8 let it pass
        ("12345678", [TOO_SHORT, TOO_COMMON, ALL_DIGITS]),
        ("839104726153", [ALL_DIGITS]),
        ("password1234", [TOO_COMMON]),
    ],
)
def test_weak_passwords_are_refused_for_every_reason(password, reasons):
    assert _refusals(password) == reasons


def test_a_password_like_the_persons_email_is_refused(cast):
    assert _refusals("ann@acme.test!", cast.contact_a) == [LIKE_EMAIL]


def test_a_long_uncommon_passphrase_is_accepted(cast):
    assert _refusals("copper-kettle-orbit-42", cast.contact_a) == []


def _page_messages(response) -> str:
    return html.unescape(response.content.decode())


def test_password_change_shows_every_reason_a_password_is_refused(cast, client, sign_in):
    sign_in(cast.contact_a)
    response = client.post(
        reverse("portal:password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    page = _page_messages(response)
    for reason in (TOO_SHORT, TOO_COMMON, ALL_DIGITS):
        assert reason in page
    cast.contact_a.refresh_from_db()
    assert cast.contact_a.check_password(PASSWORD)


def test_password_change_says_what_is_asked_before_anything_is_typed(cast, client, sign_in):
    sign_in(cast.contact_a)
    page = _page_messages(client.get(reverse("portal:password_change")))
    assert "Your password must contain at least 12 characters." in page
    assert "Your password can’t be a commonly used password." in page


def test_password_reset_refuses_a_weak_new_password_with_the_reason(cast, client):
    client.post(reverse("portal:password_reset"), {"email": cast.contact_a.email})
    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", message.body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "zebra-lamp9", "new_password2": "zebra-lamp9"}
    )
    assert response.status_code == 200
    assert TOO_SHORT in _page_messages(response)
    cast.contact_a.refresh_from_db()
    assert cast.contact_a.check_password(PASSWORD)
