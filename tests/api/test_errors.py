"""Odd input never reaches a 500: wrong types, huge values, unknown fields, broken
bodies, unknown addresses. Every refusal has the same documented body."""

import pytest
from django.urls import reverse

from cases.models import Case
from tests.api.conftest import error_of
from tests.api.test_cases import NEW_CASE
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db

CASES = reverse("api:cases")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": 42}, "summary"),
        ({"users_affected": True}, "users_affected"),
        ({"users_affected": "12"}, "users_affected"),
        ({"first_seen_at": "2026-03-02 09:00"}, "first_seen_at"),
        ({"first_seen_at": "2026-03-02T09:00:00"}, "first_seen_at"),
        ({"environment_access": None}, "environment_access"),
        ({"summary": ["a", "list"]}, "summary"),
        ({"business_impact": 2}, "business_impact"),
        ({"environment": "moon"}, "environment"),
        ({"users_affected": -1}, "users_affected"),
        ({"users_affected": 10**30}, "users_affected"),
        ({"users_affected": "many"}, "users_affected"),
        ({"tenant": 10**30}, "tenant"),
        ({"tenant": "acme"}, "tenant"),
        ({"first_seen_at": "last tuesday"}, "first_seen_at"),
        ({"summary": "x" * 201}, "summary"),
        ({"product": "p" * 101}, "product"),
        ({"description": "x" * 20_001}, "description"),
        ({"summary": "nul \x00 inside"}, "summary"),
        ({"sumary": "misspelt field"}, "sumary"),
    ],
)
def test_odd_case_input_is_400_with_the_field_named(cast, api, change, field):
    response = api(cast.contact_a).post(CASES, {**NEW_CASE, **change}, format="json")
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert field in error["fields"], error
    assert field in error["message"]
    assert not Case.objects.exists()


def test_lone_surrogate_in_json_text_is_400(cast, api):
    body = b'{"summary": "\\ud800 half a character", "category": "bug", '
    body += b'"environment_access": "granted"}'
    response = api(cast.contact_a).post(CASES, body, content_type="application/json")
    assert response.status_code == 400
    assert "summary" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ],
)
def test_unreadable_json_is_400(cast, api, body, content_type):
    response = api(cast.contact_a).post(CASES, body, content_type=content_type)
    assert response.status_code == 400, response.content
    assert error_of(response)["code"] in {"parse_error", "invalid"}


def test_unsupported_media_type_is_415(cast, api):
    response = api(cast.contact_a).post(CASES, b"<case/>", content_type="application/xml")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"
    form = api(cast.contact_a).post(CASES, b"summary=x", content_type="text/plain")
    assert form.status_code == 415


def test_malformed_multipart_is_400(cast, api):
    response = api(cast.contact_a).post(
        CASES,
        b'--XYZ\r\nContent-Disposition: form-data; name="summary"\r\n\r\nno end',
        content_type="multipart/form-data; boundary=XYZ",
    )
    assert response.status_code == 400
    missing_boundary = api(cast.contact_a).post(
        CASES, b"whatever", content_type="multipart/form-data"
    )
    assert missing_boundary.status_code == 400
    assert error_of(missing_boundary)["code"] == "parse_error"


def test_multipart_with_a_text_part_where_files_go_is_400(cast, api):
    response = api(cast.contact_a).post(
        CASES, {**NEW_CASE, "attachments": "not a file"}, format="multipart"
    )
    assert response.status_code == 400
    assert any(key.startswith("attachments") for key in error_of(response)["fields"])


def test_body_over_the_size_limit_is_413(cast, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api(cast.contact_a).post(
        CASES, {**NEW_CASE, "description": "x" * 5000}, format="json"
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"search": ""}, "search"),
        ({"updated_since": "2026-03-02"}, "updated_since"),
        ({"status": "open", "stat": "open"}, "stat"),
    ],
)
def test_empty_partial_or_unknown_query_values_are_400(cast, api, query, field):
    response = api(cast.contact_a).get(CASES, query)
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]


def test_every_endpoint_refuses_unknown_query_parameters(cast, api):
    case = file_case(cast)
    client = api(cast.contact_a)
    for name in ("case", "case-comments", "case-events", "case-sla"):
        target = reverse(f"api:{name}", kwargs={"reference": case.reference})
        response = client.get(target, {"expand": "all"})
        assert response.status_code == 400, name
        assert "expand" in error_of(response)["fields"]
    assert client.get(reverse("api:me"), {"x": "1"}).status_code == 400


def test_comment_flag_must_be_a_json_boolean(cast, api):
    case = file_case(cast)
    target = reverse("api:case-comments", kwargs={"reference": case.reference})
    response = api(cast.contact_a).post(target, {"body": "Hi", "public": 1}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["public"]


def test_unknown_address_and_overlong_ids_are_json_404(cast, api):
    client = api(cast.contact_a)
    for path in (
        "/api/v1/nothing-here/",
        "/api/v1/attachments/99999999999999999999999/",
        "/api/v1/cases/%00/",
        "/api/v1/cases/" + "A" * 60 + "/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_405_in_the_error_format(cast, api):
    case = file_case(cast)
    response = api(cast.contact_a).delete(reverse("api:case", kwargs={"reference": case.reference}))
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_action_with_unknown_field_is_refused(cast, api):
    case = file_case(cast)
    response = api(cast.contact_a).post(
        reverse("api:case-cancel", kwargs={"reference": case.reference}),
        {"reason": "x", "force": True},
        format="json",
        HTTP_IF_MATCH=f'"{case.version}"',
    )
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["force"]
    case.refresh_from_db()
    assert case.is_open


def test_unexpected_failure_is_a_500_in_the_error_format(cast, api, monkeypatch):
    from cases.api import views

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "cases_matching", broken)
    client = api(cast.contact_a)
    client.raise_request_exception = False
    response = client.get(CASES)
    assert response.status_code == 500
    assert error_of(response)["code"] == "server_error"
    assert "boom" not in response.content.decode()
