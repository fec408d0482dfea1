"""Single sign-on in a real browser, against the loopback test provider: a contact signs
in through their company's provider, and a staff member through the vendor's. The
screenshots in docs/screenshots/sso-*.png come from here."""

import pytest

from tenants.sso import STAFF_PROVIDER_ID
from tests.mfa import totp_code, totp_secret
from tests.oidc_provider import IdpUser, OidcProvider
from tests.sso.fixtures import callback_url, configure_tenant_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def idp():
    provider = OidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_desk(idp, cast, settings, live_server):
    idp.reset()
    for user, first, last in [
        (cast.contact_a, "Ann", "Archer"),
        (cast.engineer, "Erin", "Engineer"),
    ]:
        user.first_name, user.last_name = first, last
        user.save()
    configure_tenant_idp(
        idp,
        tenant=cast.tenant_a,
        manager=cast.manager,
        domains=["acme.test"],
        host=live_server.url,
    )
    settings.STAFF_OIDC_ISSUER = idp.issuer
    settings.STAFF_OIDC_CLIENT_ID = "desk-staff"
    settings.STAFF_OIDC_CLIENT_SECRET = "staff-secret"
    settings.STAFF_OIDC_NAME = "Vendor SSO"
    settings.STAFF_OIDC_EMAIL_DOMAINS = ["support.test"]
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {**directives, "form-action": ["'self'", idp.issuer]},
    }
    idp.add_client(
        client_id="desk-staff",
        client_secret="staff-secret",
        redirect_uris=[callback_url(STAFF_PROVIDER_ID, live_server.url)],
    )
    idp.add_user(IdpUser(sub="ann", email="ann@acme.test", name="Ann Archer"))
    idp.add_user(IdpUser(sub="erin", email="eve@support.test", name="Erin Engineer"))
    return idp


def test_contact_and_staff_sign_in_by_sso(
    new_page, live_server, cast, sso_desk, screenshot, assert_accessible
):
    page = new_page()
    page.goto("/sign-in/")
    expect(
        page.get_by_role("button", name="Support staff: sign in with Vendor SSO")
    ).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sso-sign-in")

    page.get_by_role("link", name="Sign in with your company's SSO").click()
    page.get_by_label("Work email").fill("ann@acme.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Sign in with Acme Corp SSO")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sso-continue")
    page.get_by_role("button", name="Continue to Acme Corp SSO").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_role("button", name="Sign in as Ann Archer").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("Acme Corp").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "sso-contact-signed-in")

    staff = new_page()
    staff.goto("/admin/login/?next=/admin/")
    staff.get_by_role("button", name="Support staff: sign in with Vendor SSO").click()
    staff.get_by_role("button", name="Sign in as Erin Engineer").click()
    # Back from the provider, the desk still asks for its own second step (the default).
    expect(staff.get_by_role("heading", name="Two-Factor Authentication")).to_be_visible()
    staff.locator("input[name=code]").fill(totp_code(totp_secret(cast.engineer)))
    staff.get_by_role("button", name="Sign In", exact=True).click()
    expect(staff).to_have_url(f"{live_server.url}/admin/")
    expect(staff.get_by_text("Queue and configuration")).to_be_visible()
    assert_accessible(staff)
    screenshot(staff, "sso-staff-signed-in")
