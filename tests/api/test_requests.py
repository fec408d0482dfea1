"""Service requests over the API: the catalogue, submitting, reading, the timeline, the
signed authorization and the staff verbs, and every refusal, for each person of the cast."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from servicerequests import services
from servicerequests.handlers import REGISTRY
from servicerequests.models import RequestEvent, RequestType, ServiceRequest, State
from tenants.models import Environment, EnvironmentKind
from tenants.roles import Role
from tests.api.conftest import error_of
from tests.factories import (
    EnvironmentFactory,
    LetterFactory,
    ProductFlagFactory,
    RequestTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TYPES = reverse("api:request-types")
REQUESTS = reverse("api:requests")
NOW = dt.datetime(2026, 5, 4, 14, 0, tzinfo=dt.UTC)


def submitted_request(cast: object, **details: object) -> ServiceRequest:
    """A connector-installer request of tenant A, submitted by its contact."""
    RequestTypeFactory(code="connector_installer", plans=[cast.tenant_a.plan])
    environment = Environment.objects.filter(tenant=cast.tenant_a, name="QA").first()
    if environment is None:
        environment = EnvironmentFactory(tenant=cast.tenant_a, name="QA", kind=EnvironmentKind.TEST)
    return services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="connector_installer",
        data={
            "environment": environment.id,
            "connector": "SAP",
            "platform": "linux-x64",
            **details,
        },
    )


def signed_security_request(cast: object, security_officer: object) -> ServiceRequest:
    """A security-testing request of tenant A, fulfilled: its authorization is signed."""
    RequestTypeFactory(code="security_testing", plans=[cast.tenant_a.plan])
    environment = EnvironmentFactory(tenant=cast.tenant_a, name="Production")
    starts_on = timezone.now().date() + dt.timedelta(days=7)
    service_request = services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="security_testing",
        data={
            "environment": environment.id,
            "scope": "https://acme.example.test",
            "starts_on": starts_on.isoformat(),
            "ends_on": (starts_on + dt.timedelta(days=2)).isoformat(),
            "testing_organisation": "Redteam Ltd",
            "contact_name": "Rita Red",
            "contact_email": "rita@redteam.test",
        },
    )
    services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    for step, actor in (
        ("review", cast.engineer),
        ("security_approval", security_officer),
        ("security_sign_off", security_officer),
    ):
        services.service_request_step_done(
            actor=actor, request_id=service_request.id, step_code=step
        )
    service_request.refresh_from_db()
    return service_request


@pytest.fixture
def estate(cast) -> dict:
    """Every request type offered to Acme's plan; Acme's production, sandbox and test
    systems, and Globex's production."""
    for code in REGISTRY:
        RequestTypeFactory(code=code, plans=[cast.tenant_a.plan])
    return {
        "production": EnvironmentFactory(tenant=cast.tenant_a, name="Production"),
        "sandbox": EnvironmentFactory(
            tenant=cast.tenant_a, name="UAT sandbox", kind=EnvironmentKind.SANDBOX
        ),
        "test": EnvironmentFactory(tenant=cast.tenant_a, name="QA", kind=EnvironmentKind.TEST),
        "globex": EnvironmentFactory(tenant=cast.tenant_b, name="Globex prod"),
    }


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def security_officer(db):
    return UserFactory(
        username="sam@support.test", first_name="Sam", last_name="Secure", roles=[Role.SECURITY]
    )


def connector(estate: dict, **details: object) -> dict:
    return {
        "type": "connector_installer",
        "details": {
            "environment": estate["test"].id,
            "connector": "SAP",
            "platform": "linux-x64",
            **details,
        },
    }


def url(name: str, service_request: ServiceRequest, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs={"reference": service_request.reference, **kwargs})


def if_match(service_request: ServiceRequest) -> dict[str, str]:
    service_request.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{service_request.version}"'}


# The catalogue


def test_catalogue_lists_the_plans_types_with_their_fields_and_own_choices(cast, api, estate):
    RequestType.objects.filter(code="sandbox_refresh").update(
        sla_applies=True, response_target="4bh"
    )
    response = api(cast.contact_a).get(TYPES)
    assert response.status_code == 200, response.json()
    types = {t["code"]: t for t in response.json()}
    assert set(types) == set(REGISTRY)
    sandbox = types["sandbox_refresh"]
    assert (sandbox["sla_applies"], sandbox["response_target"]) == (True, "4bh")
    assert types["ip_allowlist"]["response_target"] is None
    assert [s["code"] for s in sandbox["steps"]] == ["schedule", "refresh", "verify"]
    fields = {f["name"]: f for f in sandbox["details_fields"]}
    assert fields["refresh_on"]["type"] == "date"
    # Only Acme's sandboxes to refresh, only its production to copy from.
    assert [c["value"] for c in fields["environment"]["choices"]] == [estate["sandbox"].id]
    assert [c["value"] for c in fields["source"]["choices"]] == [estate["production"].id]
    security = {f["name"]: f["type"] for f in types["security_testing"]["details_fields"]}
    assert security["contact_email"] == "email"
    assert types["security_testing"]["steps"][1]["role"] == "Security"
    flags = {f["name"]: f for f in types["feature_flags"]["details_fields"]}
    assert flags["flags"]["type"] == "multiple_choice"
    assert flags["untested_in_sandbox"]["type"] == "boolean"
    platform = {f["name"]: f for f in types["connector_installer"]["details_fields"]}["platform"]
    assert {"value": "linux-x64", "label": "Linux (x64)"} in platform["choices"]
    environments = {c["label"] for f in types.values() for c in f["details_fields"][0]["choices"]}
    assert not any("Globex" in label for label in environments)


def test_catalogue_offers_only_what_the_plan_offers(cast, api, estate):
    RequestType.objects.filter(code="security_testing").update(active=False)
    codes = {t["code"] for t in api(cast.contact_a).get(TYPES).json()}
    assert "security_testing" not in codes
    assert api(cast.contact_b).get(TYPES).json() == []


def test_catalogue_of_another_tenant_is_not_found(cast, api, estate):
    response = api(cast.contact_b).get(TYPES, {"tenant": cast.tenant_a.id})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_catalogue_needs_the_tenant_from_whoever_acts_for_several(cast, api, estate):
    staff = api(cast.engineer, session=True)
    response = staff.get(TYPES)
    assert response.status_code == 400
    assert "tenant" in error_of(response)["fields"]
    assert len(staff.get(TYPES, {"tenant": cast.tenant_a.id}).json()) == len(REGISTRY)
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    partner = api(cast.partner_with_letter)
    assert partner.get(TYPES).status_code == 400
    assert len(partner.get(TYPES, {"tenant": cast.tenant_a.id}).json()) == len(REGISTRY)


def test_catalogue_refuses_unknown_and_malformed_query_parameters(cast, api, estate):
    client = api(cast.contact_a)
    assert set(error_of(client.get(TYPES, {"plan": "x"}))["fields"]) == {"plan"}
    assert set(error_of(client.get(TYPES, {"tenant": "ACME"}))["fields"]) == {"tenant"}


# Submitting


def test_contact_submits_a_request_and_gets_it_back_with_etag_and_location(cast, api, estate):
    response = api(cast.contact_a).post(REQUESTS, connector(estate), format="json")
    assert response.status_code == 201, response.json()
    created = ServiceRequest.objects.get()
    assert (created.tenant, created.requested_by, created.environment) == (
        cast.tenant_a,
        cast.contact_a,
        estate["test"],
    )
    body = response.json()
    assert body["reference"] == "ACME-R00001"
    assert body["state"] == "submitted"
    assert body["type"] == {"code": "connector_installer", "name": "Connector installer"}
    assert body["tenant"] == {"id": cast.tenant_a.id, "name": "Acme Corp"}
    assert body["environment"]["kind"] == "test"
    assert body["details"]["connector"] == "SAP"
    assert {"label": "Connector", "value": "SAP"} in body["lines"]
    assert [s["code"] for s in body["steps"]] == ["build", "deliver"]
    assert body["authorized"] is None
    assert response["ETag"] == f'"{created.version}"'
    assert response["Location"].endswith(f"/api/v1/requests/{created.reference}/")
    assert RequestEvent.objects.get().kind == RequestEvent.Kind.SUBMITTED


def test_feature_flags_are_chosen_by_id_in_a_list_with_a_boolean(cast, api, estate):
    ProductFlagFactory(key="new-ui", name="New UI")
    flag = ProductFlagFactory(key="bulk-export", name="Bulk export")
    request = {
        "type": "feature_flags",
        "details": {
            "environment": estate["production"].id,
            "flags": [flag.id],
            "untested_in_sandbox": True,
            "reason": "Quarter close",
        },
    }
    response = api(cast.contact_a).post(REQUESTS, request, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["details"]["flags"] == [
        {"id": flag.id, "key": "bulk-export", "name": "Bulk export"}
    ]
    request["details"]["untested_in_sandbox"] = False
    request["details"]["environment"] = estate["test"].id
    response = api(cast.contact_a).post(REQUESTS, request, format="json")
    assert response.status_code == 201, response.json()


def test_partner_with_letter_submits_for_the_tenant(cast, api, estate):
    response = api(cast.partner_with_letter).post(REQUESTS, connector(estate), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["partner"] == cast.partner.name
    LetterFactory(partner=cast.partner, tenant=cast.tenant_b)
    again = api(cast.partner_with_letter).post(REQUESTS, connector(estate), format="json")
    assert again.status_code == 400
    assert "tenant" in error_of(again)["fields"]


def test_the_types_rules_refuse_under_details_and_save_nothing(cast, api, estate):
    client = api(cast.contact_a)
    request = connector(estate)
    del request["details"]["connector"]
    response = client.post(REQUESTS, request, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"details.connector": ["Name the connector you need."]}
    request = connector(estate, environment=estate["globex"].id)
    response = client.post(REQUESTS, request, format="json")
    assert set(error_of(response)["fields"]) == {"details.environment"}
    assert not ServiceRequest.objects.exists()


def test_a_second_sandbox_refresh_in_the_month_is_refused(cast, api, estate, clock):
    client = api(cast.contact_a)
    request = {"type": "sandbox_refresh", "details": {"environment": estate["sandbox"].id}}
    assert client.post(REQUESTS, request, format="json").status_code == 201
    again = client.post(REQUESTS, request, format="json")
    assert again.status_code == 400
    assert "once per calendar month" in error_of(again)["fields"]["__all__"][0]
    assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"type": "connector_installer"}, {"details"}),
        ({"type": "pizza", "details": {}}, {"type"}),
        ({"type": "connector_installer", "details": [1]}, {"details"}),
        ({"type": "connector_installer", "details": {}, "urgent": True}, {"urgent"}),
        ({"type": "connector_installer", "details": {"colour": "red"}}, {"details.colour"}),
        (
            {"type": "connector_installer", "details": {"environment": True}},
            {"details.environment"},
        ),
        ({"type": "connector_installer", "details": {"connector": 7}}, {"details.connector"}),
        ({"type": "connector_installer", "details": {"host": None}}, {"details.host"}),
        ({"type": "connector_installer", "details": {"host": {"a": 1}}}, {"details.host"}),
        ({"type": "feature_flags", "details": {"flags": 3}}, {"details.flags"}),
        ({"type": "feature_flags", "details": {"flags": [[3]]}}, {"details.flags"}),
        (
            {"type": "feature_flags", "details": {"untested_in_sandbox": "yes"}},
            {"details.untested_in_sandbox"},
        ),
        ({"type": "sandbox_refresh", "details": {"refresh_on": 20260601}}, {"details.refresh_on"}),
        (
            {"type": "connector_installer", "details": {"environment": 2**60}},
            {"details.environment"},
        ),
        ({"type": "connector_installer", "details": {}, "tenant": "ACME"}, {"tenant"}),
    ],
)
def test_malformed_submissions_are_400_with_the_field_and_save_nothing(
    cast, api, estate, body, fields
):
    response = api(cast.contact_a).post(REQUESTS, body, format="json")
    assert response.status_code == 400, response.json()
    assert set(error_of(response)["fields"]) == fields
    assert not ServiceRequest.objects.exists()


def test_values_the_form_cannot_read_are_400_never_500(cast, api, estate):
    client = api(cast.contact_a)
    for details in (
        {"environment": 2**53, "connector": "SAP", "platform": "linux-x64"},
        {"environment": "x", "connector": "SAP", "platform": "linux-x64"},
        {"environment": estate["test"].id, "connector": "S\x00P", "platform": "linux-x64"},
    ):
        response = client.post(
            REQUESTS, {"type": "connector_installer", "details": details}, format="json"
        )
        assert response.status_code == 400, response.json()
    flags = {"environment": estate["test"].id, "flags": ["x", 2**53]}
    response = client.post(REQUESTS, {"type": "feature_flags", "details": flags}, format="json")
    assert set(error_of(response)["fields"]) == {"details.flags"}
    assert not ServiceRequest.objects.exists()


def test_a_type_the_plan_does_not_offer_is_not_found(cast, api, estate):
    RequestType.objects.filter(code="connector_installer").update(active=False)
    response = api(cast.contact_a).post(REQUESTS, connector(estate), format="json")
    assert response.status_code == 404
    assert error_of(response)["message"] == "Your plan does not offer this request."


def test_submitting_for_another_tenant_is_not_found(cast, api, estate):
    body = {**connector(estate), "tenant": cast.tenant_a.id}
    response = api(cast.contact_b).post(REQUESTS, body, format="json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    assert not ServiceRequest.objects.exists()


def test_staff_may_not_submit_for_a_customer(cast, api, estate):
    body = {**connector(estate), "tenant": cast.tenant_a.id}
    response = api(cast.engineer, session=True).post(REQUESTS, body, format="json")
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_permitted"


# Listing and reading


def test_list_shows_only_requests_the_caller_may_see(cast, api, estate):
    mine = submitted_request(cast)
    RequestTypeFactory(code="connector_installer", plans=[cast.tenant_b.plan])
    services.service_request_submit(
        actor=cast.contact_b,
        tenant_id=cast.tenant_b.id,
        type_code="connector_installer",
        data={"environment": estate["globex"].id, "connector": "JDBC", "platform": "container"},
    )
    refs = [r["reference"] for r in api(cast.contact_a).get(REQUESTS).json()["results"]]
    assert refs == [mine.reference]
    partner = api(cast.partner_with_letter).get(REQUESTS).json()["results"]
    assert [r["reference"] for r in partner] == [mine.reference]
    staff = api(cast.engineer, session=True).get(REQUESTS).json()["results"]
    assert len(staff) == 2


def test_list_filters_by_state_type_status_tenant_and_change_time(cast, api, estate):
    with time_machine.travel(NOW, tick=False):
        first = submitted_request(cast)
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        second = submitted_request(cast, connector="JDBC")
        services.service_request_reject(actor=cast.engineer, request_id=second.id, reason="Dup")
    client = api(cast.contact_a)

    def refs(**query: object) -> list[str]:
        response = client.get(REQUESTS, query)
        assert response.status_code == 200, response.json()
        return [r["reference"] for r in response.json()["results"]]

    assert refs() == [second.reference, first.reference]
    assert refs(status="open") == [first.reference]
    assert refs(status="closed") == [second.reference]
    assert refs(state="rejected") == [second.reference]
    assert refs(type="connector_installer", tenant=cast.tenant_a.id) == refs()
    assert refs(type="sandbox_refresh") == []
    assert refs(updated_since="2026-05-04T14:30:00Z") == [second.reference]


def test_list_is_read_in_cursor_pages(cast, api, estate):
    made = [submitted_request(cast, connector=f"C{n}") for n in range(3)]
    client = api(cast.contact_a)
    page = client.get(REQUESTS, {"page_size": 2}).json()
    assert len(page["results"]) == 2
    rest = client.get(page["next"]).json()
    seen = [r["reference"] for r in page["results"] + rest["results"]]
    assert sorted(seen) == sorted(r.reference for r in made)
    assert rest["next"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"state": "open"},
        {"status": "pending"},
        {"type": "pizza"},
        {"tenant": "0"},
        {"updated_since": "yesterday"},
        {"cursor": "bogus"},
        {"page_size": "1000"},
        {"colour": "red"},
    ],
)
def test_bad_list_filters_are_400_with_the_field(cast, api, query):
    response = api(cast.contact_a).get(REQUESTS, query)
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == set(query)


def test_request_list_costs_a_fixed_number_of_queries(
    cast, api, estate, django_assert_max_num_queries
):
    for n in range(5):
        submitted_request(cast, connector=f"C{n}")
    services.service_request_start(
        actor=cast.engineer, request_id=ServiceRequest.objects.first().id
    )
    client = api(cast.partner_with_letter)
    with django_assert_max_num_queries(10):
        assert len(client.get(REQUESTS).json()["results"]) == 5


def test_read_gives_the_etag_and_answers_304_when_unchanged(cast, api, estate):
    service_request = submitted_request(cast)
    client = api(cast.contact_a)
    response = client.get(url("request", service_request))
    assert response.status_code == 200
    etag = response["ETag"]
    assert etag == f'"{service_request.version}"'
    unchanged = client.get(url("request", service_request), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged["ETag"] == etag
    services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    changed = client.get(url("request", service_request), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["state"] == "in_fulfilment"
    assert changed.json()["owner"] == {"name": cast.engineer.get_full_name()}


def test_another_tenants_request_is_not_found_everywhere(cast, api, estate):
    service_request = submitted_request(cast)
    client = api(cast.contact_b)
    for name in ("request", "request-events", "request-authorization"):
        response = client.get(url(name, service_request))
        assert response.status_code == 404, name
        assert error_of(response)["message"] == "No such request."
    assert client.get(REQUESTS).json()["results"] == []


def test_timeline_lists_every_change_oldest_first(cast, api, estate):
    service_request = submitted_request(cast)
    services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    services.service_request_step_done(
        actor=cast.engineer, request_id=service_request.id, step_code="build", note="Licence ok"
    )
    response = api(cast.contact_a).get(url("request-events", service_request))
    assert response.status_code == 200
    events = response.json()["results"]
    assert [e["kind"] for e in events] == ["submitted", "started", "step_done"]
    assert events[2]["step"] == "build"
    assert events[2]["message"].endswith("Licence ok")
    assert events[1]["actor"] == {"name": cast.engineer.get_full_name()}


# Staff verbs


def test_engineer_takes_a_request_on_with_if_match(cast, api, estate):
    service_request = submitted_request(cast)
    staff = api(cast.engineer, session=True)
    response = staff.post(url("request-start", service_request), **if_match(service_request))
    assert response.status_code == 200, response.json()
    service_request.refresh_from_db()
    assert service_request.state == State.IN_FULFILMENT
    assert service_request.owner == cast.engineer
    assert response["ETag"] == f'"{service_request.version}"'
    again = staff.post(url("request-start", service_request), **if_match(service_request))
    assert again.status_code == 409
    assert error_of(again)["code"] == "conflict"


def test_steps_are_done_in_order_and_the_last_completes_the_request(cast, api, estate):
    service_request = submitted_request(cast)
    services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    staff = api(cast.engineer, session=True)
    early = staff.post(
        url("request-step-done", service_request, step="deliver"),
        {},
        format="json",
        **if_match(service_request),
    )
    assert early.status_code == 409
    assert "first" in error_of(early)["message"]
    for step in ("build", "deliver"):
        response = staff.post(
            url("request-step-done", service_request, step=step),
            {"note": f"{step} done"},
            format="json",
            **if_match(service_request),
        )
        assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "done"
    assert [s["done"] for s in body["steps"]] == [True, True]
    assert body["steps"][1]["note"] == "deliver done"
    assert body["closed_at"] is not None


def test_an_unknown_step_is_not_found(cast, api, estate):
    service_request = submitted_request(cast)
    services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    response = api(cast.engineer, session=True).post(
        url("request-step-done", service_request, step="polish"), **if_match(service_request)
    )
    assert response.status_code == 404
    assert error_of(response)["message"] == "No such step on this request."


def test_engineer_rejects_with_a_reason_the_customer_reads(cast, api, estate):
    service_request = submitted_request(cast)
    staff = api(cast.engineer, session=True)
    blank = staff.post(
        url("request-reject", service_request),
        {"reason": " "},
        format="json",
        **if_match(service_request),
    )
    assert blank.status_code == 400
    assert set(error_of(blank)["fields"]) == {"reason"}
    response = staff.post(
        url("request-reject", service_request),
        {"reason": "Use the JDBC connector instead."},
        format="json",
        **if_match(service_request),
    )
    assert response.status_code == 200, response.json()
    customer_view = api(cast.contact_a).get(url("request", service_request)).json()
    assert customer_view["state"] == "rejected"
    assert customer_view["rejection_reason"] == "Use the JDBC connector instead."
    again = staff.post(
        url("request-reject", service_request),
        {"reason": "Again"},
        format="json",
        **if_match(service_request),
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("name", "kwargs", "body"),
    [
        ("request-start", {}, {}),
        ("request-step-done", {"step": "build"}, {}),
        ("request-reject", {}, {"reason": "No"}),
    ],
)
def test_customers_are_refused_the_staff_verbs_with_403(cast, api, estate, name, kwargs, body):
    service_request = submitted_request(cast)
    if name == "request-step-done":
        services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    for person in (cast.contact_a, cast.partner_with_letter):
        response = api(person).post(
            url(name, service_request, **kwargs), body, format="json", **if_match(service_request)
        )
        assert response.status_code == 403, response.json()
        assert error_of(response)["code"] == "not_permitted"
    before = service_request.version
    service_request.refresh_from_db()
    assert service_request.version == before


@pytest.mark.parametrize(
    ("name", "kwargs", "body"),
    [
        ("request-start", {}, {}),
        ("request-step-done", {"step": "build"}, {}),
        ("request-reject", {}, {"reason": "No"}),
    ],
)
def test_staff_verbs_need_a_current_if_match(cast, api, estate, name, kwargs, body):
    service_request = submitted_request(cast)
    if name == "request-step-done":
        services.service_request_start(actor=cast.engineer, request_id=service_request.id)
    service_request.refresh_from_db()
    staff = api(cast.engineer, session=True)
    address = url(name, service_request, **kwargs)
    missing = staff.post(address, body, format="json")
    assert missing.status_code == 428
    assert error_of(missing)["code"] == "precondition_required"
    malformed = staff.post(address, body, format="json", HTTP_IF_MATCH="three")
    assert malformed.status_code == 400
    assert set(error_of(malformed)["fields"]) == {"If-Match"}
    stale = staff.post(address, body, format="json", HTTP_IF_MATCH='"999"')
    assert stale.status_code == 412
    assert error_of(stale)["code"] == "precondition_failed"
    unknown = staff.post(address, {**body, "urgent": True}, format="json", HTTP_IF_MATCH="*")
    assert unknown.status_code == 400
    assert set(error_of(unknown)["fields"]) == {"urgent"}
    before = service_request.version
    service_request.refresh_from_db()
    assert service_request.version == before


def test_another_tenants_contact_cannot_act_on_the_request(cast, api, estate):
    service_request = submitted_request(cast)
    response = api(cast.contact_b).post(
        url("request-reject", service_request), {"reason": "x"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 404


# Security-testing authorization


def test_signed_authorization_is_served_once_security_signs(
    cast, api, estate, security_officer, clock
):
    details = {
        "environment": estate["production"].id,
        "scope": "https://acme.example.test, authenticated web application test",
        "starts_on": "2026-05-11",
        "ends_on": "2026-05-15",
        "testing_organisation": "Redteam Ltd",
        "contact_name": "Rita Red",
        "contact_email": "rita@redteam.test",
    }
    customer = api(cast.contact_a)
    created = customer.post(
        REQUESTS, {"type": "security_testing", "details": details}, format="json"
    )
    assert created.status_code == 201, created.json()
    service_request = ServiceRequest.objects.get()
    assert created.json()["authorized"] is False
    assert customer.get(url("request-authorization", service_request)).status_code == 404
    staff = api(cast.engineer, session=True)
    security = api(security_officer, session=True)
    staff.post(url("request-start", service_request), **if_match(service_request))
    step = "request-step-done"
    staff.post(url(step, service_request, step="review"), **if_match(service_request))
    refused = staff.post(
        url(step, service_request, step="security_approval"), **if_match(service_request)
    )
    assert refused.status_code == 403
    for code in ("security_approval", "security_sign_off"):
        done = security.post(url(step, service_request, step=code), **if_match(service_request))
        assert done.status_code == 200, done.json()
    assert done.json()["authorized"] is True
    response = customer.get(url("request-authorization", service_request))
    assert response.status_code == 200
    document = response.json()["document"]
    assert (document["reference"], document["tester"]["name"]) == (
        service_request.reference,
        "Rita Red",
    )
    assert document["signed_by"] == "Sam Secure"
    assert response.json()["signature"]


def test_a_request_of_another_type_has_no_authorization(cast, api, estate):
    service_request = submitted_request(cast)
    response = api(cast.contact_a).get(url("request-authorization", service_request))
    assert response.status_code == 404
    assert error_of(response)["message"] == "This request has no signed authorization."
