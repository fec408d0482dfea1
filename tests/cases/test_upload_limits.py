"""Uploads cannot fill the disk (security review, finding 5): a request is refused by its
Content-Length before it is read and while its files stream in, the number of files per
message is capped as the forms say, and the plan's storage quotas per case and per
customer hold on every channel. After any refusal nothing is stored: no file under
MEDIA_ROOT, no Attachment row, no case or reply."""

import io
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from cases.models import Attachment, Case, Comment
from cases.services import inbound_receive
from notifications.models import InboundEmail
from supportdesk.errors import TooLarge
from tenants.models import Tenant
from tests.api.conftest import error_of
from tests.cases.helpers import file_case
from tests.cases.test_inbound import eml
from tests.cases.test_lifecycle import in_progress
from tests.factories import api_token_for
from tests.portal.test_case_new import intake

pytestmark = pytest.mark.django_db

MEGABYTE = 1024 * 1024
NEW_CASE = reverse("portal:case_new")
API_CASES = reverse("api:cases")


class CountingInput(io.RawIOBase):
    """A request body that records how many of its bytes the server read."""

    def __init__(self, body: bytes) -> None:
        self.source = io.BytesIO(body)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:
        line = self.source.readline(size)
        self.bytes_read += len(line)
        return line


def api_client(user) -> APIClient:
    client = APIClient()
    _, secret = api_token_for(user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def log_file(name: str, size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type="text/plain")


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def assert_nothing_stored(settings) -> None:
    assert stored_files(settings) == []
    assert not Attachment.objects.exists()


def post_raw(client, path: str, body: bytes, **environ: str):
    """POST `body` as multipart with the environ given (a made-up length, none at all…),
    the body behind a counter of what was read."""
    payload = CountingInput(body)
    environ.setdefault("CONTENT_LENGTH", str(len(body)))
    response = client.generic(
        "POST",
        path,
        b"",
        **{"wsgi.input": payload, "CONTENT_TYPE": MULTIPART_CONTENT, **environ},
    )
    return response, payload


def multipart(client, fields: dict) -> bytes:
    return encode_multipart(BOUNDARY, {"csrfmiddlewaretoken": "", **fields})


# --- Files per message: the forms say 10 (ATTACHMENT_MAX_FILES), and so does the server.


def test_eleven_files_in_one_portal_request_are_refused_and_nothing_is_stored(
    client, cast, settings
):
    client.force_login(cast.contact_a)
    files = [log_file(f"part-{number}.log", 100) for number in range(11)]
    response = client.post(NEW_CASE, {**intake(), "attachments": files})
    assert response.status_code == 413
    assert "Too many files: 10 at most per message" in response.content.decode()
    assert not Case.objects.exists()
    assert_nothing_stored(settings)


def test_ten_files_are_taken_as_the_form_says(client, cast, settings):
    client.force_login(cast.contact_a)
    files = [log_file(f"part-{number}.log", 100) for number in range(10)]
    response = client.post(NEW_CASE, {**intake(), "attachments": files})
    assert response.status_code == 302
    assert Attachment.objects.count() == 10
    assert len(stored_files(settings)) == 10


def test_eleven_files_over_the_api_get_the_api_error_body(cast, settings):
    files = [log_file(f"part-{number}.log", 100) for number in range(11)]
    data = {
        "summary": "Export fails",
        "category": "bug",
        "priority": "P2",
        "environment_access": "granted",
        "attachments": files,
    }
    response = api_client(cast.contact_a).post(API_CASES, data, format="multipart")
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert "10 at most per message" in error["fields"]["attachments"][0]
    assert not Case.objects.exists()
    assert_nothing_stored(settings)


def test_the_service_refuses_more_files_than_a_message_takes(cast, settings):
    case = in_progress(cast)
    files = [log_file(f"part-{number}.log", 10) for number in range(11)]
    with pytest.raises(TooLarge, match="11 files of 110"):
        services.case_comment(case_id=case.id, actor=cast.contact_a, body="Logs", attachments=files)
    assert not Comment.objects.filter(case=case, body="Logs").exists()
    assert_nothing_stored(settings)


# --- Refused by Content-Length, before the body is read.


@pytest.mark.parametrize("path", ["portal", "api"])
def test_an_oversized_content_length_is_refused_before_anything_is_read(
    client, cast, settings, path
):
    client.force_login(cast.contact_a)
    url = NEW_CASE if path == "portal" else API_CASES
    body = multipart(client, {**intake(), "attachments": [log_file("big.log", 1000)]})
    declared = str(120 * MEGABYTE)
    response, payload = post_raw(client, url, body, CONTENT_LENGTH=declared)
    assert response.status_code == 413
    assert payload.bytes_read == 0
    if path == "api":
        assert error_of(response)["code"] == "payload_too_large"
        assert "120.0\xa0MB" in error_of(response)["message"]
    else:
        assert "The files sent are 120.0\xa0MB; the limit is 50.0\xa0MB" in (
            response.content.decode()
        )
    assert not Case.objects.exists()
    assert_nothing_stored(settings)


def test_a_reply_over_the_request_limit_is_refused_unread(client, cast, settings):
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 50_000
    case = in_progress(cast)
    client.force_login(cast.contact_a)
    url = reverse("portal:case_reply", kwargs={"reference": case.reference})
    body = multipart(client, {"body": "Logs", "attachments": [log_file("big.log", 60_000)]})
    response, payload = post_raw(client, url, body)
    assert response.status_code == 413
    assert payload.bytes_read == 0
    assert not Comment.objects.filter(case=case, body="Logs").exists()
    assert_nothing_stored(settings)


def test_staff_reply_with_files_in_the_admin_is_refused_unread(client, cast, settings):
    settings.ATTACHMENT_MAX_REQUEST_BYTES = 50_000
    case = in_progress(cast)
    client.force_login(cast.engineer)
    url = reverse("admin:cases_case_act", args=[case.id, "reply"])
    files = [log_file("p.log", 60_000)]
    body = multipart(client, {"visibility": "public", "body": "Patch", "attachments": files})
    response, payload = post_raw(client, url, body)
    assert response.status_code == 413
    assert payload.bytes_read == 0
    assert not Comment.objects.filter(case=case, body="Patch").exists()
    assert_nothing_stored(settings)


# --- Refused while streaming: a file over its limit is not received whole.


def test_a_file_over_the_limit_stops_the_upload_part_way(client, cast, settings):
    settings.ATTACHMENT_MAX_BYTES = 100_000
    client.force_login(cast.contact_a)
    body = multipart(client, {**intake(), "attachments": [log_file("huge.log", 2_000_000)]})
    response, payload = post_raw(client, NEW_CASE, body)
    assert response.status_code == 413
    assert "huge.log is larger than 97.7\xa0KB, the limit per file" in response.content.decode()
    # The parser reads 64 KB at a time: it stopped within a few chunks of the limit.
    assert payload.bytes_read < 400_000 < len(body)
    assert not Case.objects.exists()
    assert_nothing_stored(settings)


def test_a_chunked_body_without_a_length_is_refused_unread(client, cast, settings):
    client.force_login(cast.contact_a)
    body = multipart(client, {**intake(), "attachments": [log_file("huge.log", 1_000_000)]})
    response, payload = post_raw(
        client, NEW_CASE, body, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert response.status_code == 411
    assert payload.bytes_read == 0
    assert not Case.objects.exists()
    assert_nothing_stored(settings)


def test_a_chunked_body_through_asgi_is_cut_off_at_the_limit(settings):
    """Django's ASGI handler copies a whole body to a temporary file before any middleware
    runs; the entry point counts the chunks as they come and stops at the limit."""
    from supportdesk.asgi import application

    settings.ATTACHMENT_MAX_REQUEST_BYTES = 256 * 1024
    chunk, chunks = b"x" * 65536, 160  # 10 MB, no Content-Length
    sent: list[int] = []
    answer: list[dict] = []

    async def receive() -> dict:
        if len(sent) == chunks:
            return {"type": "http.disconnect"}
        sent.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": len(sent) < chunks}

    async def send(message: dict) -> None:
        answer.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/cases/new/",
        "raw_path": b"/cases/new/",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", MULTIPART_CONTENT.encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async_to_sync(application)(scope, receive, send)
    assert answer[0]["status"] == 413
    assert sum(sent) <= settings.ATTACHMENT_MAX_REQUEST_BYTES + len(chunk)
    assert_nothing_stored(settings)


# --- Storage quotas on the plan, per case and per customer, for every channel.


def set_quotas(tenant: Tenant, *, case_mb: int | None = None, tenant_mb: int | None = None):
    plan = tenant.plan
    plan.case_files_quota_mb = case_mb or plan.case_files_quota_mb
    plan.tenant_files_quota_mb = tenant_mb or plan.tenant_files_quota_mb
    plan.save()


def test_plan_defaults_are_500_mb_per_case_and_20_gb_per_customer(cast):
    plan = cast.tenant_a.plan
    assert (plan.case_files_quota_mb, plan.tenant_files_quota_mb) == (500, 20 * 1024)


def test_case_quota_refuses_files_past_it_naming_the_quota_and_the_use(cast, settings):
    set_quotas(cast.tenant_a, case_mb=1)
    case = file_case(cast, attachments=[log_file("first.log", 600 * 1024)])
    with pytest.raises(TooLarge) as refused:
        services.case_comment(
            case_id=case.id,
            actor=cast.contact_a,
            body="More logs",
            attachments=[log_file("second.log", 600 * 1024)],
        )
    message = refused.value.message
    assert f"The files of {case.reference} add up to 600.0\xa0KB" in message
    assert "limit of 1.0\xa0MB per case" in message
    assert refused.value.status_code == 413
    assert [a.filename for a in Attachment.objects.all()] == ["first.log"]
    assert len(stored_files(settings)) == 1
    assert not Comment.objects.filter(body="More logs").exists()
    assert Tenant.objects.get(id=cast.tenant_a.id).files_bytes == 600 * 1024


def test_customer_quota_counts_every_case_of_the_customer(cast, settings):
    set_quotas(cast.tenant_a, tenant_mb=1)
    file_case(cast, attachments=[log_file("first.log", 600 * 1024)])
    with pytest.raises(TooLarge) as refused:
        file_case(cast, summary="Another problem", attachments=[log_file("more.log", 600 * 1024)])
    message = refused.value.message
    assert "Your organisation's cases hold 600.0\xa0KB of files" in message
    assert "limit of 1.0\xa0MB per customer" in message
    assert Case.objects.count() == 1
    assert len(stored_files(settings)) == 1
    assert Tenant.objects.get(id=cast.tenant_a.id).files_bytes == 600 * 1024


def test_one_customers_quota_does_not_touch_another(cast, settings):
    set_quotas(cast.tenant_a, tenant_mb=1)
    Tenant.objects.filter(id=cast.tenant_a.id).update(files_bytes=MEGABYTE)
    case = file_case(
        cast,
        actor=cast.contact_b,
        tenant_id=cast.tenant_b.id,
        attachments=[log_file("b.log", 600 * 1024)],
    )
    assert case.attachments.count() == 1
    assert Tenant.objects.get(id=cast.tenant_b.id).files_bytes == 600 * 1024


def test_quota_refusal_in_the_portal_shows_on_the_form(client, cast, settings):
    set_quotas(cast.tenant_a, tenant_mb=1)
    Tenant.objects.filter(id=cast.tenant_a.id).update(files_bytes=MEGABYTE - 10)
    client.force_login(cast.contact_a)
    response = client.post(NEW_CASE, {**intake(), "attachments": [log_file("a.log", 100)]})
    assert response.status_code == 413
    html = response.content.decode()
    assert "limit of 1.0\xa0MB per customer" in html
    assert "Since this morning.</textarea>" in html  # what was typed is kept
    assert not Case.objects.exists()
    assert_nothing_stored(settings)


def test_quota_refusal_over_the_api_is_a_413_error_body(cast, settings):
    set_quotas(cast.tenant_a, case_mb=1)
    case = file_case(cast, attachments=[log_file("first.log", 600 * 1024)])
    url = reverse("api:case-comments", kwargs={"reference": case.reference})
    response = api_client(cast.contact_a).post(
        url, {"body": "More", "attachments": [log_file("b.log", 600 * 1024)]}, format="multipart"
    )
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "too_large"
    assert "per case" in error["fields"]["attachments"][0]
    assert Attachment.objects.count() == 1


def test_mail_over_the_quota_is_kept_without_its_files(cast, settings):
    case = in_progress(cast)
    services.case_request_info(case_id=case.id, actor=cast.engineer, body="Screenshot please?")
    quota = cast.tenant_a.plan.tenant_files_quota_mb * MEGABYTE
    Tenant.objects.filter(id=cast.tenant_a.id).update(files_bytes=quota - 10)
    record = inbound_receive(eml("reply-outlook-attachments.eml", case), source="pipe")
    assert record.status == InboundEmail.Status.PROCESSED
    comment = case.comments.get(channel="email")
    assert "export-error.png: Your organisation's cases hold" in comment.body
    assert not comment.attachments.exists()
    assert not Attachment.objects.exists()
    assert Tenant.objects.get(id=cast.tenant_a.id).files_bytes == quota - 10
