"""The audit log records every write, whatever path made it, and every staff read of a
case or a file; only managers and Security read it; it filters by tenant and exports."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEntry
from cases import tasks
from cases.models import Attachment, Case, Comment, ContactAttempt, State
from tenants.models import AuthorizedContact
from tenants.roles import Role
from tests.cases.helpers import file_case, ny, request_info, taken, tenant_form_data
from tests.factories import PASSWORD, ContactFactory, UserFactory, api_token_for

pytestmark = pytest.mark.django_db

Action = AuditEntry.Action
LIST = reverse("admin:audit_auditentry_changelist")
EXPORT = reverse("admin:audit_auditentry_export")


def entries_for(obj, **filters) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk), **filters
        ).order_by("id")
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def test_an_admin_edit_is_recorded_with_who_from_where_and_the_old_and_new_value(client, cast):
    data = tenant_form_data(cast.tenant_a, name="Acme Corporation")
    client.login(username=cast.manager.username, password=PASSWORD)
    url = reverse("admin:tenants_tenant_change", args=[cast.tenant_a.id])
    response = client.post(url, data, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302, response.content.decode()[:2000]
    (entry,) = entries_for(cast.tenant_a, action=Action.UPDATE)
    assert entry.actor == cast.manager
    assert entry.remote_addr == "203.0.113.9"
    assert entry.tenant_id == cast.tenant_a.id
    assert entry.changes["name"] == ["Acme Corp", "Acme Corporation"]
    assert entry.object_repr == "Acme Corporation"


def test_a_service_write_from_the_portal_carries_the_contact_and_the_domain_verb(client, cast):
    colleague = ContactFactory(tenant=cast.tenant_a)
    client.login(username=cast.contact_a.username, password=PASSWORD)
    response = client.post(
        reverse("portal:contact_remove", args=[colleague.id]), {"remove-reason": "Left us."}
    )
    assert response.status_code == 302
    (entry,) = entries_for(colleague, action=Action.UPDATE)
    assert (entry.actor, entry.verb, entry.tenant_id) == (
        cast.contact_a,
        "contact removed",
        cast.tenant_a.id,
    )
    assert entry.remote_addr == "127.0.0.1"
    assert entry.changes["is_active"] == ["True", "False"]
    assert entry.changes["removal_reason"] == ["", "Left us."]


def test_an_api_write_by_token_names_the_tokens_user(cast):
    case = file_case(cast)
    _, secret = api_token_for(cast.contact_a)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.post(
        reverse("api:case-comments", kwargs={"reference": case.reference}), {"body": "Any news?"}
    )
    assert response.status_code == 201, response.content
    comment = Comment.objects.get(body="Any news?")
    (entry,) = entries_for(comment, action=Action.CREATE)
    assert entry.actor == cast.contact_a
    assert entry.tenant_id == cast.tenant_a.id
    assert entry.changes["body"][1] == "[hidden: 9 characters]", "texts are not copied"


def test_a_tasks_writes_are_the_systems_and_name_the_task(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    cases = [request_info(cast, taken(cast)) for _ in range(2)]
    time_machine.move_to(ny(9, 10), tick=False)
    assert tasks.send_follow_ups.apply().get() == 2
    for case in cases:
        attempt = ContactAttempt.objects.get(case=case, number=2)
        (entry,) = entries_for(attempt, action=Action.CREATE)
        assert entry.actor is None
        assert entry.who == "system"
        assert entry.task == "cases.tasks.send_follow_ups"
        assert entry.origin == "task cases.tasks.send_follow_ups"
        assert entry.tenant_id == cast.tenant_a.id
    comments = Comment.objects.filter(case__in=cases, author=None)
    assert AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Comment),
        object_pk__in=[str(c.pk) for c in comments],
        task="cases.tasks.send_follow_ups",
    ).count() == len(cases)


def test_a_sweeps_batch_closure_records_each_case_closed(cast, time_machine):
    """The sweep saves the batch with one UPDATE (no model signals): its entries are
    written for the batch all the same."""
    time_machine.move_to(ny(6, 10), tick=False)
    cases = [request_info(cast, taken(cast)) for _ in range(2)]
    time_machine.move_to(ny(9, 10), tick=False)
    tasks.send_follow_ups.apply()
    time_machine.move_to(ny(30, 10), tick=False)
    assert tasks.close_unanswered_cases.apply().get() == 2
    for case in cases:
        assert Case.objects.get(id=case.id).state == State.CLOSED
        closing = [e for e in entries_for(case, action=Action.UPDATE) if "state" in e.changes]
        assert closing[-1].changes["state"] == [None, State.CLOSED]
        assert closing[-1].changes["close_reason"] == [None, "no_response"]
        assert closing[-1].task == "cases.tasks.close_unanswered_cases"


def test_a_staff_case_view_is_recorded_and_a_refused_action_is_not_a_second(client, cast):
    case = taken(cast)
    signed_in(client, cast.engineer)
    assert client.get(reverse("admin:cases_case_change", args=[case.id])).status_code == 200
    (read,) = entries_for(case, action=Action.ACCESS)
    assert (read.actor, read.verb, read.tenant_id) == (
        cast.engineer,
        "case page opened",
        cast.tenant_a.id,
    )
    assert read.remote_addr == "127.0.0.1"
    refused = client.post(
        reverse("admin:cases_case_act", args=[case.id, "propose_solution"]),
        {"propose_solution-body": "Clear it.", "propose_solution-expected_version": 999},
    )
    assert refused.status_code == 409
    assert len(entries_for(case, action=Action.ACCESS)) == 1


def test_attachment_downloads_by_staff_are_recorded_in_admin_and_api_not_customers(client, cast):
    log = SimpleUploadedFile("server.log", b"ERROR timeout\n", content_type="text/plain")
    case = file_case(cast, attachments=[log])
    attachment = Attachment.objects.get()
    signed_in(client, cast.engineer)
    admin_url = reverse("admin:cases_case_attachment", args=[case.id, attachment.id])
    assert client.get(admin_url).status_code == 200
    api = APIClient()
    api.force_login(cast.manager)
    api_url = reverse("api:attachment-content", kwargs={"attachment_id": attachment.id})
    assert api.get(api_url).status_code == 200
    customer = APIClient()
    customer.force_login(cast.contact_a)
    assert customer.get(api_url).status_code == 200
    reads = entries_for(attachment, action=Action.ACCESS)
    assert [(r.actor, r.verb) for r in reads] == [
        (cast.engineer, "attachment downloaded"),
        (cast.manager, "attachment downloaded"),
    ]
    assert {r.tenant_id for r in reads} == {cast.tenant_a.id}


def test_no_secret_reaches_an_entry_or_the_export(client, cast, security):
    user = UserFactory(username="new@acme.test")
    user.set_password("correct horse battery staple")
    user.save()
    token, secret = api_token_for(cast.contact_a)
    ContactFactory(tenant=cast.tenant_a, user=user)
    password_change = entries_for(user, action=Action.UPDATE)[-1]
    assert password_change.changes["password"][1].startswith("[hidden")
    signed_in(client, security)
    exported = b"".join(client.get(EXPORT).streaming_content).decode()
    stored = "".join(
        str(values) for values in AuditEntry.objects.values_list("changes", "serialized_data")
    )
    for text in (exported, stored):
        assert secret not in text
        assert token.key_hash not in text
        assert user.password not in text
        assert "correct horse" not in text
    assert "key_hash" in exported, "the change is there, its value is not"


@pytest.mark.parametrize("reader", ["manager", "security", "superuser"])
def test_managers_security_and_superusers_read_the_log(client, cast, security, reader):
    user = {
        "manager": cast.manager,
        "security": security,
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }[reader]
    file_case(cast)
    signed_in(client, user)
    assert client.get(LIST).status_code == 200
    entry = AuditEntry.objects.first()
    assert client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("reader", ["engineer", "triage_lead"])
def test_engineers_and_triage_leads_are_refused_the_log(client, cast, reader):
    file_case(cast)
    signed_in(client, getattr(cast, reader))
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    entry = AuditEntry.objects.first()
    assert client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code == 403
    assert "Audit log" not in client.get(reverse("admin:index")).content.decode()


def test_filtering_by_tenant_shows_only_that_tenants_entries(client, cast):
    file_case(cast)
    file_case(cast, actor=cast.contact_b, tenant_id=cast.tenant_b.id, summary="Globex down")
    signed_in(client, cast.manager)
    response = client.get(LIST, {"tenant__id__exact": cast.tenant_b.id})
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown
    assert {entry.tenant_id for entry in shown} == {cast.tenant_b.id}
    assert "Globex down" in response.content.decode()
    assert "Invoices export fails" not in response.content.decode()


def test_the_csv_export_holds_the_filtered_rows_and_is_itself_recorded(client, cast):
    file_case(cast)
    file_case(cast, actor=cast.contact_b, tenant_id=cast.tenant_b.id, summary="Globex down")
    signed_in(client, cast.manager)
    query = {"tenant__id__exact": cast.tenant_a.id, "action__exact": Action.CREATE}
    expected = list(
        AuditEntry.objects.filter(tenant=cast.tenant_a, action=Action.CREATE).values_list(
            "object_pk", flat=True
        )
    )
    response = client.get(EXPORT, query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["object id"] for row in rows) == sorted(expected)
    assert {row["tenant"] for row in rows} == {"Acme Corp"}
    export = AuditEntry.objects.get(action=Action.EXPORT)
    assert export.actor == cast.manager
    assert export.verb == "audit log exported"
    assert f"tenant__id__exact={cast.tenant_a.id}" in export.changes["filter"][1]


def test_a_spreadsheet_formula_in_a_value_is_exported_as_text(client, cast):
    cast.tenant_a.name = "=HYPERLINK(1)"
    cast.tenant_a.save()
    signed_in(client, cast.manager)
    body = b"".join(client.get(EXPORT).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body
    assert ",=HYPERLINK" not in body


def test_the_log_list_costs_the_same_for_few_and_many_entries(
    client, cast, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    file_case(cast)
    signed_in(client, cast.manager)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(5):
        file_case(cast)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).status_code == 200


def test_a_save_outside_any_service_is_recorded_as_the_systems(client, cast):
    """Model signals catch a save whatever made it: no service, no request, no task."""
    contact = AuthorizedContact.objects.get(user=cast.contact_a)
    contact.phone = "+1 555 0100"
    contact.save()
    (entry,) = entries_for(contact, action=Action.UPDATE)
    assert entry.changes["phone"] == ["", "+1 555 0100"]
    assert entry.who == "system", "no request, no task: a shell or a script"


def test_a_role_granted_is_recorded(cast):
    managers = Group.objects.get(name=Role.MANAGER.value)
    cast.engineer.groups.add(managers)
    entry = [e for e in entries_for(cast.engineer) if "groups" in e.changes][-1]
    assert entry.changes["groups"] == {
        "type": "m2m",
        "operation": "add",
        "objects": [Role.MANAGER.value],
    }


def test_a_reply_by_email_is_recorded_as_its_senders(cast):
    from cases.services import inbound_receive
    from notifications.models import InboundEmail
    from tests.cases.test_inbound import eml

    case = request_info(cast, taken(cast))
    inbound_receive(eml("reply-thunderbird-plain.eml", case), source=InboundEmail.Source.PIPE)
    comment = case.comments.get(by_staff=False)
    (entry,) = entries_for(comment, action=Action.CREATE)
    assert (entry.actor, entry.verb, entry.tenant_id) == (
        cast.contact_a,
        "email received",
        cast.tenant_a.id,
    )
