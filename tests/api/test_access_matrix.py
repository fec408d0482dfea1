"""Every operation of the schema, for the people who must be refused: anonymous callers
(401), people without desk access (403), and another tenant's contact (404 on anything
that names the first tenant's objects)."""

from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import Attachment
from tests.api.conftest import error_of
from tests.api.test_requests import submitted_request
from tests.cases.helpers import file_case
from tests.factories import ArticleFactory, ContactFactory, KnownIssueFactory

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
OPERATIONS = [
    (method.upper(), path) for path, operations in SCHEMA["paths"].items() for method in operations
]
# Reads that are not any tenant's data: another tenant's contact may use them.
SHARED = {"/api/v1/articles/{article_id}/", "/api/v1/known-issues/{issue_id}/"}


@pytest.fixture
def objects(cast) -> dict[str, object]:
    """Real objects of tenant A for every path parameter."""
    case = file_case(cast, attachments=[SimpleUploadedFile("a.txt", b"hi", "text/plain")])
    watcher = services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="o@a.test")
    service_request = submitted_request(cast)
    return {
        "reference": case.reference,
        "request_reference": service_request.reference,
        "step": service_request.steps.first().code,
        "tenant_id": cast.tenant_a.id,
        "contact_id": ContactFactory(tenant=cast.tenant_a).id,
        "letter_id": cast.letter.id,
        "watcher_id": watcher.id,
        "attachment_id": Attachment.objects.get().id,
        "article_id": ArticleFactory().id,
        "issue_id": KnownIssueFactory().id,
    }


def call(client: object, method: str, path: str, objects: dict) -> object:
    if path.startswith("/api/v1/requests/{reference}/"):
        objects = {**objects, "reference": objects["request_reference"]}
    url = path.format(**objects)
    headers = {"HTTP_IF_MATCH": "*"}
    if method == "GET":
        return client.get(url)
    if method == "DELETE":
        return client.delete(url, **headers)
    return client.post(url, {}, format="json", **headers)


def test_the_matrix_covers_every_operation():
    assert len(OPERATIONS) >= 30
    assert ("POST", "/api/v1/cases/{reference}/accept/") in OPERATIONS
    for staff_action in ("take", "assign", "change-priority", "close"):
        assert ("POST", f"/api/v1/cases/{{reference}}/{staff_action}/") in OPERATIONS
    assert ("POST", "/api/v1/requests/{reference}/steps/{step}/done/") in OPERATIONS


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_anonymous_caller_is_401(cast, api, objects, method, path):
    response = call(api(), method, path, objects)
    assert response.status_code == 401, response.content
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_partner_without_a_letter_is_403_with_the_reason(cast, api, objects, method, path):
    response = call(api(cast.partner_without_letter), method, path, objects)
    assert response.status_code == 403, response.content
    assert "no active letter of authorization" in error_of(response)["message"]


@pytest.mark.parametrize(("method", "path"), [op for op in OPERATIONS if "{" in op[1]])
def test_another_tenants_contact_gets_404_for_tenant_a_objects(cast, api, objects, method, path):
    response = call(api(cast.contact_b), method, path, objects)
    if path in SHARED:
        assert response.status_code == 200
        return
    assert response.status_code == 404, response.content
    assert error_of(response)["code"] == "not_found"
