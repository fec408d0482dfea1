"""Signing in and out, password reset, and the refusals of the portal's front door."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tenants.services import letter_rescind
from tests.factories import PASSWORD, ContactFactory

pytestmark = pytest.mark.django_db


def test_root_is_the_portal_and_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/sign-in/?next=/"


def test_sign_in_page_has_labelled_fields_and_a_reset_link(client):
    response = client.get(reverse("portal:sign_in"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Email' in html
    assert '<label for="id_password">Password' in html
    assert reverse("portal:password_reset") in html
    assert "csrfmiddlewaretoken" in html


def test_contact_signs_in_with_email_and_lands_on_the_dashboard(client, cast):
    response = client.post(
        reverse("portal:sign_in"), {"username": "ann@acme.test", "password": PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.resolver_match.url_name == "dashboard"
    assert "Acme Corp cases" in response.content.decode()


def test_wrong_password_is_refused_with_a_message(client, cast):
    response = client.post(
        reverse("portal:sign_in"), {"username": "ann@acme.test", "password": "nope"}
    )
    assert response.status_code == 200
    assert "enter a correct" in response.content.decode().lower()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_returns_to_sign_in(client, cast, sign_in):
    sign_in(cast.contact_a)
    assert client.get(reverse("portal:sign_out")).status_code == 405
    response = client.post(reverse("portal:sign_out"))
    assert response.url == reverse("portal:sign_in")
    assert "_auth_user_id" not in client.session


def test_password_reset_mails_a_link_that_sets_a_new_password(client, cast, settings):
    settings.SITE_URL = "https://desk.example.com"
    cast.contact_a.email = "ann@acme.test"
    cast.contact_a.save()
    response = client.post(reverse("portal:password_reset"), {"email": "ann@acme.test"})
    assert response.url == reverse("portal:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your SupportDesk password"
    link = re.search(r"https://desk\.example\.com(/password-reset/[^\s]+/)", message.body).group(1)
    assert message.alternatives  # an HTML part too
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    new_password = "a-much-better-passphrase-2026"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.url == reverse("portal:password_reset_complete")
    assert client.login(username="ann@acme.test", password=new_password)


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, cast):
    response = client.post(reverse("portal:password_reset"), {"email": "who@nowhere.test"})
    assert response.url == reverse("portal:password_reset_done")
    assert mail.outbox == []


def test_used_reset_link_is_refused_clearly(client):
    response = client.get(reverse("portal:password_reset_confirm", args=["MQ", "bad-token"]))
    assert "no longer works" in response.content.decode()


def test_password_change_needs_sign_in_and_works(client, cast, sign_in):
    url = reverse("portal:password_change")
    assert client.get(url).status_code == 302
    sign_in(cast.contact_a)
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-9",
            "new_password2": "another-long-passphrase-9",
        },
    )
    assert response.url == reverse("portal:password_change_done")


def test_uncertified_contact_is_told_why_there_is_no_access(client, cast, sign_in):
    user = ContactFactory(tenant=cast.tenant_a, certification="").user
    sign_in(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "certification" in response.content.decode()
    assert "Sign out" in response.content.decode()


def test_removed_contact_is_told_they_were_removed(client, cast, sign_in):
    cast.contact_a.contacts.update(is_active=False)
    sign_in(cast.contact_a)
    response = client.get(reverse("portal:case_new"))
    assert response.status_code == 403
    assert "removed by your organisation" in response.content.decode()


def test_partner_whose_letter_was_rescinded_is_told_so(client, cast, sign_in):
    letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Contract ended.")
    sign_in(cast.partner_with_letter)
    response = client.get("/")
    assert response.status_code == 403
    assert "rescinded" in response.content.decode()


def test_partner_without_any_letter_is_told_so(client, cast, sign_in):
    sign_in(cast.partner_without_letter)
    response = client.get("/")
    assert response.status_code == 403
    assert "no active letter of authorization" in response.content.decode()


def test_support_staff_are_sent_to_the_staff_queue(client, cast, sign_in):
    sign_in(cast.engineer)
    response = client.get("/")
    assert response.url == reverse("admin:index")


def test_forms_are_refused_without_the_csrf_token(cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.login(username=cast.contact_a.username, password=PASSWORD)
    response = strict.post(reverse("portal:case_new"), {"summary": "x"})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
