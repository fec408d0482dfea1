"""Security-testing sign-off, the request lifecycle and its emails, role limits, and
access from the portal and the API (another tenant's request is a 404)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from notifications.tasks import send_pending_notifications
from servicerequests import services
from servicerequests.handlers.security import authorization_is_valid
from servicerequests.models import RequestType, State
from supportdesk.errors import InvalidInput, NotPermitted, StateConflict, VersionConflict

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def security_request(cast, estate):
    return services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="security_testing",
        data={
            "environment": estate.production.id,
            "scope": "https://acme.example.test, authenticated web application test",
            "starts_on": "2026-05-11",
            "ends_on": "2026-05-15",
            "testing_organisation": "Redteam Ltd",
            "contact_name": "Rita Red",
            "contact_email": "rita@redteam.test",
        },
    )


def test_testing_is_authorized_only_after_security_approves_and_signs(
    cast, estate, security_officer, clock
):
    request = security_request(cast, estate)
    services.service_request_start(actor=cast.engineer, request_id=request.id)
    services.service_request_step_done(
        actor=cast.engineer, request_id=request.id, step_code="review"
    )
    with pytest.raises(NotPermitted, match="Security"):
        services.service_request_step_done(
            actor=cast.manager, request_id=request.id, step_code="security_approval"
        )
    with pytest.raises(StateConflict, match="Security approval"):
        services.service_request_step_done(
            actor=security_officer, request_id=request.id, step_code="security_sign_off"
        )
    services.service_request_step_done(
        actor=security_officer, request_id=request.id, step_code="security_approval"
    )
    request.refresh_from_db()
    assert request.state == State.IN_FULFILMENT
    assert request.authorization == {}
    services.service_request_step_done(
        actor=security_officer, request_id=request.id, step_code="security_sign_off"
    )
    request.refresh_from_db()
    assert request.state == State.DONE
    document = request.authorization["document"]
    assert document["signed_by"] == "Sam Secure"
    assert document["testing_organisation"] == "Redteam Ltd"
    assert authorization_is_valid(request.authorization)


def test_an_edited_authorization_no_longer_verifies(cast, estate, security_officer, clock):
    request = security_request(cast, estate)
    services.service_request_start(actor=cast.engineer, request_id=request.id)
    for step, actor in [
        ("review", cast.engineer),
        ("security_approval", security_officer),
        ("security_sign_off", security_officer),
    ]:
        services.service_request_step_done(actor=actor, request_id=request.id, step_code=step)
    request.refresh_from_db()
    request.authorization["document"]["ends_on"] = "2026-12-31"
    assert not authorization_is_valid(request.authorization)


def test_the_tenant_sees_the_signed_authorization_in_the_portal(
    cast, estate, security_officer, clock, sign_in
):
    request = security_request(cast, estate)
    client = sign_in(cast.contact_a)
    page = client.get(f"/requests/{request.reference}/")
    assert "Not authorized yet" in page.content.decode()
    assert client.get(f"/requests/{request.reference}/authorization/").status_code == 404
    services.service_request_start(actor=cast.engineer, request_id=request.id)
    for step, actor in [
        ("review", cast.engineer),
        ("security_approval", security_officer),
        ("security_sign_off", security_officer),
    ]:
        services.service_request_step_done(actor=actor, request_id=request.id, step_code=step)
    document = client.get(f"/requests/{request.reference}/authorization/")
    assert document.status_code == 200
    text = document.content.decode()
    assert "Sam Secure (Security)" in text
    request.refresh_from_db()
    assert request.authorization["signature"] in text


def test_security_testing_dates_are_checked(cast, estate, clock):
    base = {
        "environment": estate.production.id,
        "scope": "API",
        "testing_organisation": "Redteam Ltd",
        "contact_name": "Rita",
        "contact_email": "rita@redteam.test",
    }
    for dates, field in [
        ({"starts_on": "2026-05-01", "ends_on": "2026-05-05"}, "starts_on"),
        ({"starts_on": "2026-05-10", "ends_on": "2026-05-09"}, "ends_on"),
        ({"starts_on": "2026-05-10", "ends_on": "2026-07-10"}, "ends_on"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            services.service_request_submit(
                actor=cast.contact_a,
                tenant_id=cast.tenant_a.id,
                type_code="security_testing",
                data={**base, **dates},
            )
        assert field in refused.value.field_errors


def test_a_security_officer_signs_but_does_not_run_requests(cast, estate, security_officer, clock):
    request = security_request(cast, estate)
    with pytest.raises(NotPermitted):
        services.service_request_start(actor=security_officer, request_id=request.id)
    with pytest.raises(NotPermitted):
        services.service_request_reject(actor=security_officer, request_id=request.id, reason="No.")


def test_customers_cannot_work_requests_and_engineers_cannot_hand_them_on(cast, estate, clock):
    request = security_request(cast, estate)
    with pytest.raises(NotPermitted):
        services.service_request_start(actor=cast.contact_a, request_id=request.id)
    with pytest.raises(NotPermitted):
        services.service_request_start(
            actor=cast.engineer, request_id=request.id, owner=cast.triage_lead
        )
    services.service_request_start(
        actor=cast.triage_lead, request_id=request.id, owner=cast.engineer
    )
    request.refresh_from_db()
    assert request.owner == cast.engineer


def test_a_staff_verb_based_on_a_stale_version_changes_nothing(cast, estate, clock):
    request = security_request(cast, estate)
    read_version = request.version
    services.service_request_start(
        actor=cast.engineer, request_id=request.id, expected_version=read_version
    )
    for verb, kwargs in (
        (services.service_request_step_done, {"step_code": "review"}),
        (services.service_request_reject, {"reason": "Out of scope"}),
    ):
        with pytest.raises(VersionConflict, match="changed by someone else"):
            verb(
                actor=cast.engineer, request_id=request.id, expected_version=read_version, **kwargs
            )
    request.refresh_from_db()
    assert (request.state, request.version) == (State.IN_FULFILMENT, read_version + 1)
    assert not request.steps.filter(done_at__isnull=False).exists()


def test_rejection_needs_a_reason_and_tells_the_customer(
    cast, estate, django_capture_on_commit_callbacks, clock
):
    request = security_request(cast, estate)
    with pytest.raises(InvalidInput):
        services.service_request_reject(actor=cast.engineer, request_id=request.id, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.service_request_reject(
            actor=cast.engineer, request_id=request.id, reason="Production is frozen in May."
        )
    send_pending_notifications()
    to_customer = [m for m in mail.outbox if m.to == [cast.contact_a.email]]
    subjects = [m.subject for m in to_customer]
    assert any("Request received" in s for s in subjects)
    rejected = next(m for m in to_customer if "not fulfilled" in m.subject)
    assert "Production is frozen in May." in rejected.body
    with pytest.raises(StateConflict):
        services.service_request_start(actor=cast.engineer, request_id=request.id)


def test_submission_tells_the_triage_leads_and_done_tells_the_customer(
    cast, estate, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.service_request_submit(
            actor=cast.contact_a,
            tenant_id=cast.tenant_a.id,
            type_code="connector_installer",
            data={"environment": estate.test.id, "connector": "SAP", "platform": "linux-x64"},
        )
        services.service_request_start(actor=cast.engineer, request_id=request.id)
        for step in ("build", "deliver"):
            services.service_request_step_done(
                actor=cast.engineer, request_id=request.id, step_code=step
            )
    send_pending_notifications()
    assert any(
        m.to == [cast.triage_lead.email] and "New connector installer request" in m.subject
        for m in mail.outbox
    )
    assert any(m.to == [cast.contact_a.email] and "Done:" in m.subject for m in mail.outbox)


def test_a_type_with_sla_gets_a_response_due_time_on_the_plans_calendar(cast, estate, clock):
    RequestType.objects.filter(code="connector_installer").update(
        sla_applies=True, response_target="4bh"
    )
    request = services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="connector_installer",
        data={"environment": estate.test.id, "connector": "SAP", "platform": "linux-x64"},
    )
    # Monday 10:00 in New York plus four business hours.
    assert request.respond_by == dt.datetime(2026, 5, 4, 18, 0, tzinfo=dt.UTC)
    plain = services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="ip_allowlist",
        data={"environment": estate.test.id, "add": "81.2.69.142", "reason": "VPN"},
    )
    assert plain.respond_by is None


def test_another_tenants_request_is_a_404_in_the_portal_and_the_api(cast, estate, sign_in, clock):
    request = security_request(cast, estate)
    outsider = sign_in(cast.contact_b)
    assert outsider.get(f"/requests/{request.reference}/").status_code == 404
    assert outsider.get(f"/requests/{request.reference}/authorization/").status_code == 404
    assert outsider.get(f"/api/v1/requests/{request.reference}/").status_code == 404
    assert outsider.get("/api/v1/requests/").json()["results"] == []
    # Without a letter a partner has no desk access at all: the API says why (403).
    partner = sign_in(cast.partner_without_letter)
    assert partner.get(f"/api/v1/requests/{request.reference}/").status_code == 403
    insider = sign_in(cast.contact_a)
    assert insider.get(f"/api/v1/requests/{request.reference}/").json()["authorized"] is False


def test_the_api_submits_and_refuses_like_the_portal(cast, estate, sign_in):
    client = sign_in(cast.contact_a)
    created = client.post(
        "/api/v1/requests/",
        {
            "type": "connector_installer",
            "details": {"environment": estate.test.id, "connector": "SAP", "platform": "linux-x64"},
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    reference = created.json()["reference"]
    assert reference == "ACME-R00001"
    refused = client.post(
        "/api/v1/requests/",
        {
            "type": "connector_installer",
            "details": {"environment": estate.test.id, "platform": "linux-x64"},
        },
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "details.connector" in refused.json()["error"]["fields"]
    other = client.post(
        "/api/v1/requests/",
        {"tenant": cast.tenant_b.id, "type": "connector_installer", "details": {}},
        content_type="application/json",
    )
    assert other.status_code == 404
    types = client.get("/api/v1/request-types/").json()
    assert {t["code"] for t in types} >= {"sandbox_refresh", "security_testing"}
    staff = sign_in(cast.engineer)
    started = staff.post(f"/api/v1/requests/{reference}/start/", HTTP_IF_MATCH=created["ETag"])
    assert started.json()["state"] == "in_fulfilment"
    rejected = client.post(
        f"/api/v1/requests/{reference}/reject/",
        {"reason": "Not needed"},
        content_type="application/json",
        HTTP_IF_MATCH=started["ETag"],
    )
    assert rejected.status_code == 403


def test_the_portal_lists_requests_and_offers_only_the_plans_catalogue(cast, estate, sign_in):
    client = sign_in(cast.contact_a)
    page = client.get("/requests/").content.decode()
    assert "Sandbox refresh" in page
    form = client.get("/requests/new/sandbox_refresh/").content.decode()
    assert "UAT sandbox" in form
    assert "Globex prod" not in form
    assert "Production</option>" not in form.split('name="environment"')[1].split("</select>")[0]
    posted = client.post(
        "/requests/new/sandbox_refresh/", {"environment": estate.sandbox.id}, follow=True
    )
    assert "is submitted" in posted.content.decode()
    again = client.post("/requests/new/sandbox_refresh/", {"environment": estate.sandbox.id})
    assert again.status_code == 400
    assert "once per calendar month" in again.content.decode()
    outsider = sign_in(cast.contact_b)
    assert outsider.get("/requests/new/sandbox_refresh/").status_code == 404
