"""A support manager edits a plan in a real browser: a target as a number and a unit,
a category withdrawn with a checkbox; the page is accessible and fits 1280 px. The
README's "staff-plan-editor" screenshot comes from this test."""

import pytest
from django.conf import settings

from tenants.models import PlanCategory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


def signed_in(page, client, live_server, user) -> None:
    """The browser carries a session of `user` (staff sign in with a second step, which
    has its own browser tests)."""
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_manager_sets_a_target_by_number_and_unit_and_withdraws_a_category(
    new_page, screenshot, cast, client, live_server, assert_accessible
):
    plan = cast.tenant_a.plan
    page = new_page(width=1280, height=900)
    signed_in(page, client, live_server, cast.manager)
    page.goto(f"/admin/tenants/supportplan/{plan.id}/change/")
    expect(page.get_by_role("heading", name="Plan priorities")).to_be_visible()
    assert_accessible(page)
    assert no_horizontal_overflow(page)

    p2 = plan.priorities.get(code="P2")
    index = list(plan.priorities.order_by("rank")).index(p2)
    number = page.get_by_label("Initial response: number", exact=True).nth(index)
    number.fill("4")
    page.get_by_label("Initial response: unit", exact=True).nth(index).select_option(
        label="business hours"
    )
    meaning = page.locator(".sd-target-meaning").nth(index * 4)
    expected = f"4 business hours on the plan's calendar ({plan.calendar})"
    expect(meaning).to_have_text(expected)
    number.fill("1")
    expect(meaning).to_have_text(expected.replace("4 business hours", "1 business hour"))
    number.fill("4")
    page.locator("input[name=categories_offered][value=question]").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    p2.refresh_from_db()
    assert p2.initial_response == "4bh"
    offered = set(PlanCategory.objects.filter(plan=plan).values_list("category__code", flat=True))
    assert "question" not in offered
    assert "bug" in offered
    expect(page.locator(".sd-target-meaning").nth(index * 4)).to_have_text(expected)
    expect(page.locator("input[name=categories_offered][value=question]")).not_to_be_checked()
    assert_accessible(page)
    assert no_horizontal_overflow(page)
    screenshot(page, "staff-plan-editor")
