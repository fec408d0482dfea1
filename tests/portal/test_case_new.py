"""Filing a case in the portal: every intake field, priorities, attachments, suggestions."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent
from tenants.models import ChannelRule, SupportPhone
from tests.factories import PNG_BYTES, ArticleFactory, ContactFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db

URL = reverse("portal:case_new")


def intake(**overrides):
    data = {
        "summary": "Checkout returns 500 for EU customers",
        "category": "outage",
        "priority": "P2",
        "description": "Since this morning.",
        "steps_to_reproduce": "1. Set country to Germany\n2. Pay",
        "expected_result": "Order confirmation",
        "actual_result": "HTTP 500",
        "business_impact": "2",
        "business_impact_details": "All EU sales stopped.",
        "users_affected": "1200",
        "environment": "1",
        "product": "Shop",
        "product_version": "2026.10",
        "browsers": "Chrome 130",
        "first_seen_at": "2026-11-20T08:30",
        "related_cases": "ACME-00001",
        "environment_access": "granted",
    }
    data.update(overrides)
    return data


def test_form_shows_every_intake_field_and_the_plans_priority_definitions(client, cast, sign_in):
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    for name in intake():
        assert f'name="{name}"' in html, name
    assert 'name="attachments"' in html
    assert "multiple" in html
    assert "Critical impact on the business." in html
    assert "First response within 1 hour, then updates every 1 hour." in html
    assert "First response within next business day" in html
    assert 'enctype="multipart/form-data"' in html


def test_phone_route_shows_beside_p1_when_the_plan_wants_it(client, cast, sign_in):
    sign_in(cast.contact_a)
    assert "data-phone-note" not in client.get(URL).content.decode()
    plan = cast.tenant_a.plan
    plan.priorities.filter(rank=1).update(channel_rule=ChannelRule.PORTAL_AND_PHONE)
    SupportPhone.objects.create(plan=plan, region="All regions", number="+1 212 555 0100")
    html = client.get(URL).content.decode()
    assert "data-phone-note" in html
    assert "+1 212 555 0100" in html
    assert re.search(r'value="P1"\s+data-critical', html)
    assert not re.search(r'value="P2"\s+data-critical', html)


def test_filing_creates_the_case_with_every_field_and_opens_it(client, cast, sign_in):
    cast.tenant_a.time_zone = "Europe/Berlin"
    cast.tenant_a.save()
    sign_in(cast.contact_a)
    files = [
        SimpleUploadedFile("screen.png", PNG_BYTES, content_type="image/png"),
        SimpleUploadedFile("app.log", b"ERROR boom", content_type="text/plain"),
    ]
    response = client.post(URL, {**intake(), "attachments": files})
    case = Case.objects.get()
    assert response.url == reverse("portal:case", args=[case.reference])
    assert case.summary == "Checkout returns 500 for EU customers"
    assert (case.category, case.priority, case.environment_access) == ("outage", "P2", "granted")
    assert (case.business_impact, case.users_affected, case.environment) == (2, 1200, 1)
    assert case.steps_to_reproduce == "1. Set country to Germany\n2. Pay"
    assert case.related_cases == "ACME-00001"
    assert case.first_seen_at.isoformat() == "2026-11-20T07:30:00+00:00"  # 08:30 in Berlin
    assert case.reporter == cast.contact_a
    assert case.partner is None
    assert sorted(case.attachments.values_list("filename", flat=True)) == ["app.log", "screen.png"]
    page = client.get(response.url).content.decode()
    assert f"{case.reference} is filed" in page


def test_partner_filing_records_the_partner(client, cast, sign_in):
    sign_in(cast.partner_with_letter)
    client.post(URL, intake())
    case = Case.objects.get()
    assert case.tenant == cast.tenant_a
    assert case.partner == cast.partner
    assert case.reporter == cast.partner_with_letter


def test_p1_filing_reminds_to_call_when_the_plan_wants_it(client, cast, sign_in):
    plan = cast.tenant_a.plan
    plan.priorities.filter(rank=1).update(channel_rule=ChannelRule.PORTAL_AND_PHONE)
    SupportPhone.objects.create(
        plan=plan, region="All regions", number="+1 212 555 0100", hours="24×7 for P1"
    )
    sign_in(cast.contact_a)
    response = client.post(URL, intake(priority="P1"), follow=True)
    assert "+1 212 555 0100 (24×7 for P1)" in response.content.decode()
    assert "call us as well" in response.content.decode()


def test_missing_fields_come_back_as_field_errors_and_nothing_is_saved(client, cast, sign_in):
    sign_in(cast.contact_a)
    response = client.post(
        URL, intake(summary="  ", category="", priority="", environment_access="")
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The error summary lists each field's error, linked to it; no page message repeats it.
    assert "There is a problem" in html
    assert '<a href="#id_summary">Summary: Give the case a short summary.</a>' in html
    assert "Please correct the case details." not in html
    assert "Give the case a short summary." in html
    assert "Choose a category." in html
    assert "Say whether support may access your environment." in html
    assert 'aria-invalid="true"' in html
    assert "Since this morning.</textarea>" in html  # what was typed is kept
    assert not Case.objects.exists()


def test_unparseable_numbers_are_refused(client, cast, sign_in):
    sign_in(cast.contact_a)
    response = client.post(URL, intake(users_affected="lots"))
    assert response.status_code == 400
    assert "Enter a whole number." in response.content.decode()
    assert not Case.objects.exists()


def test_refused_attachment_gives_a_clear_error_and_files_nothing(client, cast, sign_in, settings):
    # A file over the size limit is refused at the door (tests/cases/test_upload_limits.py).
    sign_in(cast.contact_a)
    files = [
        SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream"),
        SimpleUploadedFile("empty.log", b"", content_type="text/plain"),
    ]
    response = client.post(URL, {**intake(), "attachments": files})
    assert response.status_code == 400
    html = response.content.decode()
    assert "virus.exe: files of type “.exe” are not accepted" in html
    assert "empty.log is empty." in html
    assert "choose the files to attach again" in html
    assert not Case.objects.exists()


def test_upload_rules_are_shown_for_the_browser_to_check_too(client, cast, sign_in, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    settings.ATTACHMENT_MAX_FILES = 3
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 4096
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["png", "log"]
    sign_in(cast.contact_a)
    html = client.get(URL).content.decode()
    assert 'data-max-bytes="2048"' in html
    assert 'data-max-files="3" data-max-total="4096"' in html
    assert 'data-allowed="log,png"' in html
    assert 'accept=".log,.png"' in html
    assert "Up to 3 files, 2.0\xa0KB each and 4.0\xa0KB in all" in html


def test_suggestions_appear_for_the_summary_being_typed(client, cast, sign_in):
    issue = KnownIssueFactory(title="Invoice export times out", public_summary="Filter by month.")
    article = ArticleFactory(title="Exporting invoices", body="Billing > Export.")
    ArticleFactory(title="Invoice drafts", is_published=False)
    sign_in(cast.contact_a)
    html = client.get(reverse("portal:suggestions"), {"summary": "invoice export"}).content.decode()
    assert reverse("portal:known_issue", args=[issue.id]) in html
    assert reverse("portal:article", args=[article.id]) in html
    assert "Invoice drafts" not in html
    empty = client.get(reverse("portal:suggestions"), {"summary": "zebra"}).content.decode()
    assert "No matching articles" in empty


def test_suggestions_need_portal_access(client, cast, sign_in):
    assert client.get(reverse("portal:suggestions"), {"summary": "x"}).status_code == 302
    sign_in(cast.partner_without_letter)
    assert client.get(reverse("portal:suggestions"), {"summary": "x"}).status_code == 403


def test_summary_is_rendered_escaped_everywhere(client, cast, sign_in):
    sign_in(cast.contact_a)
    client.post(URL, intake(summary="<script>alert(1)</script>", description="<b>bold</b>"))
    case = Case.objects.get()
    assert case.events.filter(kind=CaseEvent.Kind.CREATED).exists()
    for url in ("/", reverse("portal:case", args=[case.reference])):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>bold</b>" not in html


@pytest.mark.parametrize("moment", ["2026-11-22T00:00:01+00:00", "2026-11-22T23:59:59+00:00"])
def test_a_contact_whose_access_starts_today_can_file_at_either_end_of_the_day(
    client, cast, sign_in, time_machine, moment
):
    """The portal's check and the filing service read "today" alike, so a contact whose
    access begins today reaches the form and files (no 404 in between)."""
    time_machine.move_to(dt.datetime.fromisoformat(moment), tick=False)
    newcomer = ContactFactory(tenant=cast.tenant_a, effective_from=timezone.localdate()).user
    sign_in(newcomer)
    assert client.get(URL).status_code == 200
    response = client.post(URL, intake(related_cases=""))
    assert response.status_code == 302
    assert Case.objects.get(reporter=newcomer).tenant == cast.tenant_a
