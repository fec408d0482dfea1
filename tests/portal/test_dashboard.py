"""The dashboard: a tenant's cases, filters and search, and the partner's tenant switcher."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import State
from tests.cases.helpers import file_case
from tests.cases.test_lifecycle import in_progress
from tests.factories import AnnouncementFactory, CaseFactory, LetterFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/"


def test_dashboard_lists_open_cases_with_state_priority_and_owner(client, cast, sign_in):
    new = file_case(cast, summary="Printer on fire")
    working = in_progress(cast)
    CaseFactory(tenant=cast.tenant_b, summary="Globex secret")
    sign_in(cast.contact_a)
    html = client.get(DASHBOARD).content.decode()
    assert new.reference in html
    assert "Printer on fire" in html
    assert working.reference in html
    assert "In progress" in html
    assert "P2" in html
    assert cast.engineer.get_full_name() in html
    assert "Not yet assigned" in html
    # Bugs carry SLA clocks: both cases promise a first response by a due time.
    assert html.count("We will respond by") == 2
    assert "Globex secret" not in html


def test_next_due_time_is_in_the_customers_words_and_time_zone(client, cast, sign_in):
    cast.tenant_a.time_zone = "Europe/Berlin"
    cast.tenant_a.save()
    case = file_case(cast)
    case.initial_response_due = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
    case.save()
    updating = in_progress(cast)
    services.case_comment(case_id=updating.id, actor=cast.engineer, body="Looking.")
    updating.refresh_from_db()
    updating.next_update_due = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)
    updating.save()
    sign_in(cast.contact_a)
    html = client.get(DASHBOARD).content.decode()
    assert "We will respond by <strong>Tue 24 Nov 10:00 CET</strong>" in html
    assert "We will update you by <strong>Wed 25 Nov 16:30 CET</strong>" in html


def test_cases_waiting_on_the_customer_say_so(client, cast, sign_in):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Send a HAR file.")
    sign_in(cast.contact_a)
    assert "Waiting for your reply" in client.get(DASHBOARD).content.decode()


def test_closed_cases_have_their_own_tab(client, cast, sign_in):
    open_case = file_case(cast, summary="Still open")
    closed = file_case(cast, summary="Long gone")
    services.case_cancel(case_id=closed.id, actor=cast.contact_a, reason="Not needed.")
    sign_in(cast.contact_a)
    open_html = client.get(DASHBOARD).content.decode()
    closed_html = client.get(DASHBOARD, {"view": "closed"}).content.decode()
    assert open_case.reference in open_html
    assert closed.reference not in open_html
    assert closed.reference in closed_html
    assert "Cancelled by customer" in closed_html
    assert open_case.reference not in closed_html


def test_filters_by_state_and_priority_and_searches_reference_or_summary(client, cast, sign_in):
    p1 = file_case(cast, summary="Checkout down", priority="P1")
    p3 = file_case(cast, summary="Typo in footer", priority="P3")
    working = in_progress(cast)
    sign_in(cast.contact_a)

    def refs(**params):
        html = client.get(DASHBOARD, params).content.decode()
        return {c.reference for c in (p1, p3, working) if c.reference in html}

    assert refs(priority="P1") == {p1.reference}
    assert refs(state=State.IN_PROGRESS) == {working.reference}
    assert refs(q="footer") == {p3.reference}
    assert refs(q=p1.reference) == {p1.reference}
    assert refs(q="nothing-matches-this") == set()
    assert "No cases match these filters" in client.get(DASHBOARD, {"q": "zzz"}).content.decode()


def test_htmx_search_returns_only_the_results_region(client, cast, sign_in):
    file_case(cast, summary="Checkout down")
    sign_in(cast.contact_a)
    response = client.get(
        DASHBOARD, {"q": "checkout"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-results"
    )
    html = response.content.decode()
    assert "Checkout down" in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_dashboard_shows_current_announcements(client, cast, sign_in):
    AnnouncementFactory(title="Email delays", kind="incident")
    AnnouncementFactory(title="Draft only", published=False)
    sign_in(cast.contact_a)
    html = client.get(DASHBOARD).content.decode()
    assert "Email delays" in html
    assert "Draft only" not in html


def test_dashboard_costs_a_fixed_number_of_queries(client, cast, sign_in):
    sign_in(cast.contact_a)
    file_case(cast)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as few:
        client.get(DASHBOARD)
    for _ in range(15):
        file_case(cast, actor=cast.partner_with_letter)
    in_progress(cast)
    with CaptureQueriesContext(connection) as many:
        client.get(DASHBOARD)
    assert len(many) == len(few)
    assert len(many) <= 16


def test_contacts_see_partner_filed_cases_and_who_filed_them(client, cast, sign_in):
    case = file_case(cast, actor=cast.partner_with_letter, summary="Filed by the partner")
    sign_in(cast.contact_a)
    html = client.get(DASHBOARD).content.decode()
    assert case.reference in html
    assert "Initech Consulting" in html


def test_partner_switcher_lists_only_tenants_with_an_active_letter(client, cast, sign_in):
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    other = LetterFactory(partner=cast.partner, tenant__name="Umbrella", status="rescinded")
    sign_in(cast.partner_with_letter)
    html = client.get(DASHBOARD).content.decode()
    assert 'name="tenant"' in html
    assert "Acme Corp" in html
    assert "Globex" in html
    assert other.tenant.name not in html


def test_partner_switches_tenant_and_sees_that_tenants_cases(client, cast, sign_in):
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    a_case = file_case(cast, actor=cast.partner_with_letter)
    b_case = file_case(cast, actor=cast.contact_b, tenant_id=cast.tenant_b.id)
    sign_in(cast.partner_with_letter)
    html = client.get(DASHBOARD).content.decode()
    assert a_case.reference in html
    assert b_case.reference not in html
    response = client.post(reverse("portal:switch_tenant"), {"tenant": cast.tenant_b.id})
    assert response.url == DASHBOARD
    html = client.get(DASHBOARD).content.decode()
    assert b_case.reference in html
    assert a_case.reference not in html


def test_switching_to_a_tenant_without_access_is_not_found(client, cast, sign_in):
    sign_in(cast.partner_with_letter)
    for value in (cast.tenant_b.id, "abc", ""):
        assert client.post(reverse("portal:switch_tenant"), {"tenant": value}).status_code == 404
    sign_in(cast.contact_a)
    assert (
        client.post(reverse("portal:switch_tenant"), {"tenant": cast.tenant_b.id}).status_code
        == 404
    )


def test_session_tenant_is_checked_on_every_request(client, cast, sign_in):
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    sign_in(cast.partner_with_letter)
    client.post(reverse("portal:switch_tenant"), {"tenant": cast.tenant_b.id})
    # A rescinded letter ends the partner's sessions outright (tests/isolation); a tenant
    # made inactive does not, and the session's chosen tenant is checked again.
    cast.tenant_b.is_active = False
    cast.tenant_b.save()
    response = client.get(DASHBOARD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "You no longer have access to Globex" in html
    assert "Acme Corp cases" in html
