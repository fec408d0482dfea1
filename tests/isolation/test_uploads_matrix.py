"""Isolation cells for uploads and known-issue drafts (security review, findings 5 and 6).

Upload endpoints × outsiders (and tenant A's own contact) × bodies: an oversized body is
refused before it is read, whoever sends it; a small one from an outsider is refused by
access. Known issues drafted from tenant A's case × every other tenant's reader: tenant A's
words never show. Every cell asserts the status and that nothing changed.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from cases import services
from cases.models import Attachment, Case, Comment
from knowledge.models import KnownIssue
from supportdesk.errors import InvalidInput
from tenants.models import Tenant
from tests.cases.helpers import taken
from tests.factories import api_token_for

pytestmark = pytest.mark.django_db

MARK_A = "zqxA7upload marker of tenant A"
ENDPOINTS = ("portal_new", "portal_reply", "api_create", "api_comment", "admin_reply")
SENDERS = ("anonymous", "contact_b", "partner_without_letter", "contact_a")
BODIES = ("small", "oversized_length", "too_many_files")

# The status a small, well-formed upload gets: outsiders are refused by access (a case of
# tenant A is a 404, the admin sends non-staff to its sign-in), tenant A's contact is not.
SMALL_STATUS = {
    ("portal_new", "anonymous"): 302,
    ("portal_new", "contact_b"): 302,  # filed for B's own tenant: B's case, not A's
    ("portal_new", "partner_without_letter"): 403,
    ("portal_new", "contact_a"): 302,
    ("portal_reply", "anonymous"): 302,
    ("portal_reply", "contact_b"): 404,
    ("portal_reply", "partner_without_letter"): 403,
    ("portal_reply", "contact_a"): 302,
    ("api_create", "anonymous"): 401,
    ("api_create", "contact_b"): 404,
    ("api_create", "partner_without_letter"): 403,
    ("api_create", "contact_a"): 201,
    ("api_comment", "anonymous"): 401,
    ("api_comment", "contact_b"): 404,
    ("api_comment", "partner_without_letter"): 403,
    ("api_comment", "contact_a"): 201,
    ("admin_reply", "anonymous"): 302,
    ("admin_reply", "contact_b"): 302,
    ("admin_reply", "partner_without_letter"): 302,
    ("admin_reply", "contact_a"): 302,
}


@pytest.fixture
def case_a(cast) -> Case:
    return taken(cast, MARK_A)


def _url(endpoint: str, case: Case) -> str:
    return {
        "portal_new": reverse("portal:case_new"),
        "portal_reply": reverse("portal:case_reply", kwargs={"reference": case.reference}),
        "api_create": reverse("api:cases"),
        "api_comment": reverse("api:case-comments", kwargs={"reference": case.reference}),
        "admin_reply": reverse("admin:cases_case_act", args=[case.id, "reply"]),
    }[endpoint]


def _fields(endpoint: str, cast) -> dict[str, object]:
    intake = {
        "summary": "Upload probe",
        "category": "bug",
        "priority": "P2",
        "environment_access": "granted",
    }
    return {
        "portal_new": {**intake, "business_impact": "2", "environment": "1"},
        "portal_reply": {"body": "Upload probe"},
        "api_create": {**intake, "tenant": cast.tenant_a.id},
        "api_comment": {"body": "Upload probe"},
        "admin_reply": {"reply-visibility": "public", "reply-body": "Upload probe"},
    }[endpoint]


def _client(sender: str, endpoint: str, cast) -> Client:
    client = Client()
    if sender == "anonymous":
        return client
    user = getattr(cast, sender)
    if endpoint.startswith("api"):
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_for(user)[1]}")
    client.force_login(user)
    return client


def _files(body: str) -> list[SimpleUploadedFile]:
    count = 11 if body == "too_many_files" else 1
    return [
        SimpleUploadedFile(f"probe-{n}.log", b"probe log\n" * 10, content_type="text/plain")
        for n in range(count)
    ]


def _state_of_a(settings, case: Case) -> tuple:
    """Everything of tenant A an upload could change, and every stored file."""
    root = Path(settings.MEDIA_ROOT)
    files = sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []
    case.refresh_from_db()
    return (
        files,
        Attachment.objects.filter(case__tenant_id=case.tenant_id).count(),
        Comment.objects.filter(case__tenant_id=case.tenant_id).count(),
        Case.objects.filter(tenant_id=case.tenant_id).count(),
        case.version,
        Tenant.objects.get(id=case.tenant_id).files_bytes,
    )


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_upload_cell(cast, case_a, settings, endpoint, sender, body):
    fields = _fields(endpoint, cast)
    field = "reply-attachments" if endpoint == "admin_reply" else "attachments"
    payload = encode_multipart(BOUNDARY, {**fields, field: _files(body)})
    length = len(payload)
    if body == "oversized_length":
        length = settings.ATTACHMENT_MAX_REQUEST_BYTES + 1
    before = _state_of_a(settings, case_a)
    stored_before = Attachment.objects.count()
    response = _client(sender, endpoint, cast).generic(
        "POST",
        _url(endpoint, case_a),
        payload,
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(length),
    )
    if body != "small":
        assert response.status_code == 413, response.content[:300]
        assert _state_of_a(settings, case_a) == before
        assert Attachment.objects.count() == stored_before
        return
    assert response.status_code == SMALL_STATUS[(endpoint, sender)], response.content[:300]
    if sender == "contact_a" and endpoint != "admin_reply":
        assert Attachment.objects.count() == stored_before + 1  # A's own contact may upload
        return
    if (endpoint, sender) == ("portal_new", "contact_b"):
        # B files in B's own (only) tenant: a case of B's, nothing of A's.
        assert Case.objects.filter(tenant=cast.tenant_b).count() == 1
        assert _state_of_a(settings, case_a)[1:] == before[1:]
        return
    assert _state_of_a(settings, case_a) == before
    assert Attachment.objects.count() == stored_before


# --- Known issues drafted from tenant A's case × the readers of other tenants.

READERS = ("anonymous", "contact_b", "partner_without_letter")


def _surfaces(issue_id: int) -> dict[str, tuple[str, str, dict]]:
    return {
        "portal_suggestions": ("portal", reverse("portal:suggestions"), {"summary": MARK_A}),
        "portal_known_issue": ("portal", reverse("portal:known_issue", args=[issue_id]), {}),
        "api_list": ("api", reverse("api:known-issues"), {"search": MARK_A}),
        "api_detail": ("api", reverse("api:known-issue", kwargs={"issue_id": issue_id}), {}),
    }


SURFACE_STATUS = {
    ("anonymous", "portal"): 302,
    ("anonymous", "api"): 401,
    ("contact_b", "portal"): 200,
    ("contact_b", "api"): 200,
    ("partner_without_letter", "portal"): 403,  # acts for no one: no desk at all
    ("partner_without_letter", "api"): 403,
}


@pytest.fixture
def drafted(cast, case_a) -> KnownIssue:
    """What staff may draft from tenant A's case: the customer's words are refused, so the
    issue carries a title written in product terms."""
    with pytest.raises(InvalidInput):
        services.case_create_known_issue(
            case_id=case_a.id, actor=cast.engineer, title=MARK_A, public_summary="Symptoms."
        )
    return services.case_create_known_issue(
        case_id=case_a.id,
        actor=cast.engineer,
        title="Upload probe defect",
        public_summary="Uploads stop part way; retry.",
    )


@pytest.mark.parametrize(
    "surface", ["portal_suggestions", "portal_known_issue", "api_list", "api_detail"]
)
@pytest.mark.parametrize("reader", READERS)
def test_known_issue_draft_cell(cast, drafted, reader, surface):
    kind, url, query = _surfaces(drafted.id)[surface]
    before = list(KnownIssue.objects.values_list("id", "title", "public_summary", "product"))
    client = _client(reader, kind, cast)
    response = client.get(url, query)
    assert response.status_code == SURFACE_STATUS[(reader, kind)]
    assert MARK_A not in response.content.decode()
    assert (
        list(KnownIssue.objects.values_list("id", "title", "public_summary", "product")) == before
    )
