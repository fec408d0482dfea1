"""Service requests and customer escalations in a real browser: the customer asks in
the portal, staff work the request and the escalation in the queue (the Django admin),
and the customer sees the outcome. Screenshots go to docs/screenshots/."""

import datetime as dt
import re

import pytest

from cases.models import CustomerEscalation
from servicerequests.handlers import REGISTRY
from servicerequests.models import ServiceRequest, State
from tenants.models import AccountRole, EnvironmentFlag, EnvironmentKind
from tenants.roles import Role
from tests.factories import (
    PASSWORD,
    AccountTeamMemberFactory,
    CaseFactory,
    EnvironmentFactory,
    ProductFlagFactory,
    RequestTypeFactory,
    UserFactory,
)
from tests.mfa import staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def estate(cast, frozen_clock):
    names = {
        cast.contact_a: ("Ann", "Archer"),
        cast.engineer: ("Erin", "Engineer"),
        cast.manager: ("Meg", "Manager"),
    }
    for user, (first, last) in names.items():
        user.first_name, user.last_name = first, last
        user.save()
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()
    for position, code in enumerate(REGISTRY):
        RequestTypeFactory(
            code=code,
            name=REGISTRY[code].title,
            description=REGISTRY[code].description,
            position=position,
            plans=[cast.tenant_a.plan],
        )
    production = EnvironmentFactory(tenant=cast.tenant_a, name="Production", version="2026.10")
    sandbox = EnvironmentFactory(
        tenant=cast.tenant_a, name="UAT sandbox", kind=EnvironmentKind.SANDBOX, version="2026.11"
    )
    editor = ProductFlagFactory(key="new-editor", name="New rich-text editor")
    ProductFlagFactory(key="bulk-export", name="Bulk export API")
    EnvironmentFlag.objects.create(environment=sandbox, flag=editor, enabled=True)
    AccountTeamMemberFactory(
        tenant=cast.tenant_a,
        role=AccountRole.CUSTOMER_SUCCESS_MANAGER,
        name="Carla Success",
        email="carla@vendor.test",
        phone="+1 212 555 0142",
    )
    AccountTeamMemberFactory(
        tenant=cast.tenant_a,
        role=AccountRole.SOLUTIONS_ENGINEER,
        name="Sol Engineer",
        email="sol@vendor.test",
    )
    cast.security = UserFactory(
        username="sam@support.test", first_name="Sam", last_name="Secure", roles=[Role.SECURITY]
    )
    cast.production, cast.sandbox = production, sandbox
    return cast


def sign_in(page, user) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def run_action(page, obj_id: int, action: str, text: str = "") -> None:
    page.locator(f'input[name="_selected_action"][value="{obj_id}"]').check()
    page.locator('select[name="action"]').select_option(label=action)
    page.get_by_role("button", name="Go").click()
    if text:
        page.locator("#action_text").fill(text)
        page.locator('input[name="apply"]').click()


def test_customer_asks_for_flags_and_a_sandbox_refresh_and_sees_what_is_on_where(
    estate, new_page, screenshot
):
    page = new_page()
    sign_in(page, estate.contact_a)
    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Your account team")).to_be_visible()
    expect(page.get_by_text("Carla Success")).to_be_visible()
    screenshot(page, "account")

    page.get_by_role("link", name="Requests", exact=True).click()
    page.get_by_role("link", name="Feature flag enablement").click()
    expect(page.get_by_role("heading", name="Sandbox first, then production")).to_be_visible()
    page.get_by_label("Environment").select_option(
        label="Production · Production · SupportDesk Cloud 2026.10"
    )
    page.get_by_label("Bulk export API").check()
    page.get_by_label("Why do you need them?").fill("Nightly exports to our warehouse.")
    page.get_by_role("button", name="Submit the request").click()
    expect(
        page.get_by_text("Not on in any of your sandboxes yet: Bulk export API").first
    ).to_be_visible()
    screenshot(page, "request-flags-nudge")
    page.get_by_label("Environment").select_option(
        label="UAT sandbox · Sandbox · SupportDesk Cloud 2026.11"
    )
    page.get_by_label("Bulk export API").check()
    page.get_by_role("button", name="Submit the request").click()
    flags = ServiceRequest.objects.get(request_type__code="feature_flags")
    expect(page).to_have_url(re.compile(rf"/requests/{flags.reference}/$"))
    expect(page.get_by_text(f"{flags.reference} is submitted")).to_be_visible()

    page.get_by_role("link", name="← All requests").click()
    page.get_by_role("link", name="Sandbox refresh").click()
    page.get_by_label("Sandbox").select_option(
        label="UAT sandbox · Sandbox · SupportDesk Cloud 2026.11"
    )
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_text("is submitted")).to_be_visible()
    page.goto("/requests/new/sandbox_refresh/")
    page.get_by_label("Sandbox").select_option(
        label="UAT sandbox · Sandbox · SupportDesk Cloud 2026.11"
    )
    page.get_by_role("button", name="Submit the request").click()
    # The refusal heads the form's error summary (or the page's messages when it is
    # about no one field).
    refusal = page.locator("[data-error-summary], [data-messages]").first
    expect(refusal).to_contain_text("once per calendar month")
    expect(refusal).to_contain_text("1 December 2026")
    page.goto("/requests/")
    expect(page.get_by_text(flags.reference)).to_be_visible()
    screenshot(page, "requests")


def test_staff_fulfil_a_security_testing_request_and_the_customer_sees_the_signature(
    estate, new_page, screenshot
):
    page = new_page()
    sign_in(page, estate.contact_a)
    page.goto("/requests/new/security_testing/")
    page.get_by_label("Environment").select_option(
        label="Production · Production · SupportDesk Cloud 2026.10"
    )
    page.get_by_label("Scope").fill("https://acme.example.test — authenticated web app test")
    page.get_by_label("Testing starts").fill("2026-11-30")
    page.get_by_label("Testing ends").fill("2026-12-04")
    page.get_by_label("Testing organisation").fill("Redteam Ltd")
    page.get_by_label("Tester contact name").fill("Rita Red")
    page.get_by_label("Tester contact email").fill("rita@redteam.test")
    page.get_by_role("button", name="Submit the request").click()
    request = ServiceRequest.objects.get(request_type__code="security_testing")
    expect(page.get_by_text("Not authorized yet")).to_be_visible()

    staff = new_page(width=1680)
    staff_sign_in(staff, estate.engineer)
    staff.goto("/admin/servicerequests/servicerequest/?open=yes")
    expect(staff.get_by_text(request.reference)).to_be_visible()
    run_action(staff, request.id, "Take into fulfilment (you become the owner)")
    expect(staff.get_by_text("Requests in fulfilment: 1")).to_be_visible()
    run_action(staff, request.id, "Complete the next step", "Scope agreed with engineering.")
    expect(staff.get_by_text("Steps done: 1")).to_be_visible()
    run_action(staff, request.id, "Security: approve scope and dates", "Not mine to approve.")
    expect(staff.get_by_text("is done by Security staff")).to_be_visible()
    staff.goto(
        f"/admin/servicerequests/servicerequest/?request_type__id__exact={request.request_type_id}"
    )
    screenshot(staff, "queue-requests")

    security = new_page(width=1680)
    staff_sign_in(security, estate.security)
    security.goto("/admin/servicerequests/servicerequest/")
    run_action(security, request.id, "Security: approve scope and dates", "Scope approved.")
    expect(security.get_by_text("Approved: 1")).to_be_visible()
    run_action(security, request.id, "Security: sign the authorization", "Signed.")
    expect(security.get_by_text("Signed: 1")).to_be_visible()
    request.refresh_from_db()
    assert request.state == State.DONE

    page.reload()
    expect(page.get_by_role("heading", name="Signed authorization")).to_be_visible()
    page.get_by_role("link", name="View the signed authorization").click()
    expect(page.get_by_text("Sam Secure (Security)").first).to_be_visible()
    screenshot(page, "security-authorization")


def test_customer_escalates_a_case_and_staff_acknowledge_it_in_the_queue(
    estate, new_page, screenshot
):
    case = CaseFactory(
        tenant=estate.tenant_a,
        reporter=estate.contact_a,
        summary="Invoices are rounded the wrong way",
        created_at=dt.datetime(2026, 11, 16, tzinfo=dt.UTC),
    )
    page = new_page()
    sign_in(page, estate.contact_a)
    page.goto(f"/cases/{case.reference}/")
    page.get_by_text("Escalate this case").click()
    page.get_by_label("What is wrong with how this case is handled?").fill(
        "A week without an update, and month-end is on Friday."
    )
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.get_by_text("is escalated")).to_be_visible()
    expect(page.locator("#escalation")).to_contain_text("customer success manager")
    screenshot(page, "case-escalation")

    staff = new_page(width=1680)
    staff_sign_in(staff, estate.manager)
    staff.goto("/admin/cases/case/")
    expect(staff.get_by_text("⚑ Level 1")).to_be_visible()
    staff.goto("/admin/cases/customerescalation/?live=yes")
    escalation = CustomerEscalation.objects.get(case=case)
    expect(staff.get_by_text(case.reference)).to_be_visible()
    screenshot(staff, "queue-escalations")
    run_action(staff, escalation.id, "Acknowledge escalation", "Carla will call you today at 3pm.")
    expect(staff.get_by_text("Escalations acknowledged: 1")).to_be_visible()
    page.reload()
    expect(page.locator("#escalation")).to_contain_text("Carla will call you today at 3pm.")
