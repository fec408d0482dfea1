"""The per-case notification list, through its services."""

import pytest

from cases import services
from cases.models import CaseEvent, CaseWatcher
from cases.services.watchers import MAX_WATCHERS_PER_CASE
from supportdesk.errors import InvalidInput, NotFound, StateConflict
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db


def test_contact_adds_a_watcher_and_the_timeline_says_so(cast):
    case = file_case(cast)
    watcher = services.case_watcher_add(
        case_id=case.id, actor=cast.contact_a, email=" Ops@Acme.test ", name="Ops team"
    )
    assert (watcher.email, watcher.name, watcher.added_by) == (
        "ops@acme.test",
        "Ops team",
        cast.contact_a,
    )
    event = case.events.get(kind=CaseEvent.Kind.WATCHER_ADDED)
    assert event.public
    assert event.message == "ops@acme.test"


def test_partner_and_staff_may_add_watchers_too(cast):
    case = file_case(cast)
    services.case_watcher_add(case_id=case.id, actor=cast.partner_with_letter, email="a@x.test")
    services.case_watcher_add(case_id=case.id, actor=cast.engineer, email="b@x.test")
    assert case.watchers.count() == 2


def test_watcher_of_another_tenants_case_is_not_found(cast):
    case = file_case(cast)
    for outsider in (cast.contact_b, cast.partner_without_letter):
        with pytest.raises(NotFound):
            services.case_watcher_add(case_id=case.id, actor=outsider, email="x@x.test")
    watcher = services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="a@x.test")
    with pytest.raises(NotFound):
        services.case_watcher_remove(case_id=case.id, actor=cast.contact_b, watcher_id=watcher.id)
    assert case.watchers.count() == 1


def test_bad_or_duplicate_address_is_refused_on_the_email_field(cast):
    case = file_case(cast)
    with pytest.raises(InvalidInput) as bad:
        services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="not-an-address")
    assert "email" in bad.value.field_errors
    services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="a@x.test")
    with pytest.raises(InvalidInput) as duplicate:
        services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="A@x.test")
    assert "already" in duplicate.value.message
    assert case.watchers.count() == 1


def test_list_is_capped(cast):
    case = file_case(cast)
    for n in range(MAX_WATCHERS_PER_CASE):
        CaseWatcher.objects.create(case=case, email=f"p{n}@x.test", added_by=cast.contact_a)
    with pytest.raises(InvalidInput):
        services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="one@more.test")


def test_closed_case_takes_no_new_watchers_but_can_lose_one(cast):
    case = file_case(cast)
    watcher = services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="a@x.test")
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Solved it ourselves.")
    with pytest.raises(StateConflict):
        services.case_watcher_add(case_id=case.id, actor=cast.contact_a, email="b@x.test")
    services.case_watcher_remove(case_id=case.id, actor=cast.contact_a, watcher_id=watcher.id)
    assert not case.watchers.exists()
    assert case.events.filter(kind=CaseEvent.Kind.WATCHER_REMOVED, message="a@x.test").exists()


def test_removing_someone_not_on_the_list_is_not_found(cast):
    case = file_case(cast)
    other = file_case(cast)
    watcher = services.case_watcher_add(case_id=other.id, actor=cast.contact_a, email="a@x.test")
    with pytest.raises(NotFound):
        services.case_watcher_remove(case_id=case.id, actor=cast.contact_a, watcher_id=watcher.id)
