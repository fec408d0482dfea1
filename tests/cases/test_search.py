"""The one search box (cases.selectors.case_search): staff in the queue, customers in the
portal."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import CloseReason, Comment, State
from cases.selectors import case_search, cases_for, queue_for
from tests.factories import CaseFactory, UserFactory

QUEUE = reverse("admin:cases_case_changelist")
PORTAL = reverse("portal:dashboard")


def closed_case(**fields: object):
    return CaseFactory(
        state=State.CLOSED, close_reason=CloseReason.RESOLVED, closed_at=timezone.now(), **fields
    )


def queue_refs(client, user, query: str) -> list[str]:
    client.force_login(user)
    return [c.reference for c in client.get(QUEUE + query).context["cl"].result_list]


def portal_refs(client, user, query: str) -> list[str]:
    client.force_login(user)
    return [c.reference for c in client.get(PORTAL + query).context["page"].object_list]


def test_exact_reference_finds_a_closed_case_whatever_the_state_filter(client, cast):
    case = closed_case(tenant=cast.tenant_a, summary="Old outage")
    CaseFactory(tenant=cast.tenant_a, summary="Open one")
    short = f"{case.tenant.reference_prefix.lower()}-{case.number}"
    # The queue shows open cases by default, and the filter may say "New" too.
    assert queue_refs(client, cast.engineer, f"?q={case.reference}") == [case.reference]
    assert queue_refs(client, cast.engineer, f"?q={short}") == [case.reference]
    assert queue_refs(client, cast.engineer, f"?state=new&q={short}") == [case.reference]
    # Words still obey the state filter: the closed case's summary is not in the open view.
    assert queue_refs(client, cast.engineer, "?q=outage") == []
    assert queue_refs(client, cast.engineer, "?state=all&q=outage") == [case.reference]


def test_search_by_contact_email_finds_the_cases_they_reported(client, cast):
    theirs = CaseFactory(tenant=cast.tenant_a, reporter=cast.contact_a)
    CaseFactory(tenant=cast.tenant_a, reporter=UserFactory(username="zed@acme.test"))
    assert queue_refs(client, cast.engineer, "?q=ann@acme.test") == [theirs.reference]
    assert queue_refs(client, cast.engineer, "?q=ANN@acme") == [theirs.reference]


def test_search_finds_words_of_the_description_and_of_comments(cast):
    described = CaseFactory(tenant=cast.tenant_a, description="The nightly reconciliation")
    commented = CaseFactory(tenant=cast.tenant_b, summary="Export fails")
    Comment.objects.create(case=commented, body="Reconciliation job stalls after midnight")
    CaseFactory(tenant=cast.tenant_a, summary="Unrelated")
    found = case_search(queue_for(cast.engineer), "reconciliation", viewer=cast.engineer)
    assert set(found) == {described, commented}
    # Every word must match, in one place.
    assert list(case_search(queue_for(cast.engineer), "export fails", viewer=cast.engineer)) == [
        commented
    ]


def test_customers_do_not_find_a_case_by_words_of_an_internal_note(cast):
    case = CaseFactory(tenant=cast.tenant_a, summary="Slow reports")
    Comment.objects.create(case=case, body="Suspect the flakyshard cluster", public=False)
    assert list(case_search(cases_for(cast.engineer), "flakyshard", viewer=cast.engineer)) == [case]
    assert not case_search(cases_for(cast.contact_a), "flakyshard", viewer=cast.contact_a)


def test_portal_search_covers_open_and_closed_cases(client, cast):
    open_case = CaseFactory(tenant=cast.tenant_a, summary="Invoice totals wrong")
    old = closed_case(tenant=cast.tenant_a, summary="Invoice missing")
    assert set(portal_refs(client, cast.contact_a, "?q=invoice")) == {
        open_case.reference,
        old.reference,
    }
    # From either tab, and by the closed case's exact reference.
    assert portal_refs(client, cast.contact_a, f"?view=closed&q={old.reference}") == [old.reference]
    assert portal_refs(client, cast.contact_a, f"?q={old.reference}") == [old.reference]
    page = client.get(PORTAL + "?q=invoice").content.decode()
    assert "Open and closed cases matching the search" in page


SEARCHES = {
    "reference": lambda case: case.reference,
    "reporter's email": lambda case: "ann@acme.test",
    "summary words": lambda case: "confidential merger",
    "comment words": lambda case: "quarterly",
}


@pytest.mark.parametrize("outsider", ["contact_b", "partner_without_letter"])
@pytest.mark.parametrize("search", SEARCHES)
def test_customers_never_find_another_tenants_case(client, cast, outsider, search):
    case = closed_case(tenant=cast.tenant_a, reporter=cast.contact_a, summary="Confidential merger")
    Comment.objects.create(case=case, body="Quarterly numbers attached")
    text = SEARCHES[search](case)
    user = getattr(cast, outsider)
    assert not case_search(cases_for(user), text, viewer=user).exists()
    # The insider finds it, so the outsider's empty answer is isolation, not a dud search.
    assert list(case_search(cases_for(cast.contact_a), text, viewer=cast.contact_a)) == [case]
    if outsider == "contact_b":
        assert portal_refs(client, user, f"?q={text}") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL's ts_rank")
def test_best_match_comes_first_summary_before_description_before_comments(client, cast):
    in_comment = CaseFactory(tenant=cast.tenant_a, summary="Something else", priority="P1")
    Comment.objects.create(case=in_comment, body="The webhook retries forever")
    in_description = CaseFactory(
        tenant=cast.tenant_a, summary="Another thing", description="A webhook problem"
    )
    in_summary = CaseFactory(tenant=cast.tenant_a, summary="Webhook retries", priority="P4")
    # The queue's own order would put the P1 first; the search ranks by the match.
    assert queue_refs(client, cast.engineer, "?q=webhook") == [
        in_summary.reference,
        in_description.reference,
        in_comment.reference,
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_word_search_reads_the_full_text_indexes(cast):
    CaseFactory(tenant=cast.tenant_a, summary="Webhook retries")
    found = case_search(queue_for(cast.engineer), "webhook", viewer=cast.engineer)
    with connection.cursor() as cursor:
        # A tiny table is cheaper to scan: take that way away, so the plan shows whether
        # the expressions match the GIN indexes of migration 0020 at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = found.explain()
    assert "case_search_document" in plan, plan
    assert "comment_search_document" in plan, plan
