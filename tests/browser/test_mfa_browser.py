"""Two-step sign-in in a real browser: a staff member sets up an authenticator app and
signs in with its code, another signs in with a security key (Chromium's virtual
authenticator), a recovery code works once, and a contact of a tenant that requires a
second step is sent to set one up. The MFA screenshots in docs/screenshots/ come from here."""

import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

from tests.factories import PASSWORD, UserFactory
from tests.mfa import totp_code, totp_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def site_url(settings, live_server):
    """Security keys belong to SITE_URL's host: here the live server on localhost, which
    browsers count as a secure context."""
    settings.SITE_URL = live_server.url


def password_step(page, user, *, at: str = "/admin/") -> None:
    page.goto(at)
    expect(page).to_have_url(re.compile(r"/(admin/login|sign-in)/"))
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.goto("/accounts/2fa/")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in/"))


def test_staff_member_sets_up_an_authenticator_app_and_signs_in_with_its_code(
    cast, new_page, screenshot, site_url, assert_accessible
):
    newcomer = UserFactory(
        username="nina@support.test", first_name="Nina", last_name="Newcomer", second_step=False
    )
    newcomer.is_staff = True
    newcomer.save()
    page = new_page()
    password_step(page, newcomer)
    # Signed in, but only the set-up is open until a second step exists.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    expect(page.get_by_role("alert")).to_contain_text("Set up two-step sign-in to continue")
    assert_accessible(page)
    screenshot(page, "mfa-required")
    page.goto("/admin/cases/case/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))

    page.locator("section", has_text="Authenticator App").get_by_role(
        "link", name="Activate"
    ).click()
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks again before a change
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Activate Authenticator App")).to_be_visible()
    secret = page.locator("#authenticator_secret").input_value()
    assert_accessible(page)
    screenshot(page, "mfa-enroll-authenticator-app", mask=[page.locator("#authenticator_secret")])
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", name="Recovery Codes")).to_be_visible()
    page.goto("/admin/")
    expect(page.locator("#user-tools")).to_contain_text("Two-step sign-in")

    sign_out(page)
    password_step(page, newcomer)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_accessible(page)
    screenshot(page, "mfa-prompt")
    page.get_by_label("Code").fill(totp_code(secret, periods_ahead=1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist")).to_contain_text("Incorrect code")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_staff_member_adds_a_security_key_and_signs_in_with_it(cast, new_page, site_url):
    page = new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    key = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    password_step(page, cast.engineer)
    page.get_by_label("Code").fill(totp_code(totp_secret(cast.engineer)))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto("/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Desk key")
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".messages")).to_contain_text("Security key added")
    page.goto("/accounts/2fa/webauthn/")
    expect(page.locator("main")).to_contain_text("Desk key")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": key["authenticatorId"]})
    assert len(credentials["credentials"]) == 1

    sign_out(page)
    password_step(page, cast.engineer)
    page.get_by_role("button", name="Use a security key").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def test_a_recovery_code_signs_in_once(cast, new_page):
    code = RecoveryCodes.activate(cast.engineer).get_unused_codes()[0]
    page = new_page()
    password_step(page, cast.engineer)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    sign_out(page)
    password_step(page, cast.engineer)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".errorlist")).to_contain_text("Incorrect code")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def test_a_contact_of_a_tenant_that_requires_it_is_sent_to_set_it_up(
    cast, new_page, screenshot, assert_accessible
):
    cast.tenant_a.require_mfa_for_contacts = True
    cast.tenant_a.save()
    page = new_page()
    password_step(page, cast.contact_a, at="/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    expect(page.get_by_role("alert")).to_contain_text("Your organisation asks everyone")
    assert_accessible(page)
    screenshot(page, "mfa-required-contact")
    page.goto("/cases/new/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
