"""An engineer links a case to its GitHub issue from the staff case page in a real browser
and sees the issue's key among the case's facts, a link to the tracker. Every page passes
axe; the README's screenshot "staff-tracker-link" comes from this test."""

import pytest
from django.conf import settings

from cases.models import Case
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect

GITHUB = "https://github.com/acme/app/issues/42"


def signed_in(page, client, live_server, user) -> None:
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_engineer_links_a_github_issue_and_sees_its_key_on_the_case_page(
    new_page, screenshot, cast, client, live_server, assert_accessible
):
    case = file_case(cast, "Invoices export times out")
    page = new_page(width=1280, height=900)
    signed_in(page, client, live_server, cast.engineer)

    page.goto(f"/admin/cases/case/{case.id}/change/")
    page.click("#action-link_tracker summary")
    page.wait_for_selector("#action-link_tracker input[type=url]")
    page.locator("#action-link_tracker").get_by_label("Tracker issue URL").fill(
        "http://github.com/acme/app/issues/42"
    )
    assert_accessible(page)
    with page.expect_navigation():
        page.click("#action-link_tracker input[type=submit]")
    # Plain http is refused with the field's error, the form kept open.
    expect(page.locator("#action-link_tracker")).to_contain_text("https address")
    assert Case.objects.get(id=case.id).tracker_url == ""
    assert_accessible(page)

    page.locator("#action-link_tracker").get_by_label("Tracker issue URL").fill(GITHUB)
    with page.expect_navigation():
        page.click("#action-link_tracker input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("linked to GitHub acme/app#42")
    tracker = page.locator(".sd-facts a.sd-tracker")
    expect(tracker).to_have_text("GitHub acme/app#42")
    expect(tracker).to_have_attribute("href", GITHUB)
    expect(tracker).to_have_attribute("rel", "noopener noreferrer")
    assert_accessible(page)
    screenshot(page, "staff-tracker-link")
