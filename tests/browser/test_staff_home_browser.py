"""The staff home in a real browser, as the roles that use it (engineer, triage lead,
customer success manager, manager), and axe-core's WCAG 2.1 A/AA audit of the staff pages
each visits: home, queue, a case page, the dashboard (or the staff 403 where the role may
not see it), triage and the known issues. The README's "staff-home" screenshot is the
CSM's home with a level-1 escalation about an unowned P1."""

import pytest
from django.conf import settings
from django.urls import reverse

from cases import services
from tenants.models import AccountRole
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, AccountTeamMemberFactory, KnownIssueFactory, UserFactory
from tests.mfa import totp_code, totp_secret

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def desk(cast, frozen_clock):
    """A morning's work: the CSM's customer escalated an unowned P1, the engineer owns a
    breached case, one waits on them and one is on track, new cases wait for triage."""
    csm = UserFactory(
        username="carla@support.test", first_name="Carla", last_name="Reyes", roles=[Role.ENGINEER]
    )
    AccountTeamMemberFactory(
        tenant=cast.tenant_a, role=AccountRole.CUSTOMER_SUCCESS_MANAGER, user=csm
    )
    down = file_case(cast, "Checkout is down for every customer", priority="P1")
    services.case_escalate_by_customer(
        case_id=down.id, actor=cast.contact_a, reason="An hour without any answer on a P1."
    )
    mine = file_case(cast, "Invoice export times out after 60 seconds")
    services.case_assign(case_id=mine.id, actor=cast.engineer, owner=cast.engineer)
    services.case_comment(case_id=mine.id, actor=cast.engineer, body="Looking at the logs.")
    services.case_comment(case_id=mine.id, actor=cast.contact_a, body="Here is the HAR file.")
    on_track = file_case(
        cast, "SSO users land on the wrong page", actor=cast.contact_b, tenant_id=cast.tenant_b.id
    )
    services.case_assign(case_id=on_track.id, actor=cast.engineer, owner=cast.engineer)
    file_case(cast, "Report totals differ from the CSV", priority="P3")
    escalated = file_case(
        cast, "Data retention question from legal", actor=cast.contact_b, tenant_id=cast.tenant_b.id
    )
    services.case_assign(case_id=escalated.id, actor=cast.engineer, owner=cast.engineer)
    services.case_escalate(case_id=escalated.id, actor=cast.engineer, reason="Legal deadline")
    widgets = file_case(cast, "Dashboard widgets load slowly since Tuesday", priority="P3")
    services.case_assign(case_id=widgets.id, actor=csm, owner=csm)
    services.case_comment(case_id=widgets.id, actor=csm, body="Which browser do you use?")
    services.case_comment(case_id=widgets.id, actor=cast.contact_a, body="Firefox 128.")
    KnownIssueFactory(title="Exports over 10,000 rows time out")
    return {"csm": csm, "case": mine}


def signed_in(page, client, live_server, user) -> None:
    """The browser carries a session of `user` (staff sign in with a second step, which
    has its own browser tests)."""
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def visit(page, path: str, assert_accessible, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == status, path
    assert_accessible(page)


@pytest.mark.parametrize("role", ["engineer", "triage_lead", "csm", "manager"])
def test_each_role_gets_its_home_and_the_staff_pages_pass_axe(
    new_page, client, live_server, cast, desk, assert_accessible, role
):
    user = {
        "engineer": cast.engineer,
        "triage_lead": cast.triage_lead,
        "csm": desk["csm"],
        "manager": cast.manager,
    }[role]
    page = new_page(width=1366, height=900)
    signed_in(page, client, live_server, user)
    visit(page, "/admin/", assert_accessible)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    expect(page.get_by_text("Queue and configuration")).to_be_visible()
    if role == "engineer":
        expect(page.locator("#home-my-cases")).to_contain_text("Invoice export times out")
        expect(page.locator("#home-waiting")).to_contain_text("Invoice export times out")
        expect(page.locator("#home-unassigned")).to_have_count(0)
        expect(page.locator("#home-customer-escalations")).to_have_count(0)
    if role == "triage_lead":
        expect(page.locator("#home-unassigned")).to_contain_text("Report totals differ")
    if role == "csm":
        escalations = page.locator("#home-customer-escalations")
        expect(escalations).to_contain_text("Checkout is down")
        expect(escalations).to_contain_text("unassigned")
        expect(escalations).to_contain_text("P1")
    if role == "manager":
        expect(page.locator("#home-management-escalations")).to_contain_text("Data retention")

    # The count links to the queue filtered to what it counts.
    with page.expect_navigation():
        page.locator(".sd-home-cards a", has_text="My open cases").click()
    assert "owner=mine" in page.url
    assert_accessible(page)

    visit(page, f"/admin/cases/case/{desk['case'].id}/change/", assert_accessible)
    dashboard = reverse("admin:cases_case_dashboard")
    if role == "manager":
        visit(page, dashboard, assert_accessible)
    else:
        visit(page, dashboard, assert_accessible, status=403)
        expect(page.locator("#content")).to_contain_text("Only a support manager may")
        expect(page.get_by_role("link", name="Back to your home")).to_be_visible()
    triage = reverse("admin:cases_case_triage")
    if role in {"triage_lead", "manager"}:
        visit(page, triage, assert_accessible)
    else:
        visit(page, triage, assert_accessible, status=403)
        expect(page.locator("#content")).to_contain_text("Only a triage lead may")
    visit(page, reverse("admin:knowledge_knownissue_changelist"), assert_accessible)


def test_staff_sign_in_both_steps_have_a_heading_and_pass_axe_then_land_home(
    new_page, client, live_server, cast, assert_accessible
):
    page = new_page()
    visit(page, "/admin/login/", assert_accessible)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_label("Username").fill(cast.engineer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code = page.get_by_label("Code")
    expect(code).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    code.fill(totp_code(totp_secret(cast.engineer)))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    assert page.url.endswith("/admin/")
    visit(page, "/admin/no-such-page/", assert_accessible, status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")


def test_csm_home_screenshot(new_page, client, live_server, desk, screenshot, assert_accessible):
    page = new_page(width=1366, height=900)
    signed_in(page, client, live_server, desk["csm"])
    page.goto("/admin/")
    expect(page.locator("#home-customer-escalations")).to_contain_text("Checkout is down")
    assert_accessible(page)
    screenshot(page, "staff-home")
