"""Staff single sign-on through the vendor's provider, over real HTTP to the test provider."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import Login
from allauth.account.signals import user_logged_in
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages

from tenants.roles import Role
from tenants.sso import SsoAssertion, mfa_proved_by_idp, staff_idp_proved_mfa
from tests.factories import ContactFactory, UserFactory
from tests.sso.fixtures import follow_sign_in, pass_second_step, start_staff_sign_in

pytestmark = pytest.mark.django_db


def _signed_in_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def test_staff_member_signs_in_through_the_vendor_provider(client, staff_idp):
    engineer = UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER])
    staff_idp.person("idp-eve", "eve@support.test", name="Eve")
    staff_idp.signs_in("idp-eve")

    asked = follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)
    not_yet = _signed_in_id(client)
    response = pass_second_step(client, asked, engineer)

    assert not_yet is None
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/admin/"
    assert _signed_in_id(client) == engineer.id
    assert staff_idp.provider.token_requests == 1


def test_staff_skip_the_desks_second_step_only_when_trusted_and_the_idp_proved_one(
    client, staff_idp, settings
):
    settings.STAFF_OIDC_TRUST_IDP_MFA = True
    engineer = UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER])
    staff_idp.person("idp-eve", "eve@support.test", amr=["pwd", "hwk"])
    staff_idp.signs_in("idp-eve")

    response = follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)

    assert response.request["PATH_INFO"] == "/admin/"
    assert _signed_in_id(client) == engineer.id


def test_staff_sign_in_matches_the_email_whatever_its_case(client, staff_idp):
    engineer = UserFactory(username="eve", email="Eve@Support.test", roles=[Role.ENGINEER])
    staff_idp.person("idp-eve", "eve@support.test")
    staff_idp.signs_in("idp-eve")

    asked = follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)
    pass_second_step(client, asked, engineer)

    assert _signed_in_id(client) == engineer.id


def test_staff_sso_stores_no_linked_account_and_no_token(client, staff_idp):
    engineer = UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER])
    staff_idp.person("idp-eve", "eve@support.test")
    staff_idp.signs_in("idp-eve")

    pass_second_step(
        client, follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider), engineer
    )

    assert not SocialAccount.objects.exists()
    assert not SocialToken.objects.exists()


def test_staff_sso_grants_no_role_and_changes_no_flag(client, staff_idp):
    engineer = UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER])
    staff_idp.person("idp-eve", "eve@support.test")
    staff_idp.signs_in("idp-eve")

    pass_second_step(
        client, follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider), engineer
    )

    engineer.refresh_from_db()
    assert list(engineer.groups.values_list("name", flat=True)) == [Role.ENGINEER.value]
    assert engineer.is_staff
    assert not engineer.is_superuser


@pytest.mark.parametrize(
    ("email", "verified", "why"),
    [
        ("new.hire@support.test", True, "no account has the email: SSO creates none"),
        ("eve@support.test", False, "the provider did not verify the email"),
        ("eve@elsewhere.test", True, "the domain is not one the staff provider vouches for"),
    ],
)
def test_staff_sso_refuses_and_creates_nothing(client, staff_idp, email, verified, why):
    UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER])
    UserFactory(username="eve2", email="eve@elsewhere.test", roles=[Role.ENGINEER])
    users_before = get_user_model().objects.count()
    staff_idp.person("idp-x", email, email_verified=verified)
    staff_idp.signs_in("idp-x")

    response = follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)

    assert _signed_in_id(client) is None, why
    assert get_user_model().objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert response.request["PATH_INFO"] == "/admin/login/"
    assert any("could not sign you in" in str(m) for m in get_messages(response.wsgi_request))


def test_staff_sso_refuses_an_inactive_staff_account(client, staff_idp):
    UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER], is_active=False)
    staff_idp.person("idp-eve", "eve@support.test")
    staff_idp.signs_in("idp-eve")

    follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)

    assert _signed_in_id(client) is None


def test_staff_sso_refuses_a_customer_account_at_the_vendors_domain(client, staff_idp):
    ContactFactory(user=UserFactory(username="cal", email="cal@support.test"))
    UserFactory(username="flag-only", email="flag@support.test", is_staff=True)
    staff_idp.person("idp-cal", "cal@support.test")
    staff_idp.person("idp-flag", "flag@support.test")

    for sub in ("idp-cal", "idp-flag"):
        staff_idp.signs_in(sub)
        follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)

        assert _signed_in_id(client) is None, sub


def test_staff_sign_in_page_offers_the_vendor_provider_only_when_configured(client, settings):
    settings.STAFF_OIDC_ISSUER = ""
    assert "Support staff: sign in with" not in client.get("/admin/login/").text

    settings.STAFF_OIDC_ISSUER = "https://login.vendor.example"
    settings.STAFF_OIDC_NAME = "Vendor SSO"
    assert "Support staff: sign in with Vendor SSO" in client.get("/admin/login/").text


def test_staff_provider_is_unknown_when_not_configured(client, settings):
    settings.STAFF_OIDC_ISSUER = ""

    response = start_staff_sign_in(client)

    assert response.status_code == 404


def test_staff_with_a_second_factor_still_gives_it_after_sso_by_default(client, staff_idp):
    UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER])
    staff_idp.person("idp-eve", "eve@support.test", amr=["pwd", "otp"])
    staff_idp.signs_in("idp-eve")

    response = follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)

    assert response.request["PATH_INFO"] == "/accounts/2fa/authenticate/"
    assert _signed_in_id(client) is None


def test_desk_mfa_still_applies_to_staff_sso_by_default(settings):
    settings.STAFF_OIDC_TRUST_IDP_MFA = False
    assertion = SsoAssertion(
        issuer="https://idp", subject="1", email="e@x", email_verified=True, amr=("pwd", "otp")
    )

    assert not staff_idp_proved_mfa(assertion)


@pytest.mark.parametrize(
    ("amr", "acr", "proved"),
    [
        (("pwd", "otp"), "", True),
        (("hwk",), "", True),
        (("pwd",), "", False),
        (("pwd",), "phr", True),
        ((), "urn:basic", False),
    ],
)
def test_idp_mfa_counts_only_when_trusted_and_the_claims_show_it(settings, amr, acr, proved):
    settings.STAFF_OIDC_TRUST_IDP_MFA = True
    settings.STAFF_OIDC_MFA_ACR = ["phr"]
    assertion = SsoAssertion(
        issuer="https://idp", subject="1", email="e@x", email_verified=True, amr=amr, acr=acr
    )

    assert staff_idp_proved_mfa(assertion) is proved


@pytest.mark.parametrize(
    ("trusted", "amr", "expected"),
    [(False, ["otp"], False), (True, ["otp"], True), (True, ["pwd"], False)],
)
def test_staff_sign_in_carries_whether_the_idp_proved_mfa(
    client, staff_idp, settings, trusted, amr, expected
):
    settings.STAFF_OIDC_TRUST_IDP_MFA = trusted
    UserFactory(username="eve", email="eve@support.test", roles=[Role.ENGINEER], second_step=False)
    staff_idp.person("idp-eve", "eve@support.test", amr=amr)
    staff_idp.signs_in("idp-eve")
    seen = []

    def record(sender, request, user, **kwargs):
        seen.append(mfa_proved_by_idp(Login(user=user, signal_kwargs=kwargs)))

    user_logged_in.connect(record)
    try:
        follow_sign_in(client, start_staff_sign_in(client), staff_idp.provider)
    finally:
        user_logged_in.disconnect(record)

    assert seen == [expected]


STAFF_ENV = {
    "STAFF_OIDC_ISSUER": "https://sso.vendor.example/realms/staff",
    "STAFF_OIDC_CLIENT_ID": "supportdesk",
    "STAFF_OIDC_CLIENT_SECRET": "s3cret",
    "STAFF_OIDC_EMAIL_DOMAINS": "vendor.example",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, ""),
        ({"STAFF_OIDC_ISSUER": "http://sso.vendor.example"}, "must be an https:// URL"),
        ({"STAFF_OIDC_EMAIL_DOMAINS": ""}, "STAFF_OIDC_EMAIL_DOMAINS"),
        ({"STAFF_OIDC_CLIENT_SECRET": ""}, "STAFF_OIDC_CLIENT_SECRET"),
    ],
)
def test_staff_sso_settings_are_checked_at_start_up(tmp_path, changes, message):
    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": os.environ["PATH"],
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
        **STAFF_ENV,
        **changes,
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    if message:
        assert result.returncode != 0
        assert message in result.stderr
    else:
        assert result.returncode == 0, result.stderr
