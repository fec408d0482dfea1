"""Known issues, articles and product feedback in the staff admin."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import CloseReason, State
from knowledge.models import Article, KnownIssue, ProductFeedback
from knowledge.services import article_vote
from tests.factories import ArticleFactory, CaseFactory, KnownIssueFactory, category

pytestmark = pytest.mark.django_db

ISSUES = reverse("admin:knowledge_knownissue_changelist")
ARTICLES = reverse("admin:knowledge_article_changelist")


def linked_open_case(cast, issue: KnownIssue, tenant=None):
    case = CaseFactory(tenant=tenant or cast.tenant_a, state=State.IN_PROGRESS)
    services.case_link_known_issue(case_id=case.id, actor=cast.engineer, known_issue_id=issue.id)
    return case


def test_known_issue_added_through_the_admin_is_created_by_the_service(client, cast):
    client.force_login(cast.engineer)
    response = client.post(
        reverse("admin:knowledge_knownissue_add"),
        {
            "title": "Invoices export times out",
            "public_summary": "Export one month at a time.",
            "internal_notes": "",
            "product": "Billing",
            "stage": "in_development",
            "target_date": "",
        },
    )
    assert response.status_code == 302
    issue = KnownIssue.objects.get()
    assert (issue.created_by, issue.stage) == (cast.engineer, "in_development")


def test_known_issue_form_shows_the_services_rules_in_place(client, cast):
    client.force_login(cast.engineer)
    response = client.post(
        reverse("admin:knowledge_knownissue_add"),
        {"title": "x", "public_summary": "y", "stage": "scheduled", "target_date": ""},
    )
    assert response.status_code == 200
    assert "needs its target date" in str(response.context["adminform"].form.errors)
    assert ("resolved", "Resolved") not in response.context["adminform"].form.fields[
        "stage"
    ].choices
    assert not KnownIssue.objects.exists()


def test_known_issue_page_lists_linked_cases_and_offers_resolution_to_triage_leads(client, cast):
    issue = KnownIssueFactory()
    case = linked_open_case(cast, issue)
    change = reverse("admin:knowledge_knownissue_change", args=[issue.id])
    client.force_login(cast.engineer)
    response = client.get(change)
    assert case.reference in response.content.decode()
    assert "resolve_url" not in response.context
    client.force_login(cast.triage_lead)
    assert "resolve_url" in client.get(change).context


def test_resolving_from_the_admin_closes_the_linked_open_cases(client, cast):
    issue = KnownIssueFactory(title="Export times out")
    cases = [linked_open_case(cast, issue), linked_open_case(cast, issue, cast.tenant_b)]
    url = reverse("admin:knowledge_knownissue_resolve", args=[issue.id])
    client.force_login(cast.engineer)
    assert client.get(url).status_code == 403
    client.force_login(cast.triage_lead)
    response = client.get(url)
    assert response.context["open_count"] == 2
    response = client.post(url, {"note": "Fixed in 2026.11."})
    assert response.status_code == 302
    for case in cases:
        case.refresh_from_db()
        assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.KNOWN_ISSUE_RESOLVED)
    issue.refresh_from_db()
    assert issue.is_resolved
    # A resolved issue is shown, not edited.
    page = client.get(reverse("admin:knowledge_knownissue_change", args=[issue.id]))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]


def test_bulk_resolve_action_is_a_triage_leads_and_goes_through_the_service(client, cast):
    issue = KnownIssueFactory()
    case = linked_open_case(cast, issue)
    client.force_login(cast.engineer)
    assert client.get(ISSUES).context["action_form"] is None  # no action offered at all
    client.force_login(cast.triage_lead)
    client.post(
        ISSUES,
        {
            "action": "resolve_and_close_linked_cases",
            "_selected_action": [issue.id],
            "apply": "1",
            "action_text": "Fixed.",
        },
    )
    case.refresh_from_db()
    assert case.close_reason == CloseReason.KNOWN_ISSUE_RESOLVED


def test_known_issue_list_counts_open_linked_cases_and_searches_text(client, cast):
    issue = KnownIssueFactory(title="Invoice export times out")
    KnownIssueFactory(title="Login loop", public_summary="SSO clock skew.")
    linked_open_case(cast, issue)
    client.force_login(cast.engineer)
    response = client.get(ISSUES + "?q=invoice")
    (found,) = response.context["cl"].result_list
    assert (found, found.open_case_count) == (issue, 1)


def test_article_written_in_the_admin_is_a_draft_until_a_triage_lead_publishes(client, cast):
    client.force_login(cast.engineer)
    response = client.post(
        reverse("admin:knowledge_article_add"),
        {
            "title": "Rotating the API key",
            "slug": "",
            "summary": "",
            "body": "Open Settings.",
            "product": "",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert (article.slug, article.is_published, article.author) == (
        "rotating-the-api-key",
        False,
        cast.engineer,
    )
    publish = {"action": "publish", "_selected_action": [article.id]}
    response = client.post(ARTICLES, publish)
    assert any("triage lead" in str(m) for m in response.wsgi_request._messages)
    article.refresh_from_db()
    assert not article.is_published
    client.force_login(cast.triage_lead)
    client.post(ARTICLES, publish)
    article.refresh_from_db()
    assert article.is_published


def test_article_slug_clash_is_shown_on_the_form(client, cast):
    ArticleFactory(slug="rotate")
    client.force_login(cast.engineer)
    response = client.post(
        reverse("admin:knowledge_article_add"),
        {"title": "Rotate", "slug": "rotate", "summary": "", "body": "x", "product": ""},
    )
    assert response.status_code == 200
    assert "already uses" in str(response.context["adminform"].form.errors)


def test_editing_a_published_article_is_refused_for_an_engineer_with_a_message(client, cast):
    article = ArticleFactory(is_published=True, title="Original")
    client.force_login(cast.engineer)
    url = reverse("admin:knowledge_article_change", args=[article.id])
    response = client.post(
        url, {"title": "Changed", "slug": article.slug, "summary": "", "body": "x", "product": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == url
    article.refresh_from_db()
    assert article.title == "Original"


def test_article_search_uses_the_knowledge_search(client, cast):
    ArticleFactory(title="Rotating the API signing key", is_published=True)
    ArticleFactory(title="Exporting invoices")
    client.force_login(cast.engineer)
    response = client.get(ARTICLES + "?q=signing+key")
    assert [a.title for a in response.context["cl"].result_list] == ["Rotating the API signing key"]


def test_product_feedback_list_and_status_set_by_a_manager(client, cast):
    case = CaseFactory(tenant=cast.tenant_a, state=State.IN_PROGRESS)
    feedback = services.case_transfer_enhancement(
        case_id=case.id, actor=cast.engineer, description="Weekly exports"
    )
    url = reverse("admin:knowledge_productfeedback_changelist")
    client.force_login(cast.engineer)
    response = client.get(url)
    assert case.reference in response.content.decode()
    data = {
        "action": "set_status",
        "_selected_action": [feedback.id],
        "apply": "1",
        "status": "planned",
        "note": "",
    }
    client.post(url, data)
    feedback.refresh_from_db()
    assert feedback.status == ProductFeedback.Status.RECEIVED
    client.force_login(cast.manager)
    client.post(url, data)
    feedback.refresh_from_db()
    assert feedback.status == ProductFeedback.Status.PLANNED


def test_the_article_list_and_page_show_staff_the_readers_helpful_counts(client, cast):
    article = ArticleFactory(title="Rotating the API key")
    for reader, helpful in ((cast.contact_a, True), (cast.contact_b, True)):
        article_vote(article_id=article.id, actor=reader, helpful=helpful)
    article_vote(article_id=article.id, actor=cast.partner_with_letter, helpful=False)
    client.force_login(cast.engineer)

    listing = client.get(ARTICLES)
    row = next(r for r in listing.context["cl"].result_list if r.id == article.id)
    assert (row.yes_votes, row.no_votes) == (2, 1)
    page = client.get(reverse("admin:knowledge_article_change", args=[article.id]))
    assert "Helpful: yes" in page.content.decode()


def test_an_article_saved_in_the_admin_keeps_its_category(client, cast):
    billing = category("billing", "Billing")
    client.force_login(cast.engineer)
    response = client.post(
        reverse("admin:knowledge_article_add"),
        {
            "title": "Invoices",
            "slug": "",
            "summary": "",
            "body": "x",
            "product": "",
            "category": billing.id,
        },
    )
    assert response.status_code == 302
    assert Article.objects.get().category == billing
