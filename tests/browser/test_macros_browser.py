"""A keyboard-only walk of an engineer: the queue (j / k / Enter) → the case → ] and [
through the queue → m, the macro picker → a macro's preview → "Apply and send"; the reply
on the timeline and the state it set. `?` lists the shortcuts. The README's screenshots
"staff-macro-preview" and "staff-keyboard-help" come from this test."""

import pytest
from django.conf import settings

from cases import services
from cases.models import Case, Comment, MacroStateAction, State
from tests.cases.helpers import file_case
from tests.factories import MacroFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def desk(cast, frozen_clock):
    """Two cases the engineer works and a shared macro that proposes a solution."""
    cast.contact_a.first_name, cast.contact_a.last_name = "Ann", "Archer"
    cast.contact_a.save()
    cast.engineer.first_name, cast.engineer.last_name = "Eve", "Engel"
    cast.engineer.save()
    cases = [
        file_case(cast, "Invoice export times out", priority="P1"),
        file_case(cast, "Dashboard loads slowly", priority="P3"),
    ]
    for case in cases:
        services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    MacroFactory(
        name="Propose: clear the export cache",
        body=(
            "Hello {customer_name}, for {case_reference} please clear the export cache "
            "and try again. {engineer_name}"
        ),
        state_action=MacroStateAction.PROPOSE_SOLUTION,
        internal_note="Known cache bug; proposed by macro.",
    )
    return cases


def signed_in(page, client, live_server, user) -> None:
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _focused(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.id || e.getAttribute('name') || e.textContent.trim(); }"
    )


def test_keyboard_walk_from_the_queue_to_a_macro_sent(
    new_page, screenshot, cast, desk, client, live_server, assert_accessible
):
    first, second = desk
    page = new_page(width=1400, height=900)
    signed_in(page, client, live_server, cast.engineer)
    page.goto("/admin/cases/case/")
    assert_accessible(page)

    # The queue: j, j, k comes back to the first row (P1 first); Enter opens it.
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("sd-kb-current")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class("sd-kb-current")
    assert first.reference in rows.nth(0).inner_text()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/admin/cases/case/{first.id}/change/")

    # ] and [ follow the queue's order.
    with page.expect_navigation():
        page.keyboard.press("]")
    assert page.url.endswith(f"/admin/cases/case/{second.id}/change/")
    with page.expect_navigation():
        page.keyboard.press("[")
    assert page.url.endswith(f"/admin/cases/case/{first.id}/change/")
    assert_accessible(page)

    # ? lists the shortcuts in a modal dialog; Esc closes it.
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Choose a macro")
    assert_accessible(page)
    screenshot(page, "staff-keyboard-help", full_page=False)
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # m: the macro picker; the arrow picks the macro and its preview loads (htmx).
    page.keyboard.press("m")
    assert _focused(page) == "macro-picker"
    page.keyboard.press("ArrowDown")
    preview = page.locator("#macro-result")
    expect(preview).to_contain_text("Send the reply as a proposed solution.")
    expect(preview).to_contain_text("Add an internal note: Known cache bug; proposed by macro.")
    body = page.locator("#macro-body")
    expect(body).to_have_value(
        f"Hello Ann Archer, for {first.reference} please clear the export cache "
        "and try again. Eve Engel"
    )
    assert_accessible(page)
    screenshot(page, "staff-macro-preview")

    # Tab into the reply, edit it, Tab to "Apply and send", Enter.
    for _ in range(4):
        if _focused(page) == "macro-body":
            break
        page.keyboard.press("Tab")
    assert _focused(page) == "macro-body"
    page.keyboard.press("Control+End")
    page.keyboard.type(" Thank you!")
    page.keyboard.press("Tab")
    assert _focused(page) == "macro-apply"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator(".messagelist")).to_contain_text("Macro “Propose: clear the export cache”")
    expect(page.locator(".sd-timeline")).to_contain_text("Thank you!")
    expect(page.locator(".sd-case-head")).to_contain_text("Solution proposed")
    assert Case.objects.get(id=first.id).state == State.SOLUTION_PROPOSED
    sent = Comment.objects.get(case=first, public=True, by_staff=True)
    assert sent.body.endswith("Eve Engel Thank you!")
    assert_accessible(page)

    # n: an internal note; a shortcut typed inside the text is just text.
    page.keyboard.press("n")
    assert _focused(page) == "id_reply-body"
    expect(page.locator('input[name="reply-visibility"][value="internal"]')).to_be_checked()
    page.keyboard.type("m")
    assert _focused(page) == "id_reply-body"
    expect(page.locator('textarea[name="reply-body"]')).to_have_value("m")


def test_t_takes_the_case_and_slash_searches_the_queue(
    new_page, cast, client, live_server, assert_accessible, frozen_clock
):
    case = file_case(cast, "Nobody owns this yet")
    page = new_page()
    signed_in(page, client, live_server, cast.engineer)
    page.goto("/admin/cases/case/")
    page.goto(f"/admin/cases/case/{case.id}/change/")
    with page.expect_navigation():
        page.keyboard.press("t")
    expect(page.locator(".messagelist")).to_contain_text(f"{case.reference} is yours.")
    assert Case.objects.get(id=case.id).owner == cast.engineer
    with page.expect_navigation():
        page.keyboard.press("/")
    assert page.url.endswith("/admin/cases/case/")
    assert _focused(page) == "searchbar"
    assert_accessible(page)
