"""Hardening: sign-in throttling, cookies, the Content-Security-Policy, uploads sniffed by
content, and user text that is shown, never run."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.attachments import validate_uploads
from supportdesk.errors import InvalidInput
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, PNG_BYTES

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.25  # 15 minutes


def _fail(client: Client, url: str, username: str) -> object:
    return client.post(url, {"username": username, "password": "wrong-password"})


def test_portal_sign_in_locks_a_user_name_after_repeated_failures(cast, throttled):
    url = reverse("portal:sign_in")
    client = Client()
    for _ in range(2):
        assert _fail(client, url, cast.contact_a.username).status_code == 200
    locked = _fail(client, url, cast.contact_a.username)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "after 3 attempts" in locked.content.decode()
    assert "try again in 15 minutes" in locked.content.decode()
    # Even the right password is refused while the lockout lasts.
    right = client.post(url, {"username": cast.contact_a.username, "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_that_user_name_only(cast, throttled):
    url = reverse("portal:sign_in")
    client = Client()
    for _ in range(3):
        _fail(client, url, cast.contact_a.username)
    response = client.post(url, {"username": cast.contact_b.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.contact_b.pk)


def test_a_successful_sign_in_resets_the_failure_count(cast, throttled):
    url = reverse("portal:sign_in")
    client = Client()
    for _ in range(2):
        _fail(client, url, cast.contact_a.username)
    ok = client.post(url, {"username": cast.contact_a.username, "password": PASSWORD})
    assert ok.status_code == 302
    client.post(reverse("portal:sign_out"))
    for _ in range(2):
        assert _fail(client, url, cast.contact_a.username).status_code == 200


def test_the_lockout_ends_after_the_cool_off(cast, throttled, time_machine):
    url = reverse("portal:sign_in")
    client = Client()
    time_machine.move_to("2026-11-20 10:00:00+00:00", tick=False)
    for _ in range(3):
        _fail(client, url, cast.contact_a.username)
    time_machine.move_to("2026-11-20 10:16:00+00:00", tick=False)
    ok = client.post(url, {"username": cast.contact_a.username, "password": PASSWORD})
    assert ok.status_code == 302


def test_admin_sign_in_is_throttled_too(cast, throttled):
    url = reverse("admin:login")
    client = Client()
    for _ in range(2):
        assert _fail(client, url, cast.engineer.username).status_code == 200
    locked = _fail(client, url, cast.engineer.username)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()


def test_session_and_csrf_cookies_are_secure_http_only_and_same_site(cast, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    client = Client()
    client.get(reverse("portal:sign_in"))
    response = client.post(
        reverse("portal:sign_in"),
        {"username": cast.contact_a.username, "password": PASSWORD},
    )
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    csrf = client.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["secure"]
    assert csrf["httponly"]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_portal_pages_carry_a_strict_content_security_policy(cast, client):
    client.force_login(cast.contact_a)
    case = file_case(cast)
    for url in (
        reverse("portal:dashboard"),
        reverse("portal:case", args=[case.reference]),
        reverse("portal:case_new"),
    ):
        policy = _policy(client.get(url))
        assert policy["script-src"] == "'self'", url
        assert policy["style-src"] == "'self'", url
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"


def test_staff_admin_allows_inline_styles_for_its_bars_but_no_inline_script(cast, client):
    client.force_login(cast.manager)
    for url in (reverse("admin:login"), reverse("admin:cases_case_dashboard")):
        policy = _policy(client.get(url))
        assert "'unsafe-inline'" in policy["style-src"], url
        assert policy["script-src"] == "'self'", url
        assert policy["frame-ancestors"] == "'none'"


def test_the_api_docs_page_allows_inline_styles_but_no_inline_script(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" in policy["style-src"]
    assert policy["script-src"] == "'self'"
    # Swagger UI's own start-up script comes from this origin, not inline.
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


@pytest.mark.parametrize(
    "template", sorted((ROOT / "templates" / "portal").rglob("*.html")), ids=lambda p: p.name
)
def test_portal_templates_have_no_inline_script_style_or_handlers(template):
    html = template.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "hx-on" not in html


def test_an_upload_whose_content_is_not_its_extension_is_refused():
    program = SimpleUploadedFile("screenshot.png", b"MZ\x90\x00" + b"\x00" * 60)
    with pytest.raises(InvalidInput) as refused:
        validate_uploads([program])
    assert "screenshot.png: the content is not a .png file" in refused.value.message
    assert refused.value.field_errors["attachments"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("shot.png", PNG_BYTES),
        ("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"),
        ("logs.zip", b"PK\x03\x04" + b"\x00" * 40),
        ("trace.log", "2026-11-20 ERROR Zeitüberschreitung\n".encode()),
        ("data.json", b'{"a": 1}'),
    ],
)
def test_an_upload_whose_content_matches_its_extension_is_accepted(name, content):
    validate_uploads([SimpleUploadedFile(name, content)])


def test_binary_content_named_as_text_is_refused():
    with pytest.raises(InvalidInput, match=r"notes.txt: the content is not a .txt file"):
        validate_uploads([SimpleUploadedFile("notes.txt", b"\x7fELF\x02\x01\x01\x00" * 20)])


def test_the_portal_refuses_a_disguised_upload_with_the_reason(cast, client):
    client.force_login(cast.contact_a)
    case = file_case(cast)
    response = client.post(
        reverse("portal:case_reply", args=[case.reference]),
        {
            "body": "Here is the screenshot.",
            "attachments": SimpleUploadedFile("screen.png", b"<html><script>x</script>"),
            "version": case.version,
        },
    )
    assert "screen.png: the content is not a .png file" in response.content.decode()
    assert not case.attachments.exists()


def test_user_text_is_shown_as_text_never_as_markup(cast, client):
    client.force_login(cast.contact_a)
    case = file_case(cast, summary="<img src=x onerror=alert(1)> export fails")
    html = client.get(reverse("portal:case", args=[case.reference])).content.decode()
    assert "<img src=x onerror" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; export fails" in html
