"""A support manager filters the audit log by tenant in a real browser and exports what
the filter shows. The screenshot in the README comes from this test."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import services
from cases.models import Case
from tests.cases.helpers import file_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def history(cast, frozen_clock):
    """Some work at two customers: cases filed, one taken and replied to, a file read."""
    acme = file_case(
        cast,
        "Invoice export times out",
        attachments=[SimpleUploadedFile("server.log", b"ERROR timeout\n", "text/plain")],
    )
    file_case(
        cast,
        "Single sign-on rejects new users",
        actor=cast.contact_b,
        tenant_id=cast.tenant_b.id,
        priority="P1",
    )
    services.case_assign(case_id=acme.id, actor=cast.engineer, owner=cast.engineer)
    return acme


def signed_in(page, client, live_server, user) -> None:
    """The browser carries a session of `user` (staff sign in with a second step, which
    has its own browser tests)."""
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_a_manager_filters_the_audit_log_by_tenant_and_exports_it(
    new_page, screenshot, cast, history, client, live_server, assert_accessible
):
    page = new_page(width=1400, height=900)
    signed_in(page, client, live_server, cast.engineer)
    globex = Case.objects.get(tenant=cast.tenant_b)
    page.goto(f"/admin/cases/case/{globex.id}/change/")
    with page.expect_download():
        page.evaluate(
            "url => { window.location.href = url; }",
            f"/admin/cases/case/{history.id}/attachments/{history.attachments.get().id}/",
        )

    signed_in(page, client, live_server, cast.manager)
    page.goto("/admin/audit/auditentry/")
    expect(page.locator("#result_list")).to_contain_text("Acme Corp")
    expect(page.locator("#result_list")).to_contain_text("attachment downloaded")

    with page.expect_navigation():
        page.select_option("select[aria-label='By tenant']", label="Globex")
    assert f"tenant__id__exact={cast.tenant_b.id}" in page.url
    rows = page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("case page opened")
    expect(rows.first).to_contain_text(cast.engineer.username)
    expect(page.locator("#result_list")).not_to_contain_text("Acme Corp")
    assert_accessible(page)
    screenshot(page, "audit-log")

    with page.expect_download() as download:
        page.click("#audit-export")
    exported = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
    assert "Globex" in exported
    assert "Acme Corp" not in exported
