"""Saved queue views (cases.services.saved_views) and the queue's picker."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import SavedQueueView, State
from supportdesk.errors import InvalidInput, NotFound, NotPermitted
from tenants.roles import Role
from tests.factories import CaseFactory, UserFactory

QUEUE = reverse("admin:cases_case_changelist")
SAVE = reverse("admin:cases_case_save_view")


def test_a_personal_view_is_seen_and_changed_by_its_owner_only(cast):
    view = services.saved_view_create(
        actor=cast.engineer, name="My P1s", query="priority=P1", columns=["state_column"]
    )
    colleague = UserFactory(username="ed@support.test", roles=[Role.ENGINEER])
    assert list(services.saved_views_for(cast.engineer)) == [view]
    assert not services.saved_views_for(colleague).exists()
    assert not services.saved_views_for(cast.manager).exists()
    with pytest.raises(NotFound):
        services.saved_view_delete(actor=colleague, view_id=view.id)
    with pytest.raises(NotFound):
        services.saved_view_update(
            actor=cast.manager,
            view_id=view.id,
            name="Taken",
            query="",
            columns=["state_column"],
            order="queue",
            shared=True,
        )
    view.refresh_from_db()
    assert (view.name, view.shared) == ("My P1s", False)


def test_only_a_triage_lead_or_manager_shares_a_view_and_everyone_sees_it(cast):
    with pytest.raises(NotPermitted):
        services.saved_view_create(actor=cast.engineer, name="Team", shared=True)
    assert not SavedQueueView.objects.exists()
    shared = services.saved_view_create(actor=cast.triage_lead, name="Team", shared=True)
    assert list(services.saved_views_for(cast.engineer)) == [shared]
    with pytest.raises(NotPermitted):
        services.saved_view_delete(actor=cast.engineer, view_id=shared.id)
    # Another lead may look after it.
    services.saved_view_update(
        actor=cast.manager,
        view_id=shared.id,
        name="Team queue",
        query="state=new",
        columns=["summary_column", "state_column"],
        order="time_left",
        shared=True,
    )
    shared.refresh_from_db()
    assert (shared.name, shared.query, shared.order) == ("Team queue", "state=new", "time_left")
    services.saved_view_delete(actor=cast.manager, view_id=shared.id)
    assert not SavedQueueView.objects.exists()


def test_customers_have_no_saved_views(cast):
    services.saved_view_create(actor=cast.triage_lead, name="Team", shared=True)
    assert not services.saved_views_for(cast.contact_a).exists()
    with pytest.raises(NotPermitted):
        services.saved_view_create(actor=cast.contact_a, name="Mine")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"columns": ["password"]}, "No such queue column"),
        ({"order": "-id"}, "orders offered"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(cast, fields, message):
    with pytest.raises(InvalidInput, match=message):
        services.saved_view_create(actor=cast.engineer, **{"name": "View", **fields})
    assert not SavedQueueView.objects.exists()


def test_the_same_name_twice_is_refused(cast):
    services.saved_view_create(actor=cast.engineer, name="Mine")
    with pytest.raises(InvalidInput, match="already have a view"):
        services.saved_view_create(actor=cast.engineer, name="Mine")


def test_the_query_keeps_filters_and_search_but_not_the_page_or_the_view(cast):
    view = services.saved_view_create(
        actor=cast.engineer,
        name="Breached",
        query="?sla=breached&p=3&_view=9&o=5&q=export&e=1",
        columns=["due_column", "summary_column"],
    )
    assert view.query == "q=export&sla=breached"
    assert view.columns == ["summary_column", "due_column"]  # the queue's order


def test_saving_from_the_queue_then_opening_the_view_shows_its_columns_and_filters(client, cast):
    new = CaseFactory(tenant=cast.tenant_a, summary="New one")
    CaseFactory(tenant=cast.tenant_a, summary="Taken one", state=State.IN_PROGRESS)
    client.force_login(cast.engineer)
    response = client.post(
        SAVE,
        {
            "name": "New cases",
            "query": "state=new",
            "columns": ["summary_column", "channel_column"],
            "order": "newest",
        },
    )
    view = SavedQueueView.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?state=new&_view={view.id}"
    page = client.get(response["Location"])
    assert [c.reference for c in page.context["cl"].result_list] == [new.reference]
    html = page.content.decode()
    assert "field-channel_column" in html
    assert "field-due_column" not in html
    assert 'aria-current="page">New cases</a>' in html
    # Filtering further keeps the view: the change list's links carry its id.
    assert f"_view={view.id}" in html.split('id="changelist-filter"')[1]


def test_refused_save_shows_the_reason_and_saves_nothing(client, cast):
    client.force_login(cast.engineer)
    response = client.post(
        SAVE, {"name": "Team", "columns": ["state_column"], "shared": "on"}, follow=True
    )
    assert "Only a triage lead may share queue views" in response.content.decode()
    assert not SavedQueueView.objects.exists()


def test_queue_with_a_saved_view_makes_a_fixed_number_of_queries(
    client, cast, django_assert_max_num_queries
):
    services.saved_view_create(actor=cast.triage_lead, name="Team", shared=True)
    view = services.saved_view_create(
        actor=cast.engineer,
        name="Everything",
        query="state=all",
        columns=list(services.QUEUE_COLUMNS),
        order="time_left",
    )
    client.force_login(cast.engineer)
    url = f"{QUEUE}?state=all&_view={view.id}"
    for _ in range(3):
        CaseFactory(tenant=cast.tenant_a)
    client.get(url)  # warm the session and the content types
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(60):
        CaseFactory(tenant=cast.tenant_b)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 50
