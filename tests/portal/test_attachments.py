"""Attachment downloads: through the access function, always as a download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.attachments import download_type
from tests.cases.helpers import file_case
from tests.cases.test_lifecycle import in_progress
from tests.factories import PNG_BYTES

pytestmark = pytest.mark.django_db


def attach(cast, name, content, content_type, **extra):
    case = file_case(cast, attachments=[SimpleUploadedFile(name, content, content_type)], **extra)
    return case.attachments.get()


def download(client, attachment):
    return client.get(reverse("portal:attachment", args=[attachment.id]))


def test_download_is_an_attachment_with_nosniff(client, cast, sign_in):
    attachment = attach(cast, "screen.png", PNG_BYTES, "image/png")
    sign_in(cast.contact_a)
    response = download(client, attachment)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="screen.png"'
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG_BYTES


def test_html_smuggled_in_an_allowed_type_never_goes_out_as_html(client, cast, sign_in, settings):
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["html", "svg", "txt"]
    page = attach(cast, "page.html", b"<script>alert(1)</script>", "text/html")
    drawing = attach(cast, "logo.svg", b"<svg onload=alert(1)>", "image/svg+xml")
    sign_in(cast.contact_a)
    for attachment in (page, drawing):
        response = download(client, attachment)
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("declared", "served"),
    [
        ("text/plain", "text/plain"),
        ("application/pdf", "application/pdf"),
        ("text/html; charset=utf-8", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("image/svg+xml", "application/octet-stream"),
        ("video/mp4", "video/mp4"),
    ],
)
def test_only_passive_types_keep_their_content_type(declared, served):
    assert download_type(declared) == served


def test_another_tenants_attachment_is_404(client, cast, sign_in):
    attachment = attach(cast, "secret.txt", b"secret", "text/plain")
    sign_in(cast.contact_b)
    assert download(client, attachment).status_code == 404


def test_internal_attachment_is_404_for_customers_but_staff_may_download(client, cast, sign_in):
    case = in_progress(cast)
    services.case_comment(
        case_id=case.id,
        actor=cast.engineer,
        body="Heap dump",
        public=False,
        attachments=[SimpleUploadedFile("heap.txt", b"heap", "text/plain")],
    )
    attachment = case.attachments.get()
    sign_in(cast.contact_a)
    assert download(client, attachment).status_code == 404
    sign_in(cast.engineer)
    assert download(client, attachment).status_code == 200


def test_anonymous_download_asks_to_sign_in(client, cast):
    attachment = attach(cast, "a.txt", b"a", "text/plain")
    response = download(client, attachment)
    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:sign_in"))


def test_partner_downloads_while_the_letter_is_active_only(client, cast, sign_in):
    from tenants.services import letter_rescind

    attachment = attach(cast, "a.txt", b"a", "text/plain")
    sign_in(cast.partner_with_letter)
    assert download(client, attachment).status_code == 200
    letter_rescind(actor=cast.contact_a, letter_id=cast.letter.id, reason="Ended.")
    assert download(client, attachment).status_code == 302  # the session ended
    sign_in(cast.partner_with_letter)
    assert download(client, attachment).status_code == 404


SAFETY_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Cache-Control",
)


def test_the_admin_serves_a_file_as_the_portal_does(client, cast, settings):
    """The admin used to show images inline with their own type and no sandbox."""
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["png", "svg"]
    shot = attach(cast, "screen.png", PNG_BYTES, "image/png")
    drawing = attach(cast, "logo.svg", b"<svg onload=alert(1)>", "image/svg+xml")
    client.force_login(cast.engineer)
    for attachment in (shot, drawing):
        portal = download(client, attachment)
        staff = client.get(
            reverse("admin:cases_case_attachment", args=[attachment.case_id, attachment.id])
        )
        assert portal.status_code == staff.status_code == 200
        assert {name: staff[name] for name in SAFETY_HEADERS} == {
            name: portal[name] for name in SAFETY_HEADERS
        }
        assert staff["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in staff["Content-Security-Policy"]
