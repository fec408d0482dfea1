"""An engineer in Tokyo picks their time zone on "My preferences"; the case page of a New
York customer then labels every time, and shows the due times in both zones. The README's
"staff-time-zones" screenshot comes from this test."""

import pytest

from cases import services
from tests.browser.test_audit_browser import signed_in
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


def test_an_engineer_sets_their_zone_and_the_case_page_shows_both_labelled_times(
    new_page, screenshot, cast, client, live_server, assert_accessible
):
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save(update_fields=["time_zone"])
    case = file_case(cast, "Invoice export times out", priority="P1")
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    page = new_page(width=1400, height=900)
    signed_in(page, client, live_server, cast.engineer)

    page.goto("/admin/")
    page.click("text=My preferences (UTC)")
    expect(page.locator("h1")).to_have_text("My preferences")
    assert_accessible(page)
    page.select_option("#id_time_zone", "Asia/Tokyo")
    with page.expect_navigation():
        page.click("input[type=submit][value=Save]")
    expect(page.locator(".messagelist")).to_contain_text("Times now show in Asia/Tokyo")
    expect(page.locator("#user-tools")).to_contain_text("My preferences (JST)")

    page.goto(f"/admin/cases/case/{case.id}/change/")
    due_times = page.locator(".due-times__table")
    first_row = due_times.locator("tbody tr").first
    expect(first_row).to_contain_text("EST customer")
    expect(first_row).to_contain_text("JST your time")
    # Received, in the engineer's zone and labelled (the clock stands at 14:30 UTC).
    expect(page.locator(".sd-facts")).to_contain_text("Mon 23 Nov 23:30 JST")
    assert_accessible(page)
    screenshot(page, "staff-time-zones")

    page.goto("/admin/cases/case/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("EST")
    expect(row).to_contain_text("JST")
    assert_accessible(page)
