"""The plan's contact rules through the API: the plan shows them (and so the schema), and
a contact request is held to the accepted certifications and the notice period."""

import datetime as dt

import pytest
import time_machine

from tenants.models import AcceptedCertification, ContactRequest
from tests.api.test_tenants import tenant_url

pytestmark = pytest.mark.django_db

DAM = "Aprimo DAM Certified"
PM = "Aprimo Productivity Management Certified"
ANNS = "Certified Administrator"  # the cast's contacts hold it (tests.factories)
MONDAY_BEFORE_THANKSGIVING = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)


def _plan(cast, **rules: object):
    plan = cast.tenant_a.plan
    for name, value in rules.items():
        setattr(plan, name, value)
    plan.save()
    return plan


def _accept(plan, *names: str) -> None:
    for order, name in enumerate(names):
        AcceptedCertification.objects.create(plan=plan, name=name, order=order)


# --- The API: the plan shows the rules; a contact request keeps them.


def test_the_api_plan_shows_the_contact_rules(cast, api):
    _plan(
        cast,
        max_portal_contacts=None,
        recommended_min_contacts=2,
        contact_notice_business_days=5,
        partners_count_toward_limit=True,
        partners_need_certification=True,
    )
    _accept(cast.tenant_a.plan, DAM, PM, ANNS)
    plan = api(cast.contact_a).get(tenant_url("tenant", cast.tenant_a)).json()["plan"]
    assert plan["max_portal_contacts"] is None
    assert plan["accepted_certifications"] == [DAM, PM, ANNS]
    assert plan["contact_notice_business_days"] == 5
    assert plan["recommended_min_contacts"] == 2
    assert plan["partners_count_toward_limit"] is True
    assert plan["partners_need_certification"] is True


@time_machine.travel(MONDAY_BEFORE_THANKSGIVING, tick=False)
def test_an_api_contact_request_is_held_to_the_certifications_and_notice(cast, api):
    _plan(cast, contact_notice_business_days=5)
    _accept(cast.tenant_a.plan, DAM, ANNS)
    client = api(cast.contact_a)
    url = tenant_url("contact-requests", cast.tenant_a)
    body = {
        "first_name": "Carl",
        "last_name": "Acme",
        "email": "carl@acme.test",
        "training_completed": "Admin Essentials",
        "effective_from": "2026-11-24",
    }
    refused = client.post(url, body, format="json")
    assert refused.status_code == 400
    assert not ContactRequest.objects.exists()
    body.update(training_completed=DAM.upper(), effective_from=None)
    created = client.post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["training_completed"] == DAM
    assert created.json()["effective_from"] == "2026-12-01"
