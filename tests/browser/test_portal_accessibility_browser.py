"""The portal's accessibility audit in a real browser: every page a customer's contact, a
partner acting for the customer and a signed-out visitor reach (portal/urls.py), on a
390 px phone, passes axe-core with no critical or serious violation and does not scroll
sideways; a form that comes back with errors says so in the title, moves focus to its
error summary and links each error to its field; a success message takes focus.

The portal has no separate "customer admin": a tenant's authorized contact is its admin
(contacts, partners' letters, API tokens), so the contact here covers both."""

import datetime as dt
import re

import pytest

from cases import services
from cases.models import Case
from servicerequests.handlers import REGISTRY
from tenants.models import EnvironmentFlag, EnvironmentKind
from tests.cases.helpers import file_case
from tests.factories import (
    PASSWORD,
    AnnouncementFactory,
    ArticleFactory,
    EnvironmentFactory,
    KnownIssueFactory,
    ProductFlagFactory,
    RequestTypeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def portal(cast, frozen_clock):
    """The cast with something on every portal page: open, waiting and closed cases (one
    filed by the partner), request types, environments with enough feature flags that the
    flag matrix is wider than a phone, knowledge and an announcement."""
    for user, (first, last) in {
        cast.contact_a: ("Ann", "Archer"),
        cast.partner_with_letter: ("Pat", "Partner"),
        cast.engineer: ("Erin", "Engineer"),
    }.items():
        user.first_name, user.last_name = first, last
        user.save()
    for position, code in enumerate(REGISTRY):
        RequestTypeFactory(
            code=code,
            name=REGISTRY[code].title,
            description=REGISTRY[code].description,
            position=position,
            plans=[cast.tenant_a.plan],
        )
    environments = [
        EnvironmentFactory(tenant=cast.tenant_a, name="Production", version="2026.10"),
        EnvironmentFactory(
            tenant=cast.tenant_a,
            name="UAT sandbox",
            kind=EnvironmentKind.SANDBOX,
            version="2026.11",
        ),
        EnvironmentFactory(
            tenant=cast.tenant_a,
            name="Training sandbox for the finance department",
            kind=EnvironmentKind.SANDBOX,
            version="2026.11",
        ),
    ]
    for index, name in enumerate(["New rich-text editor", "Bulk export API", "Audit trail v2"]):
        flag = ProductFlagFactory(key=f"flag-{index}", name=name)
        EnvironmentFlag.objects.create(environment=environments[1], flag=flag, enabled=True)

    cast.open_case = file_case(cast, "Checkout page returns 500 for EU customers")
    cast.partner_case = file_case(
        cast, "Dashboard charts load slowly", actor=cast.partner_with_letter, priority="P3"
    )
    waiting = file_case(cast, "SSO login loops back to the sign-in page")
    services.case_assign(case_id=waiting.id, actor=cast.engineer, owner=cast.engineer)
    services.case_request_info(
        case_id=waiting.id, actor=cast.engineer, body="Could you send a HAR file?"
    )
    closed = file_case(cast, "Invoice export times out")
    services.case_assign(case_id=closed.id, actor=cast.engineer, owner=cast.engineer)
    services.case_propose_solution(
        case_id=closed.id, actor=cast.engineer, body="Export month by month until 2026.12."
    )
    services.case_accept_solution(case_id=closed.id, actor=cast.contact_a)
    cast.closed_case = closed
    cast.article = ArticleFactory(
        title="Exporting invoices", body="Billing, then Export. Large exports run overnight."
    )
    cast.known_issue = KnownIssueFactory(
        title="Invoice export times out for more than 100,000 rows",
        public_summary="Large exports stop after 60 seconds. Workaround: export month by month.",
    )
    AnnouncementFactory(
        kind="maintenance",
        title="Database upgrade",
        body="The portal is read-only for up to 30 minutes.",
        starts_at=dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC),
    )
    return cast


def sign_in(page, user, password: str = PASSWORD) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


class Audit:
    """Checks a page as it is now and keeps every problem, so one run names them all."""

    def __init__(self, assert_accessible) -> None:
        self.assert_accessible = assert_accessible
        self.problems: list[str] = []
        self.pages: list[str] = []

    def __call__(self, page, name: str) -> None:
        page.wait_for_load_state("load")
        self.pages.append(name)
        try:
            self.assert_accessible(page)
        except AssertionError as failure:
            self.problems.append(f"{name}: {failure}")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            wide = page.evaluate(
                """() => {
                    const edge = document.documentElement.clientWidth + 1;
                    return [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > edge)
                        .slice(0, 5).map(e => e.tagName + '.' + e.className);
                }"""
            )
            self.problems.append(f"{name}: scrolls sideways by {overflow}px at 390px ({wide})")

    def passed(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def audit(assert_accessible) -> Audit:
    return Audit(assert_accessible)


def test_every_page_a_contact_reaches_passes_axe_and_fits_a_phone(
    portal, new_page, audit, screenshot
):
    page = new_page(**PHONE)
    page.goto("/sign-in/")
    audit(page, "sign-in")
    sign_in(page, portal.contact_a, password="not-the-password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    audit(page, "sign-in error")
    sign_in(page, portal.contact_a)
    expect(page.get_by_role("heading", name="Acme Corp cases")).to_be_visible()
    audit(page, "dashboard (open cases)")
    page.goto("/?view=closed")
    audit(page, "case list (closed)")
    page.goto(f"/cases/{portal.open_case.reference}/")
    audit(page, "case page")
    page.get_by_role("button", name="Send reply").click()
    expect(page).to_have_title(re.compile(r"^Error: "))
    audit(page, "reply error")
    page.goto(f"/cases/{portal.closed_case.reference}/")
    audit(page, "closed case page")
    page.get_by_role("link", name="Rate this case").click()
    expect(page.get_by_role("heading", name=re.compile("How did we do"))).to_be_visible()
    audit(page, "survey")
    page.goto("/cases/new/")
    audit(page, "new case")
    page.get_by_role("button", name="File the case").click()
    audit(page, "new case error")
    page.goto("/account/")
    audit(page, "account")
    # The flag matrix scrolls inside its card on a phone, and a keyboard reaches it.
    matrix = page.get_by_role("region", name="Feature flag matrix")
    expect(matrix).to_have_attribute("tabindex", "0")
    assert matrix.evaluate("e => e.scrollWidth > e.clientWidth")
    page.goto("/contacts/")
    expect(page.get_by_role("heading", name=re.compile("contacts", re.I)).first).to_be_visible()
    audit(page, "contacts")
    screenshot(page, "portal-phone-contacts")
    page.goto("/letters/")
    audit(page, "letters")
    page.goto("/requests/")
    audit(page, "requests")
    page.goto("/requests/new/feature_flags/")
    audit(page, "request new (feature flags)")
    page.goto("/account/api-tokens/")
    audit(page, "API tokens")
    page.goto("/status/")
    audit(page, "status (signed in)")
    page.goto(f"/help/articles/{portal.article.id}/")
    audit(page, "article")
    page.goto(f"/help/known-issues/{portal.known_issue.id}/")
    audit(page, "known issue")
    page.goto("/api/v1/docs/")
    expect(page.get_by_role("heading", name=re.compile("SupportDesk API"))).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    audit(page, "API docs")
    audit.passed()


def test_every_page_a_partner_or_a_visitor_reaches_passes_axe_and_fits_a_phone(
    portal, new_page, audit
):
    partner = new_page(**PHONE)
    sign_in(partner, portal.partner_with_letter)
    expect(partner.get_by_text("as Initech Consulting")).to_be_visible()
    audit(partner, "partner: dashboard")
    partner.goto(f"/cases/{portal.partner_case.reference}/")
    audit(partner, "partner: case page")
    partner.goto("/cases/new/")
    audit(partner, "partner: new case")
    partner.goto("/requests/")
    audit(partner, "partner: requests")
    partner.goto("/account/")
    audit(partner, "partner: account")
    partner.goto("/status/")
    audit(partner, "partner: status")

    refused = new_page(**PHONE)
    sign_in(refused, portal.partner_without_letter)
    heading = refused.get_by_role("heading", name="You can't use the portal right now")
    expect(heading).to_be_visible()
    audit(refused, "no access")

    visitor = new_page(**PHONE)
    visitor.goto("/status/")
    audit(visitor, "status (signed out)")
    visitor.goto("/password-reset/")
    audit(visitor, "password reset")
    audit.passed()


def test_a_failed_new_case_moves_focus_to_an_error_summary_whose_links_focus_the_fields(
    portal, new_page, screenshot
):
    page = new_page()
    sign_in(page, portal.contact_a)
    page.goto("/cases/new/")
    expect(page).to_have_title(re.compile(r"^New case"))
    page.get_by_role("button", name="File the case").focus()
    page.keyboard.press("Enter")

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: New case"))
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    screenshot(page, "portal-error-summary", full_page=False)

    # Tab from the summary reaches its first link; Enter on it focuses the field.
    page.keyboard.press("Tab")
    first = summary.get_by_role("link").first
    expect(first).to_be_focused()
    expect(first).to_have_text(re.compile(r"^Summary: "))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Summary")).to_be_focused()
    expect(page.get_by_label("Summary")).to_have_attribute("aria-invalid", "true")

    # A group of radios: its link focuses the first radio, under the legend.
    summary.get_by_role("link", name=re.compile(r"^Category: ")).focus()
    page.keyboard.press("Enter")
    expect(page.locator('input[name="category"]').first).to_be_focused()
    summary.get_by_role("link", name=re.compile(r"^Access to your environment: ")).focus()
    page.keyboard.press("Enter")
    expect(page.locator('input[name="environment_access"]').first).to_be_focused()
    assert not Case.objects.filter(summary="").exists()


def test_an_empty_reply_and_a_failed_sign_in_show_a_summary_tied_to_their_fields(portal, new_page):
    page = new_page()
    sign_in(page, portal.contact_a, password="not-the-password")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    for label in ("Email", "Password"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", re.compile(r"\bsign-in-error\b"))
    expect(page.locator("#sign-in-error")).not_to_be_empty()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Email")).to_be_focused()

    sign_in(page, portal.contact_a)
    page.goto(f"/cases/{portal.open_case.reference}/")
    page.get_by_role("button", name="Send reply").click()
    summary = page.locator("#reply [data-error-summary]")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary.get_by_role("link", name=re.compile(r"^Your reply: ")).click()
    expect(page.get_by_label("Your reply")).to_be_focused()

    # A reply that goes through: its message is put into the live region that was on
    # the page, empty, when it loaded, so a screen reader reads it out.
    page.get_by_label("Your reply").fill("Here is the HAR file you asked for.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("[data-messages]")).to_contain_text("Reply sent")
    announcer = page.locator("[data-announcer]")
    expect(announcer).to_have_attribute("aria-live", "polite")
    expect(announcer).to_have_text("Reply sent.")
    expect(page).not_to_have_title(re.compile(r"^Error"))
    expect(page.locator("[data-messages] [role=alert]")).to_have_count(0)
