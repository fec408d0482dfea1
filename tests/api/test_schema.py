"""The OpenAPI contract: served live, browsable without a CDN, and checked in."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
REGENERATE = "python manage.py spectacular --file docs/openapi.yaml --validate"
# Case actions change the state: they need the ETag (`If-Match`) and can conflict.
CASE_ACTIONS = (
    *("/accept/", "/reject/", "/cancel/", "/reopen/"),
    *("/take/", "/assign/", "/change-priority/", "/request-info/", "/propose-solution/"),
    *("/close/", "/transfer/"),
)


def test_checked_in_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert generated.read_text() == CHECKED_IN.read_text(), (
        f"docs/openapi.yaml is out of date with the code: run `{REGENERATE}` and review "
        "the difference (a removed or renamed field breaks integrations: that needs /api/v2/)."
    )


def test_live_schema_is_the_checked_in_one(client):
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == yaml.safe_load(CHECKED_IN.read_text())
    as_json = client.get(reverse("api:schema"), {"format": "json"})
    assert as_json.json()["info"]["title"] == "SupportDesk API"


def test_every_operation_documents_its_errors_with_the_error_body():
    schema = yaml.safe_load(CHECKED_IN.read_text())
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "429"} <= set(responses), (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (method, path, status)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method == "post" and path.endswith(CASE_ACTIONS):
                assert {"409", "412", "428"} <= set(responses), path
                [if_match] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
                assert if_match["required"] is True


def test_docs_page_is_served_from_our_own_static_files(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html
