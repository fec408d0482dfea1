"""The sandbox refresh: once per calendar month per sandbox, months in the tenant's zone."""

import datetime as dt

import pytest
import time_machine

from servicerequests import services
from servicerequests.models import ServiceRequest
from supportdesk.errors import InvalidInput, NotFound
from tenants.models import EnvironmentKind
from tests.factories import EnvironmentFactory

pytestmark = pytest.mark.django_db


def refresh(cast, environment, **data):
    return services.service_request_submit(
        actor=cast.contact_a,
        tenant_id=cast.tenant_a.id,
        type_code="sandbox_refresh",
        data={"environment": environment.id, **data},
    )


def test_a_second_refresh_in_the_same_month_is_refused_naming_the_next_allowed_date(cast, estate):
    with time_machine.travel(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)):
        first = refresh(cast, estate.sandbox)
        with pytest.raises(InvalidInput) as refused:
            refresh(cast, estate.sandbox, refresh_on="2026-03-28")
    assert first.limit_key == f"sandbox_refresh:{estate.sandbox.id}:2026-03"
    assert "once per calendar month" in refused.value.message
    assert "1 April 2026" in refused.value.message
    assert ServiceRequest.objects.count() == 1


def test_the_first_of_the_next_month_is_allowed_again(cast, estate):
    with time_machine.travel(dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.UTC)):
        refresh(cast, estate.sandbox)
    with time_machine.travel(dt.datetime(2026, 4, 1, 15, 0, tzinfo=dt.UTC)):
        second = refresh(cast, estate.sandbox)
    assert second.details["refresh_on"] == "2026-04-01"


def test_another_sandbox_has_its_own_month(cast, estate):
    other = EnvironmentFactory(tenant=cast.tenant_a, name="Training", kind=EnvironmentKind.SANDBOX)
    with time_machine.travel(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)):
        refresh(cast, estate.sandbox)
        refresh(cast, other)
    assert ServiceRequest.objects.count() == 2


def test_the_month_is_the_tenants_so_auckland_is_already_in_april(cast, estate):
    cast.tenant_a.time_zone = "Pacific/Auckland"
    cast.tenant_a.save()
    with time_machine.travel(dt.datetime(2026, 3, 15, 1, 0, tzinfo=dt.UTC)):
        refresh(cast, estate.sandbox)
    # 31 March 12:30 UTC is 1 April 01:30 in Auckland (NZDT, UTC+13).
    with time_machine.travel(dt.datetime(2026, 3, 31, 12, 30, tzinfo=dt.UTC)):
        april = refresh(cast, estate.sandbox)
    assert april.details["refresh_on"] == "2026-04-01"


def test_the_month_is_the_tenants_so_los_angeles_is_still_in_march(cast, estate):
    cast.tenant_a.time_zone = "America/Los_Angeles"
    cast.tenant_a.save()
    with time_machine.travel(dt.datetime(2026, 3, 15, 18, 0, tzinfo=dt.UTC)):
        refresh(cast, estate.sandbox)
    # 1 April 03:00 UTC is 31 March 20:00 in Los Angeles.
    with (
        time_machine.travel(dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC)),
        pytest.raises(InvalidInput, match="1 April 2026"),
    ):
        refresh(cast, estate.sandbox)


def test_a_rejected_refresh_frees_its_month(cast, estate):
    with time_machine.travel(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)):
        first = refresh(cast, estate.sandbox)
        services.service_request_reject(
            actor=cast.engineer, request_id=first.id, reason="Production is being migrated."
        )
        again = refresh(cast, estate.sandbox)
    assert again.state == "submitted"


def test_a_refresh_asked_for_a_later_month_counts_against_that_month(cast, estate):
    with time_machine.travel(dt.datetime(2026, 3, 30, 15, 0, tzinfo=dt.UTC)):
        refresh(cast, estate.sandbox, refresh_on="2026-04-02")
        with pytest.raises(InvalidInput, match="1 May 2026"):
            refresh(cast, estate.sandbox, refresh_on="2026-04-20")
        march = refresh(cast, estate.sandbox)
    assert march.details["refresh_on"] == "2026-03-30"


def test_a_past_date_or_a_non_sandbox_is_refused(cast, estate):
    with time_machine.travel(dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)):
        with pytest.raises(InvalidInput) as past:
            refresh(cast, estate.sandbox, refresh_on="2026-03-09")
        with pytest.raises(InvalidInput) as production:
            refresh(cast, estate.production)
    assert "past" in past.value.field_errors["refresh_on"][0]
    assert "environment" in production.value.field_errors


def test_another_tenants_sandbox_cannot_be_named(cast, estate):
    globex_sandbox = EnvironmentFactory(tenant=cast.tenant_b, kind=EnvironmentKind.SANDBOX)
    with pytest.raises(InvalidInput) as refused:
        refresh(cast, globex_sandbox)
    assert "environment" in refused.value.field_errors


def test_a_plan_that_does_not_offer_the_type_is_a_404(cast, estate):
    with pytest.raises(NotFound):
        services.service_request_submit(
            actor=cast.contact_b,
            tenant_id=cast.tenant_b.id,
            type_code="sandbox_refresh",
            data={"environment": estate.other_tenants_production.id},
        )
