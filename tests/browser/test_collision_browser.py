"""Two engineers on one case in two browsers: each sees the other on the page (polled),
one sees the other typing, the first reply goes out and the second is stopped with it
shown, then sent anyway. The "staff-collision" screenshot in the README comes from here."""

import pytest
from django.conf import settings
from django.test import Client

from cases import services
from cases.models import Comment
from tenants.roles import Role
from tests.cases.helpers import file_case
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect

POLL_MS = 10_000


def signed_in(page, live_server, user) -> None:
    """The browser carries a session of `user` (staff sign in with a second step, which
    has its own browser tests); a client each, so one sign-in does not end the other."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_two_engineers_see_each_other_and_the_stale_reply_is_stopped_then_sent_anyway(
    new_page, screenshot, cast, live_server, assert_accessible
):
    eve = cast.engineer
    eve.first_name, eve.last_name = "Eve", "Martin"
    eve.save(update_fields=["first_name", "last_name"])
    ana = UserFactory(
        username="ana@support.test", first_name="Ana", last_name="Lopes", roles=[Role.ENGINEER]
    )
    case = file_case(cast, "Invoice export times out")
    services.case_assign(case_id=case.id, actor=eve, owner=eve)
    url = f"/admin/cases/case/{case.id}/change/"

    # Ana opens the case first; her page's poll runs on a clock the test moves.
    ana_page = new_page(width=1366, height=900)
    ana_page.clock.install()
    signed_in(ana_page, live_server, ana)
    ana_page.goto(url)
    expect(ana_page.locator("#sd-presence")).to_contain_text("Nobody else is on this case")

    eve_page = new_page(width=1366, height=900)
    signed_in(eve_page, live_server, eve)
    eve_page.goto(url)
    expect(eve_page.locator("#sd-presence")).to_contain_text("Also here: Ana Lopes")
    assert_accessible(eve_page)

    # Ana's page learns of Eve at its next poll, without a reload.
    ana_page.clock.run_for(POLL_MS + 500)
    expect(ana_page.locator("#sd-presence")).to_contain_text("Also here: Eve Martin")

    # Eve types a reply; Ana's next poll shows it.
    with eve_page.expect_response(lambda r: r.url.endswith("/presence/")):
        eve_page.fill("#action-reply textarea", "The export worker was restarted; try again.")
    ana_page.fill("#action-reply textarea", "Could you send the HAR file of the export?")
    ana_page.clock.run_for(POLL_MS + 500)
    expect(ana_page.locator("#sd-presence")).to_contain_text("Eve Martin (typing a reply)")
    assert_accessible(ana_page)

    # Eve sends first; Ana's poll says the case moved on.
    with eve_page.expect_navigation():
        eve_page.click("#action-reply input[type=submit]")
    expect(eve_page.locator(".messagelist")).to_contain_text("Reply sent to the customer.")
    ana_page.clock.run_for(POLL_MS + 500)
    expect(ana_page.locator("#sd-presence")).to_contain_text(
        "1 new activity since you opened this page"
    )

    # Ana sends from her older page: stopped, Eve's reply shown, her text kept.
    with ana_page.expect_navigation():
        ana_page.click("#action-reply input[type=submit]")
    conflict = ana_page.locator(".sd-conflict")
    expect(conflict).to_contain_text("New since you opened this page")
    expect(conflict).to_contain_text("Eve Martin")
    expect(conflict).to_contain_text("The export worker was restarted; try again.")
    expect(ana_page.locator("#action-reply textarea")).to_have_value(
        "Could you send the HAR file of the export?"
    )
    assert not Comment.objects.filter(author=ana).exists()
    assert_accessible(ana_page)
    screenshot(ana_page, "staff-collision")

    # One click sends it anyway.
    with ana_page.expect_navigation():
        ana_page.click(".sd-conflict button[name=send_anyway]")
    expect(ana_page.locator(".messagelist")).to_contain_text("Reply sent to the customer.")
    assert list(case.comments.order_by("id").values_list("author__username", flat=True)) == [
        eve.username,
        ana.username,
    ]
    assert_accessible(ana_page)
