"""Multi-factor sign-in (tenants/mfa.py on django-allauth's MFA): required for staff,
optional for contacts and partners, required for the contacts of a tenant that asks."""

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tenants.mfa import MfaAdapter, mfa_required_for
from tests.factories import PASSWORD, PartnerMemberFactory, UserFactory, api_token_for
from tests.mfa import totp_code, totp_secret

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"


def sign_in(client: Client, user: object, *, at: str = "/sign-in/") -> object:
    return client.post(at, {"username": user.username, "password": PASSWORD})


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def enroll_totp(client: Client) -> str:
    """Activate an authenticator app on the signed-in client's account; its secret.
    allauth asks for the password again first."""
    activate = reverse("mfa_activate_totp")
    response = client.get(activate)
    assert response.url == f"{reverse('account_reauthenticate')}?next={quote(activate, safe='')}"
    response = client.post(response.url, {"password": PASSWORD})
    assert response.url == activate
    assert client.get(activate).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


@pytest.fixture
def staff_without_mfa(cast):
    return UserFactory(username="new@support.test", roles=[], second_step=False, is_staff=True)


# Staff: a second step, always.


def test_admin_login_form_asks_for_the_second_step_before_signing_staff_in(cast):
    """On main the admin's own login form signed staff in with a password alone."""
    client = Client()
    response = sign_in(client, cast.engineer, at=ADMIN_LOGIN)
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert signed_in_as(client) is None
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_sign_in_completes_with_the_authenticator_code(cast):
    client = Client()
    sign_in(client, cast.engineer, at=ADMIN_LOGIN + "?next=/admin/")
    response = client.post(
        reverse("mfa_authenticate"), {"code": totp_code(totp_secret(cast.engineer))}
    )
    assert response.status_code == 302
    assert signed_in_as(client) == str(cast.engineer.pk)
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_wrong_code_signs_nobody_in(cast):
    client = Client()
    sign_in(client, cast.engineer)
    wrong = totp_code(totp_secret(cast.engineer), periods_ahead=3)
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert signed_in_as(client) is None


def test_guessing_codes_is_stopped_after_five_failures(cast):
    client = Client()
    sign_in(client, cast.engineer)
    wrong = totp_code(totp_secret(cast.engineer), periods_ahead=3)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    right = totp_code(totp_secret(cast.engineer))
    response = client.post(reverse("mfa_authenticate"), {"code": right})
    assert "Too many failed" in response.content.decode()
    assert signed_in_as(client) is None


def test_a_code_works_once(cast):
    code = totp_code(totp_secret(cast.engineer))
    first, second = Client(), Client()
    sign_in(first, cast.engineer)
    first.post(reverse("mfa_authenticate"), {"code": code})
    sign_in(second, cast.engineer)
    second.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in_as(first) == str(cast.engineer.pk)
    assert signed_in_as(second) is None


def test_staff_without_a_second_step_is_sent_to_set_one_up_after_signing_in(staff_without_mfa):
    client = Client()
    response = sign_in(client, staff_without_mfa, at=ADMIN_LOGIN + "?next=/admin/")
    assert signed_in_as(client) == str(staff_without_mfa.pk)
    response = client.get(response.url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    page = response.content.decode()
    assert "Set up two-step sign-in to continue" in page
    assert "Every staff account signs in with a second step" in page


def test_staff_without_a_second_step_reaches_neither_admin_nor_api(staff_without_mfa):
    client = Client()
    client.force_login(staff_without_mfa)
    response = client.get(reverse("admin:cases_case_changelist"))
    assert response.url == reverse("mfa_index")
    response = client.get("/api/v1/cases/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "mfa_required"


def test_staff_who_set_up_an_authenticator_app_reaches_the_admin(staff_without_mfa):
    client = Client()
    sign_in(client, staff_without_mfa)
    secret = enroll_totp(client)
    assert client.get(reverse("admin:index")).status_code == 200
    # The next sign-in asks for the app's code.
    client.post(reverse("portal:sign_out"))
    response = sign_in(client, staff_without_mfa)
    assert response.url == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, periods_ahead=1)})
    assert signed_in_as(client) is None  # a code from the future is not accepted
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in_as(client) == str(staff_without_mfa.pk)


def test_enrolment_gives_recovery_codes_and_one_signs_in_once(cast):
    codes = RecoveryCodes.activate(cast.engineer).get_unused_codes()
    assert len(codes) == 10
    client = Client()
    sign_in(client, cast.engineer)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert signed_in_as(client) == str(cast.engineer.pk)
    again = Client()
    sign_in(again, cast.engineer)
    response = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert "Incorrect code" in response.content.decode()
    assert signed_in_as(again) is None


def test_the_admin_links_to_two_step_sign_in_in_its_user_tools(cast):
    client = Client()
    client.force_login(cast.manager)
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("mfa_index")}">Two-step sign-in</a>' in page


# Contacts and partners: optional, unless their tenant requires it.


def test_a_contact_signs_in_without_a_second_step_by_default(cast):
    client = Client()
    response = sign_in(client, cast.contact_a)
    assert signed_in_as(client) == str(cast.contact_a.pk)
    assert client.get(response.url).status_code == 200


def test_a_contact_may_add_an_authenticator_app_from_the_portal(cast):
    client = Client()
    sign_in(client, cast.contact_a)
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{reverse("mfa_index")}"' in dashboard
    index = client.get(reverse("mfa_index")).content.decode()
    assert "Set up two-step sign-in to continue" not in index
    secret = enroll_totp(client)
    client.post(reverse("portal:sign_out"))
    assert sign_in(client, cast.contact_a).url == reverse("mfa_authenticate")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert signed_in_as(client) == str(cast.contact_a.pk)


def test_a_tenant_requiring_mfa_sends_its_contacts_to_set_it_up(cast):
    cast.tenant_a.require_mfa_for_contacts = True
    cast.tenant_a.save()
    client = Client()
    response = sign_in(client, cast.contact_a)
    response = client.get(response.url)
    assert response.url == reverse("mfa_index")
    page = client.get(reverse("mfa_index")).content.decode()
    assert "Your organisation asks everyone" in page
    assert client.get(reverse("portal:case_new")).url == reverse("mfa_index")
    # Another tenant's contacts are not concerned.
    other = Client()
    sign_in(other, cast.contact_b)
    assert other.get(reverse("portal:dashboard")).status_code == 200


def test_a_contact_who_set_it_up_uses_the_portal_of_a_requiring_tenant(cast):
    cast.tenant_a.require_mfa_for_contacts = True
    cast.tenant_a.save()
    client = Client()
    sign_in(client, cast.contact_a)
    enroll_totp(client)
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_a_partner_acting_for_a_requiring_tenant_needs_it_too(cast):
    assert not mfa_required_for(cast.partner_with_letter)
    cast.tenant_a.require_mfa_for_contacts = True
    cast.tenant_a.save()
    assert mfa_required_for(cast.partner_with_letter)
    assert not mfa_required_for(cast.partner_without_letter)
    client = Client()
    client.force_login(cast.partner_with_letter)
    assert client.get(reverse("portal:dashboard")).url == reverse("mfa_index")


def test_an_api_token_does_not_get_around_the_tenants_requirement(cast):
    _token, secret = api_token_for(cast.contact_a)
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT": "application/json"}
    assert client.get("/api/v1/cases/", **auth).status_code == 200
    cast.tenant_a.require_mfa_for_contacts = True
    cast.tenant_a.save()
    response = client.get("/api/v1/cases/", **auth)
    assert response.status_code == 403
    assert "two-step sign-in" in response.json()["error"]["message"]


def test_a_partner_is_not_concerned_by_a_tenant_it_does_not_act_for(cast):
    member = PartnerMemberFactory(partner=cast.partner).user
    cast.tenant_b.require_mfa_for_contacts = True
    cast.tenant_b.save()
    assert not mfa_required_for(member)


# Settings and storage.


def test_the_authenticator_apps_secret_is_stored_encrypted(cast):
    stored = Authenticator.objects.get(user=cast.engineer, type=Authenticator.Type.TOTP)
    secret = totp_secret(cast.engineer)
    assert secret not in str(stored.data)
    assert len(secret) == 32


def test_security_keys_belong_to_the_site_url_host(settings, rf):
    settings.SITE_URL = "https://support.example.com"
    assert MfaAdapter().get_public_key_credential_rp_entity() == {
        "id": "support.example.com",
        "name": "SupportDesk",
    }


def test_authenticators_are_not_shown_in_the_admin(cast):
    superuser = UserFactory(username="root@support.test", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    with pytest.raises(NoReverseMatch):
        reverse("admin:mfa_authenticator_changelist")
    assert client.get("/admin/mfa/authenticator/").status_code == 404
    assert totp_secret(cast.engineer) not in client.get("/admin/").content.decode()


def test_managers_set_the_tenant_requirement_in_the_admin(cast):
    url = reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id])
    manager, engineer = Client(), Client()
    manager.force_login(cast.manager)
    engineer.force_login(cast.engineer)
    assert 'name="require_mfa_for_contacts"' in manager.get(url).content.decode()
    assert 'name="require_mfa_for_contacts"' not in engineer.get(url).content.decode()


# The pages keep the portal's Content-Security-Policy.

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
OUR_ALLAUTH_TEMPLATES = sorted(
    path
    for folder in ("allauth", "mfa", "account")
    for path in (TEMPLATES / folder).rglob("*")
    if path.is_file()
)


@pytest.mark.parametrize("template", OUR_ALLAUTH_TEMPLATES, ids=lambda path: path.name)
def test_our_allauth_templates_have_no_inline_script_style_or_handlers(template):
    html = template.read_text(encoding="utf-8")
    assert "<script" not in html
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_mfa_pages_run_only_scripts_from_this_origin(cast, settings):
    """allauth's WebAuthn pages pass their options in JSON data blocks, which no browser
    runs; the scripts themselves load from 'self'."""
    client = Client()
    sign_in(client, cast.engineer)
    pages = [client.get(reverse("mfa_authenticate"))]
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(cast.engineer))})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    pages += [client.get(reverse(name)) for name in ("mfa_index", "mfa_add_webauthn")]
    for response in pages:
        assert response.status_code == 200
        header = response["Content-Security-Policy"]
        policy = dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())
        assert policy["script-src"] == "'self'"
        assert policy["style-src"] == "'self'"
        html = response.content.decode()
        for script in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in script or 'type="application/json"' in script, script
    assert "mfa/js/webauthn.js" in pages[-1].content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_owner_is_told_by_email_when_a_second_step_is_added(cast):
    """Transactional: allauth mails after the commit, within the request (as in production)."""
    client = Client()
    sign_in(client, cast.contact_a)
    enroll_totp(client)
    (message,) = [m for m in mail.outbox if "Authenticator" in m.subject]
    assert message.to == [cast.contact_a.email]
    assert message.subject.startswith("SupportDesk: ")
    assert "If you do not recognize this change" in message.body
    assert totp_secret(cast.contact_a) not in message.body
