"""Staff times: in the staff user's zone, labelled, and beside SLA times the customer's
(cases/templatetags/staff_time.py), on the case page, the queue, triage and the dashboard."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from cases.admin.case_page import pending_alerts
from cases.templatetags.staff_time import due_pair_html, staff_time_text
from tenants.services import staff_time_zone_set
from tests.cases.helpers import file_case, ny, taken
from tests.factories import KnownIssueFactory

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# Friday 4 December 2026, 14:42 UTC.
INSTANT = dt.datetime(2026, 12, 4, 14, 42, tzinfo=dt.UTC)


def render(text: str, zone: dt.tzinfo, **context: object) -> str:
    with timezone.override(zone):
        return Template("{% load staff_time %}" + text).render(Context(context))


@time_machine.travel(INSTANT)
def test_staff_time_is_in_the_active_zone_with_its_abbreviation():
    html = render("{{ when|staff_time }}", BERLIN, when=INSTANT)
    assert html == '<time datetime="2026-12-04T14:42:00+00:00">Fri 4 Dec 15:42 CET</time>'
    assert render("{{ when|staff_time_short }}", TOKYO, when=INSTANT).endswith(
        ">4 Dec 23:42 JST</time>"
    )


@time_machine.travel(INSTANT)
def test_staff_time_names_the_year_only_when_it_is_not_this_one():
    last_year = INSTANT - dt.timedelta(days=365)
    assert staff_time_text(last_year, zone=BERLIN) == "Thu 4 Dec 2025 15:42 CET"
    assert staff_time_text(INSTANT, zone=BERLIN) == "Fri 4 Dec 15:42 CET"


@time_machine.travel(INSTANT)
def test_staff_time_follows_daylight_saving_time():
    summer = dt.datetime(2026, 7, 3, 13, 42, tzinfo=dt.UTC)
    assert staff_time_text(summer, zone=BERLIN) == "Fri 3 Jul 15:42 CEST"
    assert staff_time_text(summer, zone=NEW_YORK) == "Fri 3 Jul 09:42 EDT"
    assert staff_time_text(INSTANT, zone=NEW_YORK) == "Fri 4 Dec 09:42 EST"


def test_a_missing_time_shows_a_dash():
    assert render("{{ when|staff_time }}|{{ when|due_pair:'UTC' }}", TOKYO, when=None) == "—|—"


@time_machine.travel(INSTANT)
def test_due_pair_shows_the_customers_time_then_the_staff_users_each_labelled():
    html = render("{{ when|due_pair:customer }}", TOKYO, when=INSTANT, customer="America/New_York")
    assert '>Fri 4 Dec 09:42 EST</time> <span class="sd-time-whose">customer</span>' in html
    assert '>Fri 4 Dec 23:42 JST</time> <span class="sd-time-whose">your time</span>' in html
    assert html.index("EST") < html.index("JST")


@time_machine.travel(INSTANT)
def test_due_pair_collapses_to_one_time_when_both_zones_show_the_same():
    same = render("{{ when|due_pair:'Asia/Tokyo' }}", TOKYO, when=INSTANT)
    assert same == '<time datetime="2026-12-04T14:42:00+00:00">Fri 4 Dec 23:42 JST</time>'
    # Paris and Berlin are two zones with one clock.
    paris = render("{{ when|due_pair:'Europe/Paris' }}", BERLIN, when=INSTANT)
    assert "customer" not in paris
    assert "15:42 CET" in paris


@time_machine.travel(INSTANT)
def test_due_pair_does_not_collapse_when_only_daylight_saving_differs():
    # Phoenix keeps MST all year; Denver shares its clock in winter only.
    winter = render(
        "{{ when|due_pair:'America/Phoenix' }}", ZoneInfo("America/Denver"), when=INSTANT
    )
    assert "customer" not in winter
    summer = dt.datetime(2026, 7, 3, 13, 42, tzinfo=dt.UTC)
    with timezone.override(ZoneInfo("America/Denver")):
        html = due_pair_html(summer, "America/Phoenix")
    assert "06:42 MST" in html
    assert "07:42 MDT" in html


def test_due_pair_with_an_unknown_customer_zone_shows_the_staff_time():
    html = render("{{ when|due_pair:'Nowhere/Else' }}", TOKYO, when=INSTANT)
    assert "JST" in html
    assert "customer" not in html


@pytest.fixture
def tokyo_engineer_new_york_customer(cast):
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save(update_fields=["time_zone"])
    staff_time_zone_set(actor=cast.engineer, user_id=cast.engineer.pk, time_zone="Asia/Tokyo")
    return cast


@time_machine.travel(ny(6, 10), tick=False)
def test_case_page_shows_due_times_in_the_customers_and_the_staff_users_zone(
    client, tokyo_engineer_new_york_customer
):
    cast = tokyo_engineer_new_york_customer
    case = taken(cast)
    due = case.initial_response_due
    assert due is not None
    client.force_login(cast.engineer)
    page = client.get(reverse("admin:cases_case_change", args=[case.id])).content.decode()
    customer = staff_time_text(due, zone=NEW_YORK)
    yours = staff_time_text(due, zone=TOKYO)
    assert "EDT" in customer
    assert "JST" in yours
    assert f'>{customer}</time> <span class="sd-time-whose">customer</span>' in page
    assert f'>{yours}</time> <span class="sd-time-whose">your time</span>' in page
    # Received: the staff user's zone, labelled.
    assert staff_time_text(case.created_at, zone=TOKYO) in page
    assert "Mon 6 Apr 23:00 JST" in page


@time_machine.travel(ny(6, 10), tick=False)
def test_scheduled_alerts_show_due_and_send_time_in_one_zone(tokyo_engineer_new_york_customer):
    case = file_case(tokyo_engineer_new_york_customer, priority="P1")
    assert case.sla_alerts
    with timezone.override(TOKYO):
        lines = pending_alerts(case)
    assert lines
    for line in lines:
        assert line.count("JST") == 2, line
        assert "EDT" not in line


@time_machine.travel(ny(6, 10), tick=False)
def test_queue_shows_labelled_times_and_the_customers_time_beside_the_due_time(
    client, tokyo_engineer_new_york_customer
):
    cast = tokyo_engineer_new_york_customer
    case = taken(cast)
    client.force_login(cast.engineer)
    page = client.get(reverse("admin:cases_case_changelist")).content.decode()
    due = case.next_due_at
    assert due is not None
    assert f">{staff_time_text(due, zone=NEW_YORK, short=True)}</time>" in page
    assert f">{staff_time_text(due, zone=TOKYO, short=True)}</time>" in page
    assert ">6 Apr 23:00 JST</time>" in page  # received


@time_machine.travel(ny(6, 10), tick=False)
def test_triage_shows_received_in_the_staff_users_zone(client, cast):
    file_case(cast)
    staff_time_zone_set(actor=cast.triage_lead, user_id=cast.triage_lead.pk, time_zone="Asia/Tokyo")
    client.force_login(cast.triage_lead)
    page = client.get(reverse("admin:cases_case_triage")).content.decode()
    assert ">6 Apr 23:00 JST</time>" in page


@time_machine.travel(ny(6, 10), tick=False)
def test_the_portal_keeps_the_tenants_zone_whatever_the_staff_zone(
    client, tokyo_engineer_new_york_customer
):
    cast = tokyo_engineer_new_york_customer
    case = taken(cast)
    client.force_login(cast.contact_a)
    page = client.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "EDT" in page
    assert "JST" not in page
    assert "your time" not in page


@time_machine.travel(ny(6, 10), tick=False)
def test_known_issues_show_when_they_changed_in_the_staff_users_zone(
    client, tokyo_engineer_new_york_customer
):
    cast = tokyo_engineer_new_york_customer
    issue = KnownIssueFactory()
    client.force_login(cast.engineer)
    listing = client.get(reverse("admin:knowledge_knownissue_changelist")).content.decode()
    assert ">6 Apr 23:00 JST</time>" in listing
    page = reverse("admin:knowledge_knownissue_change", args=[issue.id])
    assert "Mon 6 Apr 23:00 JST" in client.get(page).content.decode()
