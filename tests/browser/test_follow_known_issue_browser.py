"""A customer follows a known issue in the portal, staff move it to another stage (through
the service the staff page calls), and the email waits in the outbox; then the customer
turns that kind of email off on their email preferences. Every page passes axe-core and
has no horizontal overflow on a 390 px phone."""

import datetime as dt
import re

import pytest

from cases import services
from knowledge.models import KnownIssue, KnownIssueFollower
from notifications.models import Notification, NotificationPreference
from tests.cases.helpers import taken
from tests.factories import PASSWORD, KnownIssueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect

FOLLOWED = "known_issue.followed_changed"


def sign_in(page, user) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def assert_fits_a_phone(new_page, cookies, path: str) -> None:
    phone = new_page(width=390, height=844)
    phone.context.add_cookies(cookies)
    phone.goto(path)
    overflow = phone.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 390 px"


def test_customer_follows_a_known_issue_and_turns_its_emails_off(
    cast, new_page, screenshot, assert_accessible
):
    cast.contact_a.first_name, cast.contact_a.last_name = "Ann", "Archer"
    cast.contact_a.save()
    issue = KnownIssueFactory(
        title="Export to CSV drops accented characters",
        public_summary="Exports of names with accents lose them.\n\nWorkaround: export as XLSX.",
        product="SupportDesk Cloud",
        stage=KnownIssue.Stage.IN_DEVELOPMENT,
        target_date=dt.date(2026, 12, 10),
    )
    page = new_page()
    sign_in(page, cast.contact_a)
    expect(page.get_by_role("heading", name="Acme Corp cases")).to_be_visible()

    page.goto(f"/help/known-issues/{issue.id}/")
    assert_accessible(page)
    page.get_by_role("button", name="Follow this known issue").click()
    expect(page.get_by_text(f"You follow {issue}")).to_be_visible()
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-follow-known-issue")
    assert KnownIssueFollower.objects.filter(known_issue=issue, user=cast.contact_a).exists()
    assert_fits_a_phone(new_page, page.context.cookies(), f"/help/known-issues/{issue.id}/")

    services.known_issue_edit(
        known_issue_id=issue.id,
        actor=cast.engineer,
        title=issue.title,
        public_summary=issue.public_summary,
        product=issue.product,
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2026, 12, 17),
    )
    (email,) = Notification.objects.filter(event=FOLLOWED)
    assert email.recipient == cast.contact_a.email
    assert email.payload.open()["context"]["stage"] == "Fix scheduled for release"

    page.get_by_role("link", name="Email preferences").first.click()
    expect(page.get_by_role("heading", name="Email preferences", level=1)).to_be_visible()
    assert_accessible(page)
    followed = page.get_by_label("A known issue I follow moved on or was resolved")
    expect(followed).to_be_checked()
    followed.uncheck()
    page.get_by_role("button", name="Save email preferences").click()
    expect(page.get_by_text("Your email preferences are saved.")).to_be_visible()
    expect(page.get_by_label("A known issue I follow moved on or was resolved")).not_to_be_checked()
    expect(page.get_by_text("A case closes when this email goes unanswered").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-email-preferences")
    assert NotificationPreference.objects.get(user=cast.contact_a, event=FOLLOWED).enabled is False
    assert_fits_a_phone(new_page, page.context.cookies(), "/account/email/")


def test_a_linked_case_shows_its_known_issue_and_the_status_page_its_zone(
    cast, new_page, assert_accessible
):
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()
    issue = KnownIssueFactory(
        title="Export to CSV drops accented characters",
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2026, 12, 10),
    )
    case = taken(cast)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    page = new_page()
    sign_in(page, cast.contact_a)
    expect(page.get_by_role("heading", name="Acme Corp cases")).to_be_visible()

    page.goto(f"/cases/{case.reference}/")
    card = page.get_by_role("region", name="Known issue")
    expect(card.get_by_role("link", name=f"{issue}")).to_be_visible()
    expect(card.get_by_text("target date 10 Dec 2026")).to_be_visible()
    expect(page.get_by_text(f"identified the case as known issue {issue}")).to_be_visible()
    assert_accessible(page)
    assert_fits_a_phone(new_page, page.context.cookies(), f"/cases/{case.reference}/")

    page.goto("/status/")
    expect(page.get_by_text("Times in America/New_York.")).to_be_visible()
    assert_accessible(page)
