"""The portal in a real browser: a customer's case from filing to survey, and a partner
who loses access when the customer rescinds the letter. Staff steps go through the case
services directly. The screenshots in docs/screenshots/ come from these tests
(with SUPPORTDESK_SCREENSHOTS=1, see tests/browser/conftest.py)."""

import datetime as dt
import re
import zlib

import pytest

from cases import services
from cases.models import Case, SatisfactionSurvey, State
from tenants.models import LetterOfAuthorization
from tests.cases.helpers import file_case
from tests.factories import PASSWORD, AnnouncementFactory, ArticleFactory, KnownIssueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


def tiny_png() -> bytes:
    """A valid 1×1 PNG, so the attachment is what it says it is."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00\x34\x50\xc9")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def desk(cast, frozen_clock):
    """The cast, dressed for screenshots: names, a plan with a phone route, a few open
    cases with due times, knowledge to suggest and announcements."""
    people = {
        cast.contact_a: ("Ann", "Archer"),
        cast.contact_b: ("Bob", "Baker"),
        cast.partner_with_letter: ("Pat", "Partner"),
        cast.engineer: ("Erin", "Engineer"),
    }
    for user, (first, last) in people.items():
        user.first_name, user.last_name = first, last
        user.save()
    plan = cast.tenant_a.plan
    plan.name = "Premier"
    plan.priorities.filter(rank=1).update(channel_rule="portal_and_phone")
    plan.phones.create(region="All regions", number="+1 212 555 0100")
    plan.save()
    for priority, definition in zip(
        plan.priorities.order_by("rank"),
        [
            "Production down for all users; business stopped.",
            "Production impaired; a key process is blocked.",
            "A feature fails and a workaround exists.",
            "Questions and minor issues.",
        ],
        strict=True,
    ):
        priority.definition = definition
        priority.save()
    cast.tenant_a.time_zone = "America/New_York"
    cast.tenant_a.save()

    def file(summary: str, priority: str, **extra: object) -> Case:
        return file_case(
            cast,
            summary,
            priority=priority,
            product="SupportDesk Cloud",
            product_version="2026.10",
            **extra,
        )

    outage = file("Checkout page returns 500 for EU customers", "P1", category="outage")
    outage.initial_response_due = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
    outage.save()
    slow = file("Dashboard charts load slowly", "P3", actor=cast.partner_with_letter)
    services.case_assign(case_id=slow.id, actor=cast.engineer, owner=cast.engineer)
    services.case_comment(case_id=slow.id, actor=cast.engineer, body="We are profiling it.")
    slow.refresh_from_db()
    slow.next_update_due = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
    slow.save()
    waiting = file("SSO login loops back to the sign-in page", "P2")
    services.case_assign(case_id=waiting.id, actor=cast.engineer, owner=cast.engineer)
    services.case_request_info(
        case_id=waiting.id, actor=cast.engineer, body="Could you send a HAR file?"
    )
    KnownIssueFactory(
        title="Invoice export times out for more than 100,000 rows",
        public_summary="Large exports stop after 60 seconds. Workaround: export month by month.",
    )
    ArticleFactory(
        title="Exporting invoices",
        body="Billing, then Export. Large exports run in the background.",
    )
    AnnouncementFactory(
        kind="maintenance",
        title="Database upgrade",
        body="The portal is read-only for up to 30 minutes.",
        starts_at=dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC),
    )
    AnnouncementFactory(
        kind="release",
        title="Release 2026.11",
        body="Faster exports and 14 fixes.",
        starts_at=dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC),
    )
    return cast


def sign_in(page, user) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))
    page.get_by_label("Email").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_customer_files_a_case_with_an_attachment_replies_accepts_and_rates_it(
    desk, new_page, screenshot
):
    page = new_page()
    page.goto("/sign-in/")
    screenshot(page, "sign-in")
    sign_in(page, desk.contact_a)
    expect(page.get_by_role("heading", name="Acme Corp cases")).to_be_visible()
    expect(page.get_by_text("We will respond by")).to_be_visible()
    expect(page.get_by_text("Waiting for your reply")).to_be_visible()
    screenshot(page, "dashboard")

    # Live search narrows the list without a page load.
    page.get_by_label("Search").fill("SSO")
    expect(page.locator("#case-results")).not_to_contain_text("Checkout page")
    expect(page.locator("#case-results")).to_contain_text("SSO login loops")
    page.get_by_label("Search").fill("")
    expect(page.locator("#case-results")).to_contain_text("Checkout page")

    page.get_by_role("link", name="File a new case").click()
    page.get_by_label("Summary").press_sequentially("Invoice export times out", delay=15)
    expect(page.locator("#suggestions")).to_contain_text("Known issue")
    expect(page.locator("#suggestions")).to_contain_text("Exporting invoices")
    page.locator('input[name="category"][value="bug"]').check()
    page.get_by_label("Description").fill("Exports of last year's invoices never finish.")
    phone_note = page.locator("[data-phone-note]")
    page.locator('input[name="priority"][value="P1"]').check()
    expect(phone_note).to_be_visible()
    expect(phone_note).to_contain_text("+1 212 555 0100")
    page.locator('input[name="priority"][value="P2"]').check()
    expect(phone_note).to_be_hidden()
    page.get_by_label("Users affected").fill("40")
    page.get_by_label("Steps to reproduce").fill("1. Billing > Export\n2. Choose 2025")
    page.locator('input[name="environment_access"][value="granted"]').check()

    files = page.locator("#id_attachments")
    files.set_input_files(
        [
            {"name": "export-error.png", "mimeType": "image/png", "buffer": tiny_png()},
            {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"},
        ]
    )
    file_list = page.locator("[data-file-list]")
    expect(file_list).to_contain_text("tool.exe")
    expect(file_list.locator("li.bad")).to_contain_text("not accepted")
    expect(page.locator("[data-file-status]")).to_contain_text("1 file will be refused")
    # A file dropped on the zone joins the ones already chosen.
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["ERROR export timeout"], "export.log", {type: "text/plain"}));
            document.querySelector("[data-dropzone]").dispatchEvent(
                new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
        }"""
    )
    expect(file_list).to_contain_text("export.log")
    page.get_by_role("button", name="Remove tool.exe").click()
    expect(page.locator("[data-file-status]")).to_contain_text("2 files ready to upload")
    screenshot(page, "new-case")
    page.get_by_role("button", name="File the case").click()

    case = Case.objects.get(summary="Invoice export times out")
    expect(page).to_have_url(re.compile(rf"/cases/{case.reference}/$"))
    expect(page.get_by_text(f"{case.reference} is filed")).to_be_visible()
    assert sorted(case.attachments.values_list("filename", flat=True)) == [
        "export-error.png",
        "export.log",
    ]
    expect(page.get_by_role("link", name=re.compile("export-error.png"))).to_be_visible()

    # Someone from finance is copied on updates, without a page load.
    page.get_by_text("Add someone").click()
    page.get_by_label("Email").fill("finance@acme.test")
    page.get_by_label("Name (optional)").fill("Finance team")
    page.get_by_role("button", name="Add to the list").click()
    expect(page.locator("#notify")).to_contain_text("Finance team")
    assert case.watchers.filter(email="finance@acme.test").exists()

    # Staff take the case and ask for information.
    services.case_assign(case_id=case.id, actor=desk.engineer, owner=desk.engineer)
    services.case_request_info(
        case_id=case.id, actor=desk.engineer, body="Which year and how many invoices?"
    )
    page.reload()
    expect(page.get_by_text("We need something from you")).to_be_visible()
    page.get_by_label("Your reply").fill("2025, about 180,000 invoices.")
    page.locator("#id_attachments").set_input_files(
        {"name": "counts.csv", "mimeType": "text/csv", "buffer": b"year,count\n2025,180000\n"}
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("our engineers are back on it")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("counts.csv"))).to_be_visible()
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS

    services.case_propose_solution(
        case_id=case.id,
        actor=desk.engineer,
        body="This is known issue KI-1. Export by month until 2026.12 ships the fix.",
    )
    page.reload()
    question = page.get_by_role("heading", name="Does the proposed solution work for you?")
    expect(question).to_be_visible()
    screenshot(page, "case")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("counts.csv")).click()
    assert download.value.suggested_filename == "counts.csv"

    page.get_by_label("Anything to add? (optional)").fill("The monthly export works for us.")
    page.get_by_role("button", name="Accept and close").click()
    expect(page.get_by_text("The case is closed as resolved.")).to_be_visible()
    page.get_by_role("link", name="Rate this case").click()
    expect(page.get_by_role("heading", name=re.compile("How did we do"))).to_be_visible()
    for question, rating in [
        ("service you received", "5 Excellent"),
        ("how quickly", "4 Good"),
        ("quality of the solution", "5 Excellent"),
    ]:
        page.get_by_role("group", name=re.compile(question)).get_by_label(rating).check()
    page.get_by_label(re.compile("Anything else")).fill("Clear and quick. Thank you!")
    screenshot(page, "survey")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", name="Thank you for your feedback")).to_be_visible()
    survey = SatisfactionSurvey.objects.get(case=case)
    assert (survey.service, survey.timeliness, survey.quality) == (5, 4, 5)
    assert not survey.manager_contact


def test_partner_loses_access_when_the_letter_is_rescinded(desk, new_page, screenshot):
    partner = new_page()
    sign_in(partner, desk.partner_with_letter)
    expect(partner.get_by_text("as Initech Consulting")).to_be_visible()
    partner.get_by_role("link", name="New case", exact=True).click()
    partner.get_by_label("Summary").fill("Sandbox refresh failed overnight")
    partner.locator('input[name="category"][value="functionality_issue"]').check()
    partner.locator('input[name="priority"][value="P3"]').check()
    partner.locator('input[name="environment_access"][value="refused"]').check()
    partner.get_by_role("button", name="File the case").click()
    case = Case.objects.get(summary="Sandbox refresh failed overnight")
    assert case.partner == desk.partner
    expect(partner.get_by_text(f"{case.reference} is filed")).to_be_visible()

    customer = new_page()
    sign_in(customer, desk.contact_a)
    expect(customer.get_by_text("Sandbox refresh failed overnight")).to_be_visible()
    customer.get_by_role("link", name="Partners").click()
    expect(customer.get_by_role("heading", name="Initech Consulting")).to_be_visible()
    customer.get_by_text("Rescind this letter").click()
    customer.get_by_label(re.compile("Reason for rescinding")).fill(
        "Our contract with Initech ended on 20 November."
    )
    screenshot(customer, "letters")
    customer.get_by_role("button", name="Rescind the letter").click()
    expect(customer.get_by_text("can no longer act for Acme Corp")).to_be_visible()
    desk.letter.refresh_from_db()
    assert desk.letter.status == LetterOfAuthorization.Status.RESCINDED

    # The rescission ended the partner's session; signing in again shows why.
    partner.reload()
    expect(partner).to_have_url(re.compile(r"/sign-in/"))
    sign_in(partner, desk.partner_with_letter)
    refused = partner.get_by_role("heading", name="You can't use the portal right now")
    expect(refused).to_be_visible()
    expect(partner.get_by_role("alert")).to_contain_text("rescinded")
    screenshot(partner, "no-access")
    partner.goto(f"/cases/{case.reference}/")
    expect(partner.get_by_role("alert")).to_contain_text("rescinded")

    # The case stays with the customer.
    customer.goto(f"/cases/{case.reference}/")
    expect(customer.get_by_role("heading", name=re.compile(case.reference))).to_be_visible()


def test_contacts_status_and_a_phone_sized_screen(desk, new_page, screenshot):
    public = new_page()
    public.goto("/status/")
    expect(public.get_by_role("status")).to_have_text("All systems operational")
    expect(public.get_by_text("Database upgrade")).to_be_visible()
    screenshot(public, "status")

    page = new_page()
    sign_in(page, desk.contact_a)
    page.get_by_role("link", name="Contacts").click()
    expect(page.get_by_text("1 of 2 used")).to_be_visible()
    screenshot(page, "contacts")

    phone = new_page(width=390, height=844)
    sign_in(phone, desk.contact_a)
    expect(phone.get_by_role("heading", name="Acme Corp cases")).to_be_visible()
    screenshot(phone, "dashboard-phone")
    # Keyboard users reach the content first: the skip link is the first stop.
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to content")).to_be_focused()
    phone.get_by_role("link", name=re.compile("ACME-00003")).click()
    expect(phone.get_by_text("We need something from you")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the case page must not scroll sideways on a phone"
    screenshot(phone, "case-phone")


def test_contact_makes_an_api_token_sees_it_once_and_revokes_it(desk, new_page, screenshot):
    page = new_page()
    sign_in(page, desk.contact_a)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("Monitoring alerts")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("sdk_")
    expect(page.get_by_text("copy it now")).to_be_visible()
    # The token is random: masked, so the screenshot is the same on every run.
    screenshot(page, "api-tokens", mask=[page.locator("code")])
    page.goto("/account/api-tokens/")
    expect(page.locator("#new-token")).to_have_count(0)
    page.get_by_role("button", name="Revoke Monitoring alerts").click()
    expect(page.get_by_text("is revoked: it no longer works")).to_be_visible()


def test_api_docs_page_renders_the_schema_without_a_cdn(desk, new_page, screenshot):
    page = new_page()
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://localhost", "data:"))
            else None
        ),
    )
    page.goto("/api/v1/docs/")
    expect(page.get_by_role("heading", name=re.compile("SupportDesk API"))).to_be_visible()
    expect(page.get_by_text("/api/v1/cases/{reference}/accept/").first).to_be_visible()
    assert outside == []
    screenshot(page, "api-docs", full_page=False)
