"""A watcher is mailed only while whoever added it may act for the case's tenant (issue
13, finding 3: an ex-partner's address kept receiving support replies). The rule is read
at send time, so it holds even where no service ran (a partner deactivated in the admin)."""

import pytest

from cases import services
from cases.models import CaseEvent
from cases.notify import notify_case_events
from notifications.models import Notification
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db


def replied_to(case, actor) -> set[str]:
    Notification.objects.all().delete()
    services.case_comment(case_id=case.id, actor=actor, body="The confidential fix.")
    return set(
        Notification.objects.filter(event="case.support_replied").values_list(
            "recipient", flat=True
        )
    )


@pytest.fixture
def watched(cast):
    case = file_case(cast)
    services.case_watcher_add(case_id=case.id, actor=cast.partner_with_letter, email="ex@pat.test")
    services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="cfo@acme.test")
    services.case_watcher_add(case_id=case.id, actor=cast.engineer, email="ask@acme.test")
    return case


def test_every_watcher_is_told_while_those_who_added_them_may_act(cast, watched):
    assert {"ex@pat.test", "cfo@acme.test", "ask@acme.test"} <= replied_to(watched, cast.engineer)


@pytest.mark.parametrize("who", ["partner", "member", "user"])
def test_a_partner_stopped_without_any_service_no_longer_brings_mail_to_its_watchers(
    cast, watched, who
):
    if who == "partner":
        cast.partner.is_active = False
        cast.partner.save()
    elif who == "member":
        membership = cast.partner_with_letter.partner_membership
        membership.is_active = False
        membership.save()
    else:
        cast.partner_with_letter.is_active = False
        cast.partner_with_letter.save()
    sent = replied_to(watched, cast.engineer)
    assert "ex@pat.test" not in sent
    assert {"cfo@acme.test", "ask@acme.test"} <= sent
    assert watched.watchers.filter(email="ex@pat.test").exists()  # no service ran


def test_staff_added_watchers_stay_when_the_staff_member_leaves(cast, watched):
    cast.engineer.is_active = False
    cast.engineer.save()
    assert "ask@acme.test" in replied_to(watched, cast.manager)


def test_the_sweeps_batch_applies_the_same_rule(cast, watched):
    cast.partner.is_active = False
    cast.partner.save()
    Notification.objects.all().delete()
    services.case_comment(case_id=watched.id, actor=cast.engineer, body="Batch.")
    event = watched.events.filter(kind=CaseEvent.Kind.COMMENTED).latest("id")
    Notification.objects.all().delete()
    notify_case_events([event])
    sent = set(Notification.objects.values_list("recipient", flat=True))
    assert "ex@pat.test" not in sent
    assert "cfo@acme.test" in sent
