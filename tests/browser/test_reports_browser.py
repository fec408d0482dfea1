"""The SLA reports in a real browser: a manager's reports page and a customer contact's
contract review (on a phone too), each passing axe-core's WCAG 2.1 A/AA audit; the
README's "staff-sla-reports" and "portal-contract-review" screenshots."""

import datetime as dt

import pytest

from cases.models import ELAPSED_BUCKETS_MINUTES, CaseDaily, SatisfactionSurvey, SlaDaily
from cases.services.sla_cycles import sla_totals_rebuild
from tests.browser.conftest import FROZEN_AT
from tests.browser.test_portal_browser import sign_in
from tests.browser.test_staff_home_browser import signed_in
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def figures(cast, frozen_clock):
    """Eight weeks of rollups for both customers, a backlog and one unhappy survey."""
    today = FROZEN_AT.date()
    rows, days = [], []
    for back in range(56):
        day = today - dt.timedelta(days=back)
        for tenant, misses in ((cast.tenant_a, back % 5 == 0), (cast.tenant_b, back % 3 == 0)):
            hist = [0] * (len(ELAPSED_BUCKETS_MINUTES) + 1)
            hist[back % 7] = 3
            rows += [
                SlaDaily(
                    day=day,
                    tenant=tenant,
                    plan=tenant.plan,
                    priority="P2",
                    category="bug",
                    owner=cast.engineer,
                    metric="initial_response",
                    met=3 - misses,
                    breached=int(misses),
                    elapsed_histogram=hist,
                ),
                SlaDaily(
                    day=day,
                    tenant=tenant,
                    plan=tenant.plan,
                    priority="P1",
                    category="outage",
                    owner=cast.engineer,
                    metric="next_update",
                    met=2,
                    breached=back % 4 == 0,
                    elapsed_histogram=hist,
                ),
            ]
            days.append(
                CaseDaily(
                    day=day,
                    tenant=tenant,
                    received=2,
                    closed=2 - back % 2,
                    reopened=int(back % 9 == 0),
                    open_at_end=20 + back % 6,
                )
            )
    SlaDaily.objects.bulk_create(rows)
    sla_totals_rebuild(row.day for row in rows)
    CaseDaily.objects.bulk_create(days)
    case = file_case(cast, "Invoice export times out")
    SatisfactionSurvey.objects.create(
        case=case,
        closed_at=case.created_at,
        service=2,
        timeliness=1,
        quality=3,
        comment="Nobody answered for two days.",
        manager_contact=True,
    )
    return cast


def test_manager_reads_the_sla_reports_and_a_contract_review(
    new_page, client, live_server, figures, assert_accessible, screenshot
):
    page = new_page()
    signed_in(page, client, live_server, figures.manager)
    response = page.goto("/admin/cases/case/reports/?by=tenant")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", name="SLA compliance by customer")).to_be_visible()
    expect(page.get_by_role("img", name="SLA compliance per week")).to_be_visible()
    expect(page.get_by_text("Nobody answered for two days.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "staff-sla-reports")

    page.get_by_label("Customer", exact=True).select_option(label="Globex")
    page.get_by_role("button", name="Open the printable review").click()
    expect(page.get_by_role("heading", name="Contract review: Globex")).to_be_visible()
    assert_accessible(page)


def test_customer_contact_downloads_the_contract_review_on_a_phone(
    new_page, figures, assert_accessible, screenshot
):
    page = new_page()
    sign_in(page, figures.contact_a)
    page.get_by_role("link", name="Contract review").click()
    expect(page.get_by_role("heading", name="Contract review")).to_be_visible()
    expect(page.get_by_role("img", name="Open cases at the end of each day")).to_be_visible()
    assert "Globex" not in page.content()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").first.click()
    assert download.value.suggested_filename.startswith("contract-review-compliance")
    screenshot(page, "portal-contract-review")

    phone = new_page(width=390, height=844)
    sign_in(phone, figures.contact_a)
    phone.goto("/contract-review/")
    expect(phone.get_by_role("heading", name="Contract review")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the contract review must not scroll sideways on a phone"
    assert_accessible(phone)
