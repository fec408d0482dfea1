"""The help centre in a real browser, as a customer: browse by product, search, open an
article and say it helped, then read the known issues and one's history. Every page
passes axe-core and fits a 390 px phone. Screenshots: portal-help-centre,
portal-article-helpful, portal-known-issues (docs/screenshots/ with
SUPPORTDESK_SCREENSHOTS=1)."""

import datetime as dt
import re

import pytest
import time_machine

from knowledge import services
from knowledge.models import ArticleVote, KnownIssue
from tests.factories import PASSWORD, ArticleFactory, category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def help_centre(cast, frozen_clock):
    cast.contact_a.first_name, cast.contact_a.last_name = "Ann", "Archer"
    cast.contact_a.save()
    billing = category("billing", "Billing and invoices")
    access = category("access", "Sign-in and access")
    integrations = category("integrations", "Integrations")
    articles = [
        (
            "Downloading and forwarding invoices",
            "SupportDesk Cloud",
            billing,
            "Where invoices live and how to send them to your accounts team.",
            "Open Billing, then Invoices. Each invoice has a PDF download; Forward sends it "
            "to the billing contacts of your account.",
        ),
        (
            "Changing the billing contact",
            "SupportDesk Cloud",
            billing,
            "Who receives invoices and payment reminders.",
            "An administrator changes the billing contact under Account, Billing.",
        ),
        (
            "Setting up single sign-on with SAML",
            "SupportDesk Cloud",
            access,
            "Connect your identity provider so your people sign in with their company account.",
            "Register SupportDesk as an application in your identity provider, then enter its "
            "metadata URL under Account, Sign-in.",
        ),
        (
            "Resetting two-step sign-in for a colleague",
            "SupportDesk Cloud",
            access,
            "When a colleague lost their phone.",
            "File a case from an administrator's account; we verify and reset it.",
        ),
        (
            "Installing the on-premises agent",
            "SupportDesk Agent",
            integrations,
            "Requirements and the installer for Linux and Windows.",
            "Download the installer for your platform and run it as an administrator.",
        ),
        (
            "Allowlisting our webhook addresses",
            "SupportDesk Agent",
            integrations,
            "The addresses our webhooks come from.",
            "Allow the published address ranges on port 443 in your firewall.",
        ),
    ]
    for title, product, group, summary, body in articles:
        ArticleFactory(title=title, product=product, category=group, summary=summary, body=body)
    ArticleFactory(title="Draft: invoices in a new layout", body="Unreleased.", is_published=False)

    def at(day: int):
        return time_machine.travel(dt.datetime(2026, 11, day, 15, tzinfo=dt.UTC), tick=False)

    def move(issue: KnownIssue, stage: str, target: dt.date | None = None) -> KnownIssue:
        return services.known_issue_update(
            known_issue_id=issue.id,
            actor=cast.engineer,
            title=issue.title,
            public_summary=issue.public_summary,
            internal_notes=issue.internal_notes,
            product=issue.product,
            stage=stage,
            target_date=target,
        )

    with at(3):
        export = services.known_issue_create(
            actor=cast.engineer,
            title="Invoice export times out for accounts with many invoices",
            public_summary="Exports of more than 50,000 invoices time out.\n\n"
            "Workaround: export one month at a time.",
            internal_notes="Root cause: the exporter holds a lock per row.",
            product="SupportDesk Cloud",
        )
    with at(10):
        export = move(export, KnownIssue.Stage.IN_DEVELOPMENT)
    with at(17):
        export = move(export, KnownIssue.Stage.SCHEDULED, dt.date(2026, 12, 8))
    with at(12):
        services.known_issue_create(
            actor=cast.engineer,
            title="Agent stops after a Windows update",
            public_summary="Restart the agent service after the update.",
            product="SupportDesk Agent",
            stage=KnownIssue.Stage.IN_TESTING,
        )
    return {"export": export}


def sign_in(page, user) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Portal")).to_be_visible()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_customer_browses_searches_votes_and_reads_known_issues(
    cast, help_centre, new_page, screenshot, assert_accessible
):
    page = new_page()
    sign_in(page, cast.contact_a)

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Help").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help centre")
    expect(page.get_by_role("link", name="Setting up single sign-on with SAML")).to_be_visible()
    expect(page.get_by_text("Draft: invoices in a new layout")).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "portal-help-centre")

    page.get_by_label("Product").select_option("SupportDesk Agent")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Installing the on-premises agent")).to_be_visible()
    expect(page.get_by_role("link", name="Setting up single sign-on with SAML")).to_have_count(0)
    assert_accessible(page)

    page.get_by_label("Product").select_option("")
    page.get_by_label("Search articles").fill("forward invoices")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="Articles matching “forward invoices”")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Downloading and forwarding invoices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Downloading and forwarding invoices")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, it helped").click()
    expect(page.get_by_text("You answered yes.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-article-helpful")
    vote = ArticleVote.objects.get()
    assert (vote.user_id, vote.helpful) == (cast.contact_a.id, True)

    page.get_by_role("link", name="Help centre").click()
    page.get_by_role("navigation", name="Help centre").get_by_role(
        "link", name="Known issues"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Known issues")
    expect(page.get_by_role("cell", name="8 Dec 2026")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "portal-known-issues")

    page.get_by_role("link", name=f"KI-{help_centre['export'].id}").click()
    history = page.get_by_role("region", name="History")
    expect(history.get_by_role("listitem")).to_have_count(3)
    expect(history).to_contain_text("target 8 Dec 2026")
    expect(page.get_by_text("Root cause")).to_have_count(0)
    assert_accessible(page)


def test_help_pages_fit_a_phone_and_pass_axe(cast, help_centre, new_page, assert_accessible):
    phone = new_page(width=390, height=844)
    sign_in(phone, cast.contact_a)
    pages = [
        "/help/",
        "/help/?q=invoices&product=SupportDesk+Cloud",
        "/help/known-issues/",
        f"/help/known-issues/{help_centre['export'].id}/",
    ]
    for url in pages:
        phone.goto(url)
        assert fits(phone), f"{url} scrolls sideways at 390 px"
        assert_accessible(phone)
    phone.goto("/help/")
    phone.get_by_role("link", name="Downloading and forwarding invoices").click()
    assert fits(phone), "the article page scrolls sideways at 390 px"
    assert_accessible(phone)
