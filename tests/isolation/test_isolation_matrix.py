"""The cross-tenant leak matrix, generated: every GET route of the portal (walked from the
URL resolver), every GET operation of the API (walked from the live OpenAPI schema) and
every admin page (walked from the admin site's registry) × every role of the cast; and
every API write × the outsiders, who must be refused and change nothing.

Tenant A's objects carry a unique marker in every free-text field, and so do tenant B's.
Each cell asserts the status class the role may get and that the body shows no marker of a
tenant the role may not see. New routes join the matrix by themselves; a route with a path
parameter the matrix has no object for fails `test_every_route_parameter_has_an_object`.
"""

import re
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from cases import services
from cases.models import Attachment, Case, CaseEvent, CaseWatcher, Comment
from notifications.webhooks import webhook_endpoint_create, webhook_send_test
from servicerequests import services as sr_services
from servicerequests.models import ServiceRequest
from tenants.models import AuthorizedContact, ContactRequest, LetterOfAuthorization
from tenants.services import api_token_create
from tests.cases.helpers import file_case
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    ContactFactory,
    EnvironmentFactory,
    IntakeFieldFactory,
    KnownIssueFactory,
    MacroFactory,
    RequestTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MARK_A = "zqxA7marker"
MARK_B = "zqxB7marker"
ROLES = (
    "anonymous",
    "contact_a",
    "contact_b",
    "partner_with_letter",
    "partner_without_letter",
    "engineer",
    "triage_lead",
    "manager",
)
STAFF = {"engineer", "triage_lead", "manager"}
A_PEOPLE = {"contact_a", "partner_with_letter"}
OUTSIDERS = {"anonymous", "contact_b", "partner_without_letter"}
# Portal routes that are public or about the signed-in user, not any tenant's objects.
PORTAL_PUBLIC = {"sign_in", "password_reset", "password_reset_done", "password_reset_complete"}
# Form targets with no object of a tenant: an empty post is bad input (400).
PORTAL_FORMS = {"contact_request", "api_token_new", "article_vote", "webhook_new"}


def _portal_routes() -> Iterator[tuple[str, list[str]]]:
    """(url name, path parameters) of every route in the portal namespace."""
    resolver = get_resolver()
    (portal,) = [
        p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "portal"
    ]
    for pattern in portal.url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, list(pattern.pattern.converters)


def _api_operations() -> list[str]:
    """Every GET path of the live schema (so new endpoints join without a schema refresh)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(path for path, ops in schema["paths"].items() if "get" in ops)


def _api_writes() -> list[tuple[str, str]]:
    """Every operation of the live schema that changes something, as (method, path)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in {"post", "put", "patch", "delete"}
    )


def _writable_state() -> tuple:
    """What a refused write must leave as it was, for both tenants."""
    return (
        list(Case.objects.order_by("id").values_list("id", "version", "state", "owner_id")),
        CaseEvent.objects.count(),
        Comment.objects.count(),
        CaseWatcher.objects.count(),
        list(ServiceRequest.objects.order_by("id").values_list("id", "version", "state")),
        list(AuthorizedContact.objects.order_by("id").values_list("id", "is_active")),
        list(LetterOfAuthorization.objects.order_by("id").values_list("id", "status")),
        ContactRequest.objects.count(),
    )


def _admin_pages() -> list[str]:
    # The staff desk's pages outside the model registry: My preferences (the time zone).
    pages = [reverse("admin:index"), reverse("staff_preferences")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return pages


@pytest.fixture
def world(cast, django_capture_on_commit_callbacks) -> dict[str, object]:
    """Tenant A's and tenant B's objects, every text carrying its tenant's marker; the
    value of every path parameter, pointing at tenant A's objects."""
    with django_capture_on_commit_callbacks(execute=False):
        # Each plan asks a question; the answers carry the tenant's marker.
        IntakeFieldFactory(plan=cast.tenant_a.plan, key="frequency", label="How often")
        IntakeFieldFactory(plan=cast.tenant_b.plan, key="frequency", label="How often")
        case_a = file_case(
            cast,
            f"Export fails {MARK_A}",
            custom_fields={"frequency": f"Nightly {MARK_A}"},
            environment_access="refused",
            steps_to_reproduce=f"Steps {MARK_A}",
            expected_result="A CSV file.",
            actual_result="Error 504.",
            attachments=[SimpleUploadedFile(f"log-{MARK_A}.txt", b"trace", "text/plain")],
        )
        services.case_comment(case_id=case_a.id, actor=cast.contact_a, body=f"More detail {MARK_A}")
        watcher = services.case_watcher_add(
            case_id=case_a.id, actor=cast.contact_a, email=f"{MARK_A.lower()}@acme.test"
        )
        session = services.session_propose(
            actor=cast.engineer,
            case_id=case_a.id,
            starts=[case_a.created_at.replace(year=case_a.created_at.year + 1)],
            duration_minutes=30,
            meeting_url="https://meet.example.test/acme",
        )
        case_b = file_case(
            cast,
            f"Login broken {MARK_B}",
            actor=cast.contact_b,
            tenant_id=cast.tenant_b.id,
            priority="P3",
            custom_fields={"frequency": f"Hourly {MARK_B}"},
            steps_to_reproduce=f"Steps {MARK_B}",
            expected_result="Signed in.",
            actual_result="Error.",
        )
    other_contact = ContactFactory(
        tenant=cast.tenant_a, user=UserFactory(username="ola@acme.test", first_name=MARK_A)
    )
    ContactFactory(
        tenant=cast.tenant_b, user=UserFactory(username="bea@globex.test", first_name=MARK_B)
    )
    token = api_token_create(actor=cast.contact_a, name=f"ci {MARK_A}").token
    api_token_create(actor=cast.contact_b, name=f"ci {MARK_B}")
    # Each customer's own webhook (portal account area), with a delivery in its log.
    endpoints = {}
    for mark, contact, tenant in (
        (MARK_A, cast.contact_a, cast.tenant_a),
        (MARK_B, cast.contact_b, cast.tenant_b),
    ):
        endpoints[mark] = webhook_endpoint_create(
            actor=contact,
            name=f"Hook {mark}",
            url=f"https://{mark.lower()}.example.test/in",
            events=["case.created"],
            tenant=tenant,
        ).endpoint
        with django_capture_on_commit_callbacks(execute=False):
            webhook_send_test(actor=contact, endpoint_id=endpoints[mark].id)
    request_type = RequestTypeFactory(plans=[cast.tenant_a.plan])
    RequestTypeFactory(code="connector_installer", plans=[cast.tenant_a.plan])
    service_request = sr_services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="connector_installer",
        data={
            "environment": EnvironmentFactory(tenant=cast.tenant_a, name=f"QA {MARK_A}").id,
            "connector": "SAP",
            "platform": "linux-x64",
        },
    )
    return {
        "case_b": case_b,
        "request_reference": service_request.reference,
        "params": {
            "step": service_request.steps.first().code,
            "reference": case_a.reference,
            "attachment_id": Attachment.objects.get(case=case_a).id,
            "watcher_id": watcher.id,
            "session_id": session.id,
            "contact_id": other_contact.id,
            "letter_id": cast.letter.id,
            "token_id": token.id,
            "endpoint_id": endpoints[MARK_A].id,
            "code": request_type.code,
            "article_id": ArticleFactory().id,
            "issue_id": KnownIssueFactory().id,
            "tenant_id": cast.tenant_a.id,
            "uidb64": "MQ",
            "token": "set-password",
            # Without the emailed secret the invitation page refuses every id alike
            # (tests/isolation/test_contacts_matrix.py has the cells with real links).
            "invitation_id": 1,
        },
    }


def _client(cast, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        assert client.login(username=getattr(cast, role).username, password=PASSWORD)
    return client


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _leaks(role: str, body: str) -> list[str]:
    """The markers this role must not see that the body shows."""
    forbidden = []
    if role in OUTSIDERS:
        forbidden.append(MARK_A)
    if role != "contact_b" and role not in STAFF:
        forbidden.append(MARK_B)
    return [mark for mark in forbidden if mark in body or mark.lower() in body]


def _portal_expected(role: str, name: str, params: list[str]) -> set[int]:
    if name == "sign_out":
        return {405}  # sign-out is a POST; the matrix keeps everyone signed in
    if name in PORTAL_PUBLIC or name.startswith("password_reset"):
        return {200, 302}
    if name in PORTAL_FORMS and role != "anonymous":
        return {200, 302, 400, 403, 404}
    if role == "anonymous":
        return {302, 404} if params else {200, 302}
    if role in OUTSIDERS and params and not {"article_id", "issue_id", "token"} & set(params):
        # Another tenant's object is not found; a partner with no letter is told why.
        return {404, 403} if role == "partner_without_letter" else {404}
    return {200, 302, 403, 404}


def test_every_route_parameter_has_an_object(world):
    params = world["params"]
    missing = {
        (name, param)
        for name, route_params in _portal_routes()
        for param in route_params
        if param not in params
    }
    for path in [*_api_operations(), *(path for _, path in _api_writes())]:
        missing |= {(path, p) for p in re.findall(r"{(\w+)}", path) if p not in params}
    assert not missing, f"give the matrix an object of tenant A for: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
def test_portal_routes_show_each_role_only_its_tenants_data(cast, world, role):
    client = _client(cast, role)
    failures = []
    for name, route_params in _portal_routes():
        kwargs = {p: world["params"][p] for p in route_params}
        if name.startswith("request") and "reference" in kwargs:
            kwargs["reference"] = world["request_reference"]
        url = reverse(f"portal:{name}", kwargs=kwargs)
        response = client.get(url)
        if response.status_code == 405 and role in OUTSIDERS and name != "sign_out":
            # A form's target: outsiders post to it (which must change nothing and answer
            # as a GET would); tenant A's own people are refused the GET only.
            response = client.post(url, {})
        allowed = _portal_expected(role, name, route_params)
        if role in A_PEOPLE | STAFF:
            allowed = allowed | {405}
        if role in A_PEOPLE and route_params and name in {"case", "attachment"}:
            allowed = {200}
        to_sign_in = response.get("Location", "").startswith(reverse("portal:sign_in"))
        if role == "anonymous" and response.status_code == 302 and not to_sign_in:
            failures.append(f"{url}: anonymous redirected to {response['Location']}")
        if response.status_code not in allowed:
            failures.append(
                f"{url}: {response.status_code} {response.get('Location', '')}, "
                f"expected one of {sorted(allowed)}"
            )
        body = _body(response)
        if leaks := _leaks(role, body):
            failures.append(f"{url}: shows {leaks}")
        if role in A_PEOPLE and name in {"dashboard", "case", "webhooks"} and MARK_A not in body:
            failures.append(f"{url}: tenant A's own marker is missing (the check would be blind)")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_api_operations_show_each_role_only_its_tenants_data(cast, world, role):
    client = _client(cast, role)
    failures = []
    for path in _api_operations():
        params = world["params"]
        if path.startswith("/api/v1/requests/"):
            params = {**params, "reference": world["request_reference"]}
        url = path.format(**params)
        if path == "/api/v1/request-types/":
            # The catalogue is per customer; staff and partners name the one they mean.
            url += f"?tenant={cast.tenant_a.id}"
        response = client.get(url, HTTP_ACCEPT="application/json")
        status = response.status_code
        names_a = "{" in path and not re.search(r"{(article_id|issue_id)}", path)
        if role == "anonymous":
            allowed = {401}
        elif role == "partner_without_letter":
            allowed = {403}
        elif role == "contact_b" and names_a:
            allowed = {404}
        else:
            allowed = {200, 403, 404}
        if role in A_PEOPLE | STAFF and names_a:
            # A partner acts on cases; the tenant's own contact list is its contacts' own.
            partner_refused = role == "partner_with_letter" and "/contact" in path
            allowed = {200, 403} if partner_refused else {200}
            if path.endswith("/authorization/"):
                # The world's request is not a signed security-testing one: its
                # authorization is documented as 404 until signed, for everyone.
                allowed = {404}
        if status not in allowed:
            failures.append(f"GET {url}: {status}, expected one of {sorted(allowed)}")
        body = _body(response)
        if leaks := _leaks(role, body):
            failures.append(f"GET {url}: shows {leaks}")
        if url == "/api/v1/cases/" and role in A_PEOPLE | STAFF and MARK_A not in body:
            failures.append(f"GET {url}: tenant A's own marker is missing")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", sorted(OUTSIDERS))
def test_api_writes_refuse_outsiders_and_change_nothing(cast, world, role):
    """Every write of the live schema, with an empty body and `If-Match: *`: the refusal
    comes before any input is read, shows no marker, and both tenants stay as they were."""
    client = _client(cast, role)
    before = _writable_state()
    failures = []
    for method, path in _api_writes():
        params = world["params"]
        if path.startswith("/api/v1/requests/"):
            params = {**params, "reference": world["request_reference"]}
        url = path.format(**params)
        response = client.generic(
            method, url, "{}", content_type="application/json", HTTP_IF_MATCH="*"
        )
        if role == "anonymous":
            allowed = {401}
        elif role == "partner_without_letter":
            allowed = {403}
        else:
            allowed = {404} if "{" in path else {400}  # its own filing: empty is bad input
        if response.status_code not in allowed:
            failures.append(f"{method} {url}: {response.status_code}, expected {sorted(allowed)}")
        if leaks := _leaks(role, _body(response)):
            failures.append(f"{method} {url}: shows {leaks}")
    assert not failures, "\n".join(failures)
    assert _writable_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_are_staff_only(cast, world, role):
    client = _client(cast, role)
    login = reverse("admin:login")
    failures = []
    pages = [
        *_admin_pages(),
        reverse("admin:cases_case_change", args=[world["case_b"].id]),
        # The case page's macro preview (a shared macro quoting the case's reference).
        reverse("admin:cases_case_macro", args=[world["case_b"].id])
        + f"?macro={MacroFactory(body='About {case_reference}').id}",
        # Another staff member's preferences: a manager's page (403 to the other roles).
        reverse("staff_preferences_of", args=[cast.engineer.pk]),
        reverse("admin:cases_case_presence", args=[world["case_b"].id]),
        # The SLA reports (a manager's) and a customer's contract review, with exports.
        reverse("admin:cases_case_sla_reports"),
        reverse("admin:cases_case_sla_reports") + "?export=comments",
        reverse("admin:cases_case_contract_review", args=[cast.tenant_b.id]),
        reverse("admin:cases_case_contract_review", args=[cast.tenant_b.id]) + "?export=backlog",
        reverse("admin:cases_case_contract_review_pick") + f"?tenant={cast.tenant_b.id}",
    ]
    for url in pages:
        response = client.get(url)
        if role in STAFF:
            # A role without a model's permission is refused (403), never shown another page.
            if response.status_code not in {200, 302, 403}:
                failures.append(f"{url}: {response.status_code} for {role}")
        elif response.status_code != 302 or not response["Location"].startswith(login):
            failures.append(f"{url}: {response.status_code}, expected a redirect to {login}")
        body = _body(response)
        if leaks := _leaks(role, body):
            failures.append(f"{url}: shows {leaks}")
        staff_case_page = role in STAFF and url.endswith(f"/{world['case_b'].id}/change/")
        if staff_case_page and MARK_B not in body:
            failures.append(f"{url}: tenant B's marker is missing for staff")
    assert not failures, "\n".join(failures)


def test_the_matrix_reaches_every_kind_of_route(world):
    names = {name for name, _ in _portal_routes()}
    assert {"dashboard", "case", "attachment", "contacts", "letters", "api_tokens"} <= names
    assert {"webhooks", "webhook_new", "webhook_test", "webhook_disable"} <= names
    assert "/api/v1/cases/{reference}/" in _api_operations()
    assert ("POST", "/api/v1/cases/{reference}/close/") in _api_writes()
    assert reverse("admin:cases_case_changelist") in _admin_pages()
    assert reverse("staff_preferences") in _admin_pages()


@pytest.mark.parametrize("role", ROLES)
def test_saved_queue_views_are_staff_only_and_personal_views_private(cast, role):
    """Saving a queue view is for staff; a personal view opens for its owner only, and a
    view's name never shows on another person's queue."""
    from cases.models import SavedQueueView
    from cases.services import saved_view_create

    private = saved_view_create(actor=cast.manager, name=f"Private {MARK_B}", query="state=all")
    client = _client(cast, role)
    save = reverse("admin:cases_case_save_view")
    before = SavedQueueView.objects.count()
    response = client.post(save, {"name": "Mine", "columns": ["state_column"]})
    queue = reverse("admin:cases_case_changelist")
    opened = client.get(f"{queue}?_view={private.id}")
    if role in STAFF:
        assert response.status_code == 302
        assert SavedQueueView.objects.count() == before + 1
        assert opened.status_code == (200 if role == "manager" else 404)
        if role != "manager":
            assert MARK_B not in _body(client.get(queue))
    else:
        login = reverse("admin:login")
        assert response.status_code == 302
        assert response["Location"].startswith(login)
        assert opened.status_code == 302
        assert opened["Location"].startswith(login)
        assert SavedQueueView.objects.count() == before


@pytest.mark.parametrize("role", ROLES)
def test_tracker_receiver_takes_no_session_only_the_trackers_secret(cast, role, settings):
    """Being signed in (as anyone, staff included) is no way into the trackers' webhook
    receiver: without the tracker's secret it is refused and no known issue moves."""
    from knowledge.services import known_issue_link_tracker

    settings.TRACKER_WEBHOOK_SECRETS = {"jira": "jira-secret"}
    issue = KnownIssueFactory(stage="investigating")
    known_issue_link_tracker(
        known_issue_id=issue.id, actor=cast.engineer, url="https://acme.atlassian.net/browse/OPS-1"
    )
    event = {"issue": {"key": "OPS-1", "fields": {"status": {"name": "In Progress"}}}}
    response = _client(cast, role).post(
        "/api/v1/tracker-events/jira/", event, content_type="application/json"
    )
    assert response.status_code == 401
    issue.refresh_from_db()
    assert issue.stage == "investigating"


@pytest.mark.parametrize("role", ROLES)
def test_webhook_endpoints_and_deliveries_are_the_managers_alone(cast, role):
    """A webhook endpoint names a customer's systems and its log quotes their answers:
    only managers open its pages; every other role is refused or sent to sign in."""
    from notifications.services import webhook_endpoint_create, webhooks_emit

    endpoint = webhook_endpoint_create(
        actor=cast.manager,
        name=f"Acme {MARK_A}",
        url="https://hooks.acme.test/in",
        events=["case.created"],
        tenant=cast.tenant_a,
    ).endpoint
    webhooks_emit(kind="case.created", tenant_id=cast.tenant_a.id, data={}, dedup_key="iso")
    client = _client(cast, role)
    for url in (
        reverse("admin:notifications_webhookendpoint_changelist"),
        reverse("admin:notifications_webhookendpoint_change", args=[endpoint.id]),
        reverse("admin:notifications_webhookdelivery_changelist"),
    ):
        response = client.get(url)
        if role == "manager":
            assert response.status_code == 200, url
            assert MARK_A in _body(response)
        else:
            assert response.status_code in {302, 403}, url
            assert MARK_A not in _body(response)
