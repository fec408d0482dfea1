"""Contact onboarding in a real browser: staff approve a contact request in the admin, the
invitation email's link opens the set-password page, a weak password is refused with the
reason, a good one signs the new contact in. Screenshots for the README."""

import re

import pytest
from django.core import mail

from notifications.tasks import send_pending_notifications
from tenants.services import contact_request_create
from tests.factories import PASSWORD
from tests.mfa import staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect

INVITATION_LINK = re.compile(r"https?://\S+/welcome/\d+/[\w-]+/")


def sign_in_to_portal(page, user) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_approved_contact_follows_the_invitation_and_signs_in(
    cast, live_server, new_page, screenshot, settings, assert_accessible
):
    settings.SITE_URL = live_server.url
    for user, (first, last) in {
        cast.contact_a: ("Ann", "Archer"),
        cast.engineer: ("Erin", "Engineer"),
    }.items():
        user.first_name, user.last_name = first, last
        user.save()
    cast.tenant_a.plan.name = "Premier"
    cast.tenant_a.plan.max_portal_contacts = 3
    cast.tenant_a.plan.save()
    contact_request_create(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        first_name="Nina",
        last_name="Newcomer",
        email="nina@acme.test",
        training_completed="Certified Administrator, 2026",
    )

    staff = new_page()
    staff_sign_in(staff, cast.engineer)
    staff.goto("/admin/tenants/contactrequest/")
    staff.locator("input[name=_selected_action]").first.check()
    staff.select_option("select[name=action]", "approve")
    staff.get_by_role("button", name="Run").or_(staff.get_by_role("button", name="Go")).click()
    expect(staff.get_by_text("Requests approved: 1.")).to_be_visible()

    ann = new_page()
    sign_in_to_portal(ann, cast.contact_a)
    ann.goto("/contacts/")
    expect(ann.locator('[data-onboarding="invited"]')).to_have_text("Invited")
    expect(ann.locator('[data-onboarding="active"]')).to_have_text("Active")
    assert_accessible(ann)
    screenshot(ann, "contacts-invited")

    send_pending_notifications()
    (message,) = [m for m in mail.outbox if m.to == ["nina@acme.test"]]
    link = INVITATION_LINK.search(message.body)[0]

    nina = new_page()
    nina.goto(link)
    expect(nina).to_have_url(re.compile(r"/welcome/\d+/set-password/$"))
    expect(nina.get_by_role("heading", name="Welcome, Nina Newcomer")).to_be_visible()
    nina.get_by_label("Choose a password").fill("password")
    nina.get_by_label("Type it again").fill("password")
    nina.get_by_role("button", name="Set my password and sign in").click()
    expect(nina.get_by_text("This password is too common.", exact=True)).to_be_visible()
    assert_accessible(nina)
    screenshot(nina, "invitation")

    nina.get_by_label("Choose a password").fill("Quiet-Harbour-Lantern-42")
    nina.get_by_label("Type it again").fill("Quiet-Harbour-Lantern-42")
    nina.get_by_role("button", name="Set my password and sign in").click()
    expect(nina.get_by_text("Your password is set and you are signed in.")).to_be_visible()
    expect(nina).to_have_url(re.compile(r"/$"))

    nina.goto(link)
    expect(nina.get_by_text("already used")).to_be_visible()

    ann.goto("/contacts/")
    expect(ann.locator('[data-onboarding="active"]')).to_have_count(2)
