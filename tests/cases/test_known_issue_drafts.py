"""A known issue recorded from a case carries none of the customer's text (security review,
finding 6): known issues are public to every customer, so a draft that started from the
case's summary put one customer's words in front of all the others."""

import html
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from knowledge.models import KnownIssue
from supportdesk.errors import InvalidInput
from tests.cases.helpers import file_case
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

SECRET_SUMMARY = "Payroll run for Contoso board bonuses fails at step 4"
SECRET_PRODUCT = "Acme payroll fork 7"


@pytest.fixture
def case_a(cast):
    case = file_case(cast, summary=SECRET_SUMMARY, product=SECRET_PRODUCT)
    return services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)


def create_form_url(case) -> str:
    return reverse("admin:cases_case_act", args=[case.id, "create_known_issue"])


def offered_title(client, case) -> str:
    """The title the staff form offers, as a person accepting the draft would send it."""
    page = client.get(create_form_url(case)).content.decode()
    field = re.search(r'<input[^>]*name="create_known_issue-title"[^>]*>', page)
    assert field is not None
    value = re.search(r'value="([^"]*)"', field.group(0))
    return html.unescape(value.group(1)) if value else ""


def pages_tenant_b_reads(cast, issue_ids: list[int]) -> list[str]:
    """Every surface a known issue reaches, as tenant B's contact reads it."""
    browser = APIClient()
    browser.force_login(cast.contact_b)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(cast.contact_b)[1]}")
    words = "payroll contoso bonuses"
    responses = [
        browser.get(reverse("portal:suggestions"), {"summary": words}),
        browser.get(reverse("portal:suggestions"), {"summary": SECRET_SUMMARY}),
        browser.get(reverse("portal:dashboard")),
        browser.get(reverse("portal:status")),
        api.get(reverse("api:known-issues")),
        api.get(reverse("api:known-issues"), {"search": words}),
        *(browser.get(reverse("portal:known_issue", args=[i])) for i in issue_ids),
        *(api.get(reverse("api:known-issue", kwargs={"issue_id": i})) for i in issue_ids),
    ]
    for response in responses:
        assert response.status_code == 200, response.request
    return [response.content.decode() for response in responses]


def test_the_staff_form_starts_with_none_of_the_cases_text(client, cast, case_a):
    client.force_login(cast.engineer)
    page = client.get(create_form_url(case_a)).content.decode()
    form = page[page.index("<form") : page.index("</form>")]
    assert SECRET_SUMMARY not in form
    assert SECRET_PRODUCT not in form
    assert offered_title(client, case_a) == ""


def test_accepting_the_draft_as_offered_publishes_nothing_of_the_customer(client, cast, case_a):
    client.force_login(cast.engineer)
    data = {
        "create_known_issue-title": offered_title(client, case_a),
        "create_known_issue-public_summary": "Exports stop part way; retry after 10 minutes.",
        "create_known_issue-internal_notes": "",
        "create_known_issue-product": "",
        "create_known_issue-stage": "investigating",
        "create_known_issue-target_date": "",
        "create_known_issue-expected_version": case_a.version,
    }
    client.post(create_form_url(case_a), data)
    assert not KnownIssue.objects.filter(title=SECRET_SUMMARY).exists()
    # Staff then name the defect in product terms: tenant B may read that, and only that.
    client.post(create_form_url(case_a), {**data, "create_known_issue-title": "Payroll export"})
    issue = KnownIssue.objects.get()
    assert (issue.title, issue.product) == ("Payroll export", "")
    for body in pages_tenant_b_reads(cast, [issue.id]):
        assert SECRET_SUMMARY not in body
        assert SECRET_PRODUCT not in body


@pytest.mark.parametrize(
    ("title", "public_summary", "refused"),
    [
        (SECRET_SUMMARY, "Exports stop part way.", {"title"}),
        (f"  {SECRET_SUMMARY.upper()} ", "Exports stop part way.", {"title"}),
        ("Payroll export fails", f"Customers report: {SECRET_SUMMARY}.", {"public_summary"}),
    ],
)
def test_a_title_or_public_summary_quoting_the_customer_is_refused(
    cast, case_a, title, public_summary, refused
):
    with pytest.raises(InvalidInput) as error:
        services.case_create_known_issue(
            case_id=case_a.id, actor=cast.engineer, title=title, public_summary=public_summary
        )
    assert set(error.value.field_errors) == refused
    assert "Every customer reads known issues" in error.value.message
    assert not KnownIssue.objects.exists()
    case_a.refresh_from_db()
    assert case_a.known_issue is None


def test_the_cases_product_is_not_copied_to_the_public_known_issue(cast, case_a):
    issue = services.case_create_known_issue(
        case_id=case_a.id,
        actor=cast.engineer,
        title="Payroll export fails",
        public_summary="Exports stop part way; retry after 10 minutes.",
    )
    assert issue.product == ""
