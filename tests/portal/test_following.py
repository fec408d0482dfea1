"""The portal's side of issue 18's customer-facing fixes: following a known issue, email
preferences, the known issue on a case page, the status page's zone, and the wording a
customer reads (timeline, details, sign-in error, letters, the no-access page)."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from cases import services
from knowledge.models import KnownIssue, KnownIssueFollower
from notifications.models import NotificationPreference
from tenants.models import AuthorizedContact
from tenants.services import letter_rescind
from tests.cases.helpers import file_case, taken
from tests.factories import (
    AnnouncementFactory,
    EnvironmentFactory,
    KnownIssueFactory,
    SupportPhoneFactory,
)

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    """The page's visible words, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- Following a known issue.


def test_known_issue_page_offers_to_follow_and_following_says_so(client, cast, sign_in):
    issue = KnownIssueFactory()
    sign_in(cast.contact_a)
    page = reverse("portal:known_issue", args=[issue.id])
    assert "Follow this known issue" in client.get(page).content.decode()

    response = client.post(reverse("portal:known_issue_follow", args=[issue.id]))

    assert response.status_code == 302
    assert response["Location"] == page
    assert KnownIssueFollower.objects.filter(known_issue=issue, user=cast.contact_a).exists()
    html = client.get(page).content.decode()
    assert "Stop following" in html
    assert f"You follow {issue}" in html


def test_stop_following_removes_the_follower(client, cast, sign_in):
    issue = KnownIssueFactory()
    KnownIssueFollower.objects.create(known_issue=issue, user=cast.contact_a)
    sign_in(cast.contact_a)
    response = client.post(reverse("portal:known_issue_unfollow", args=[issue.id]), follow=True)
    assert not KnownIssueFollower.objects.exists()
    assert f"You no longer follow {issue}" in response.content.decode()
    assert "Follow this known issue" in response.content.decode()


def test_following_a_missing_known_issue_is_not_found(client, cast, sign_in):
    sign_in(cast.contact_a)
    assert client.post(reverse("portal:known_issue_follow", args=[9999])).status_code == 404


def test_a_resolved_known_issue_offers_nothing_to_follow(client, cast, sign_in):
    issue = KnownIssueFactory(stage=KnownIssue.Stage.RESOLVED)
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:known_issue", args=[issue.id])).content.decode()
    assert "nothing more to follow" in html
    assert "Follow this known issue" not in html


def test_follow_is_a_post_for_the_signed_in_user_only(client, cast, sign_in):
    issue = KnownIssueFactory()
    url = reverse("portal:known_issue_follow", args=[issue.id])
    assert client.post(url)["Location"].startswith(reverse("portal:sign_in"))
    sign_in(cast.partner_without_letter)
    assert client.post(url).status_code == 403
    sign_in(cast.contact_a)
    assert client.get(url).status_code == 405
    assert not KnownIssueFollower.objects.exists()


# --- Email preferences.


def test_preferences_list_the_customer_kinds_with_mandatory_ones_fixed(client, cast, sign_in):
    sign_in(cast.contact_a)
    response = client.get(reverse("portal:email_preferences"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "A known issue I follow moved on or was resolved" in html
    assert "A case of mine is a known issue" in html
    # The mandatory kinds are listed with the reason, and have no checkbox to untick.
    assert "Support needs information" in html
    assert "A case closes when this email goes unanswered" in html
    assert 'value="case.info_requested"' not in html
    # Staff kinds are not a customer's business.
    assert "A case was assigned to me" not in html


def test_unticking_a_kind_turns_it_off_for_the_signed_in_user_only(client, cast, sign_in):
    sign_in(cast.contact_a)
    url = reverse("portal:email_preferences")
    page = client.get(url).content.decode()
    kept = [k for k in re.findall(r'name="kinds" value="([^"]+)"', page) if k != "announcement"]

    response = client.post(url, {"kinds": kept})

    assert response.status_code == 302
    off = NotificationPreference.objects.filter(enabled=False)
    assert list(off.values_list("user_id", "event")) == [(cast.contact_a.id, "announcement")]
    html = client.get(url).content.decode()
    assert re.search(r'value="announcement"(?![^>]*checked)', html)
    assert "Your email preferences are saved." in html


def test_a_posted_mandatory_kind_cannot_be_turned_off(client, cast, sign_in):
    sign_in(cast.contact_a)
    client.post(reverse("portal:email_preferences"), {"kinds": []})
    assert not NotificationPreference.objects.filter(
        event__in=["case.info_requested", "case.follow_up"]
    ).exists()


def test_preferences_need_portal_access(client, cast, sign_in):
    url = reverse("portal:email_preferences")
    assert client.get(url)["Location"].startswith(reverse("portal:sign_in"))
    sign_in(cast.engineer)
    assert client.get(url)["Location"] == reverse("admin:index")
    sign_in(cast.partner_without_letter)
    assert client.get(url).status_code == 403


# --- A linked known issue on the case page.


def test_case_page_links_its_known_issue_with_stage_and_target_date(client, cast, sign_in):
    issue = KnownIssueFactory(
        title="Export to CSV drops accents",
        stage=KnownIssue.Stage.SCHEDULED,
        target_date=dt.date(2027, 1, 15),
    )
    case = taken(cast)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    sign_in(cast.contact_a)
    response = client.get(reverse("portal:case", args=[case.reference]))
    html = response.content.decode()
    text = _text(response)
    link = f'href="{reverse("portal:known_issue", args=[issue.id])}"'
    assert html.count(link) == 2  # the card and the timeline line
    assert f"KI-{issue.id}: Export to CSV drops accents" in text
    assert "Fix scheduled for release · target date 15 Jan 2027" in text
    assert f"identified the case as known issue KI-{issue.id}: Export to CSV drops accents" in text
    assert "ki-" not in html
    assert issue.internal_notes not in html


# --- Wording on the case page.


def test_case_page_shows_the_version_the_customer_typed(client, cast, sign_in):
    case = file_case(cast, product_version="2026.10.3")
    sign_in(cast.contact_a)
    text = _text(client.get(reverse("portal:case", args=[case.reference])))
    assert "Version 2026.10.3" in text


def test_an_environment_named_after_its_kind_is_not_repeated(client, cast, sign_in):
    production = EnvironmentFactory(tenant=cast.tenant_a, name="Production")
    qa = EnvironmentFactory(tenant=cast.tenant_a, name="QA eu-west", kind=2)
    sign_in(cast.contact_a)
    first = file_case(cast, tenant_environment_id=production.id)
    second = file_case(cast, tenant_environment_id=qa.id, environment=2)
    assert "Production (production)" not in _text(
        client.get(reverse("portal:case", args=[first.reference]))
    )
    assert "QA eu-west (sandbox)" in _text(
        client.get(reverse("portal:case", args=[second.reference]))
    )


def test_the_timeline_says_how_a_case_was_filed_in_words(client, cast, sign_in):
    case = file_case(cast)
    sign_in(cast.contact_a)
    text = _text(client.get(reverse("portal:case", args=[case.reference])))
    assert "filed the case (in the portal, priority P2)" in text
    assert "Filed via Portal at P2" not in text


# --- Sign-in, letters, no access.


def test_a_wrong_password_in_the_portal_speaks_of_the_email_asked_for(client, cast):
    response = client.post(
        reverse("portal:sign_in"), {"username": cast.contact_a.email, "password": "wrong"}
    )
    text = _text(response)
    assert "Please enter a correct email and password." in text
    assert "user name" not in text


def test_a_rescinded_letter_shows_when_it_was_rescinded(client, cast, sign_in):
    with time_machine.travel(dt.datetime(2026, 11, 2, 15, 30, tzinfo=dt.UTC), tick=False):
        letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Contract ended.")
    sign_in(cast.contact_a)
    text = _text(client.get(reverse("portal:letters")))
    assert re.search(r"Rescinded 2 Nov 2026, \d\d:30", text)


@override_settings(SUPPORT_EMAIL_ADDRESS="help@support.test")
def test_no_access_page_gives_the_support_number_and_address(client, cast, sign_in):
    SupportPhoneFactory(plan=cast.tenant_a.plan, number="+1 212 555 0100", hours="24×7")
    AuthorizedContact.objects.filter(user=cast.contact_a).update(is_active=False)
    sign_in(cast.contact_a)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'href="tel:+12125550100"' in html
    assert "+1 212 555 0100 (24×7)" in _text(response)
    assert 'href="mailto:help@support.test"' in html


# --- The status page in the viewer's zone.


def test_status_page_shows_times_in_the_signed_in_customers_zone(client, cast, sign_in):
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()
    with time_machine.travel(dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC), tick=False):
        AnnouncementFactory(
            kind="incident",
            title="API errors",
            starts_at=dt.datetime(2026, 12, 4, 14, 0, tzinfo=dt.UTC),
            ends_at=None,
        )
        anonymous = _text(client.get(reverse("portal:status")))
        sign_in(cast.contact_a)
        signed_in = _text(client.get(reverse("portal:status")))
    assert "Times in UTC." in anonymous
    assert "Fri 4 Dec, 14:00 UTC" in anonymous
    assert "Times in America/New_York." in signed_in
    assert "Fri 4 Dec, 09:00 EST" in signed_in
