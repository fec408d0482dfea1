"""Priority rules on every channel: phone-only priorities, priorities limited to some
environments, the phone call that answers a case, and agreed update cadences."""

import datetime as dt

import pytest

from cases import services
from cases.models import Case, CaseEvent, Channel, State
from cases.selectors import comments_for, events_for
from cases.services import inbound_receive
from cases.services.clocks import cases_recompute_clocks
from cases.services.common import with_tenants
from notifications.models import InboundEmail
from supportdesk.errors import InvalidInput, NotPermitted, StateConflict
from tenants import services as tenant_services
from tenants.models import AgreedUpdateCadence, ChannelRule, EnvironmentKind
from tenants.phones import support_phone_for
from tests.cases.helpers import file_case, fresh, ny
from tests.cases.test_inbound import eml
from tests.factories import ContactFactory, SupportPhoneFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def priority(cast, code: str = "P1"):
    return cast.tenant_a.plan.priorities.get(code=code)


def set_rule(cast, code: str = "P1", **values: object) -> None:
    cast.tenant_a.plan.priorities.filter(code=code).update(**values)


@pytest.fixture
def phones(cast):
    plan = cast.tenant_a.plan
    return {
        "americas": SupportPhoneFactory(
            plan=plan,
            region="Americas",
            countries=["US", "CA"],
            number="+1 212 555 0100",
            hours="24×7 for Priority 1",
            order=0,
        ),
        "rest": SupportPhoneFactory(
            plan=plan,
            region="All other regions",
            countries=[],
            number="+44 20 7946 0000",
            hours="9am–5pm Mon–Fri",
            order=1,
        ),
    }


# Which number a person sees


def test_contact_sees_the_number_of_their_own_country(cast, phones):
    cast.tenant_a.country = "DE"
    cast.tenant_a.save()
    cast.contact_a.contacts.update(country="CA")
    assert support_phone_for(cast.contact_a, cast.tenant_a) == phones["americas"]


def test_contact_without_a_country_uses_the_customers(cast, phones):
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    assert support_phone_for(cast.contact_a, cast.tenant_a) == phones["americas"]


def test_a_country_no_row_names_gets_the_blank_countries_number(cast, phones):
    cast.tenant_a.country = "JP"
    cast.tenant_a.save()
    assert support_phone_for(cast.contact_a, cast.tenant_a) == phones["rest"]
    assert support_phone_for(cast.partner_with_letter, cast.tenant_a) == phones["rest"]


def test_plan_without_numbers_gives_none(cast):
    assert support_phone_for(cast.contact_a, cast.tenant_a) is None


# Phone-only priorities


def test_phone_only_priority_is_refused_in_the_portal_with_the_number_to_call(cast, phones):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    with pytest.raises(InvalidInput) as refused:
        file_case(cast, priority="P1")
    assert list(refused.value.field_errors) == ["priority"]
    assert "P1 Critical cases are taken by phone only" in refused.value.message
    assert "call +1 212 555 0100 (24×7 for Priority 1)" in refused.value.message
    assert not Case.objects.exists()


def test_phone_only_refusal_names_the_number_for_the_reporters_own_country(cast, phones):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    cast.tenant_a.country = "US"
    cast.tenant_a.save()
    cast.contact_a.contacts.update(country="GB")
    with pytest.raises(InvalidInput, match=r"\+44 20 7946 0000 \(9am–5pm Mon–Fri\)"):
        file_case(cast, priority="P1")


def test_phone_only_priority_is_refused_through_the_api_channel(cast, phones):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    with pytest.raises(InvalidInput, match="by phone only"):
        file_case(cast, priority="P1", channel=Channel.API)
    with pytest.raises(InvalidInput, match="by phone only"):
        file_case(cast, actor=cast.partner_with_letter, priority="P1", channel=Channel.API)


def test_mail_still_arrives_at_the_lowest_priority_when_the_top_one_is_phone_only(cast):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    case = file_case(cast, priority="P1", channel=Channel.EMAIL)
    assert case.priority == "P4"


def test_mail_is_refused_when_even_the_lowest_priority_is_phone_only(cast, phones):
    set_rule(cast, "P4", channel_rule=ChannelRule.PHONE_ONLY)
    with pytest.raises(InvalidInput, match="P4 Low cases are taken by phone only"):
        file_case(cast, channel=Channel.EMAIL)


def test_staff_log_a_phone_only_case_during_the_call(cast):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    case = file_case(
        cast, actor=cast.engineer, priority="P1", channel=Channel.PHONE, reporter=cast.contact_a
    )
    assert (case.priority, case.channel, case.reporter) == ("P1", "phone", cast.contact_a)


def test_staff_logging_in_writing_is_refused_for_a_phone_only_priority(cast):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    with pytest.raises(InvalidInput, match="by phone only"):
        file_case(
            cast, actor=cast.engineer, priority="P1", channel=Channel.API, reporter=cast.contact_a
        )


def test_customers_cannot_claim_the_phone_channel(cast):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    with pytest.raises(NotPermitted) as refused:
        file_case(cast, priority="P1", channel=Channel.PHONE)
    assert list(refused.value.field_errors) == ["channel"]
    assert not Case.objects.exists()


def test_portal_and_phone_priority_is_filed_in_the_portal(cast):
    set_rule(cast, channel_rule=ChannelRule.PORTAL_AND_PHONE)
    assert file_case(cast, priority="P1").priority == "P1"


# Environments allowed


def test_production_only_priority_refuses_a_sandbox_case_on_every_written_channel(cast):
    set_rule(cast, environments_allowed=[EnvironmentKind.PRODUCTION])
    for channel in (Channel.PORTAL, Channel.API):
        with pytest.raises(InvalidInput) as refused:
            file_case(cast, priority="P1", environment=EnvironmentKind.SANDBOX, channel=channel)
        assert refused.value.field_errors["priority"] == [
            "Priority P1 is for production only; choose Production or a lower priority."
        ]
    with pytest.raises(InvalidInput, match="production only"):
        file_case(
            cast,
            actor=cast.engineer,
            reporter=cast.contact_a,
            channel=Channel.PHONE,
            priority="P1",
            environment=EnvironmentKind.TEST,
        )
    assert not Case.objects.exists()


def test_production_only_priority_accepts_a_production_case(cast):
    set_rule(cast, environments_allowed=[EnvironmentKind.PRODUCTION])
    case = file_case(cast, priority="P1", environment=EnvironmentKind.PRODUCTION)
    assert case.priority == "P1"


def test_priority_for_two_environments_names_both(cast):
    set_rule(cast, environments_allowed=[EnvironmentKind.SANDBOX, EnvironmentKind.PRODUCTION])
    with pytest.raises(InvalidInput, match="for production or sandbox only; choose Production"):
        file_case(cast, priority="P1", environment=EnvironmentKind.TEST)


def test_mail_chooses_no_environment_so_the_rule_does_not_refuse_it(cast):
    set_rule(cast, "P4", environments_allowed=[EnvironmentKind.SANDBOX])
    assert file_case(cast, channel=Channel.EMAIL).priority == "P4"


def test_priority_change_refuses_a_priority_not_allowed_for_the_cases_environment(cast):
    case = file_case(cast, priority="P2", environment=EnvironmentKind.SANDBOX)
    set_rule(cast, environments_allowed=[EnvironmentKind.PRODUCTION])
    with pytest.raises(InvalidInput, match="P1 is for production only"):
        services.case_change_priority(
            case_id=case.id, actor=cast.engineer, priority="P1", reason="Customer asked"
        )
    assert fresh(case).priority == "P2"
    services.case_change_priority(
        case_id=case.id, actor=cast.engineer, priority="P3", reason="Workaround found"
    )
    assert fresh(case).priority == "P3"


# A phone call that answers the case


def test_phone_case_logged_by_staff_is_answered_at_receipt(cast, time_machine):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY, initial_response="immediate")
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(
        cast, actor=cast.engineer, priority="P1", channel=Channel.PHONE, reporter=cast.contact_a
    )
    case = fresh(case)
    assert case.first_responded_at == ny(6, 10)
    assert case.initial_response_due == ny(6, 10)
    assert any(
        "Initial response given at" in line and "on time" in line for line in case.sla_explanation
    )


def test_immediate_target_of_a_portal_case_is_due_at_receipt(cast, time_machine):
    set_rule(cast, initial_response="immediate")
    time_machine.move_to(ny(6, 10), tick=False)
    case = fresh(file_case(cast, priority="P1"))
    assert case.initial_response_due == ny(6, 10)
    assert case.first_responded_at is None


def test_call_that_reached_the_customer_is_the_initial_response(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P2")
    time_machine.move_to(ny(6, 11), tick=False)
    event = services.case_log_phone_call(
        case_id=case.id,
        actor=cast.engineer,
        note="Walked through the logs together.",
        reached=True,
    )
    case = fresh(case)
    assert event.kind == CaseEvent.Kind.PHONE_CALL
    assert event.public
    assert case.first_responded_at == ny(6, 11)
    assert any(
        line == "Initial response given at Mon 2026-04-06 11:00 EDT, on time."
        for line in case.sla_explanation
    )
    # P2 updates every 2 business days, from the call.
    assert case.next_update_due == ny(8, 11)
    assert case.state == State.NEW
    bodies = [c.body for c in comments_for(cast.contact_a, case)]
    assert bodies == ["Walked through the logs together."]


def test_call_that_did_not_reach_the_customer_moves_no_clock_and_stays_internal(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P2")
    due = fresh(case).initial_response_due
    time_machine.move_to(ny(6, 11), tick=False)
    services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="Voicemail.", reached=False
    )
    case = fresh(case)
    assert case.first_responded_at is None
    assert case.initial_response_due == due
    assert not comments_for(cast.contact_a, case).exists()
    assert not events_for(cast.contact_a, case).filter(kind=CaseEvent.Kind.PHONE_CALL).exists()
    assert events_for(cast.engineer, case).filter(kind=CaseEvent.Kind.PHONE_CALL).exists()


def test_later_call_restarts_the_update_interval(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P2")
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking.")
    time_machine.move_to(ny(7, 10), tick=False)
    services.case_log_phone_call(
        case_id=case.id, actor=cast.engineer, note="Agreed next steps.", reached=True
    )
    assert fresh(case).next_update_due == ny(9, 10)


def test_only_staff_log_calls_and_not_on_closed_cases(cast):
    case = file_case(cast)
    with pytest.raises(NotPermitted):
        services.case_log_phone_call(
            case_id=case.id, actor=cast.contact_a, note="I called", reached=True
        )
    with pytest.raises(InvalidInput):
        services.case_log_phone_call(case_id=case.id, actor=cast.engineer, note=" ", reached=True)
    services.case_close(case_id=case.id, actor=cast.engineer, reason="duplicate", note="Dup")
    with pytest.raises(StateConflict):
        services.case_log_phone_call(
            case_id=case.id, actor=cast.engineer, note="Called", reached=True
        )


# Agreed update cadence: case > tenant > plan


def answered(cast, time_machine, **overrides):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P1", **overrides)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="On it.")
    return case


def test_plan_update_interval_applies_without_an_agreement(cast, time_machine):
    case = answered(cast, time_machine)
    assert fresh(case).next_update_due == ny(6, 11)  # P1: every hour


def test_tenant_cadence_replaces_the_plans_and_recomputes_open_cases(cast, time_machine):
    case = answered(cast, time_machine)
    tenant_services.tenant_set_update_cadence(
        actor=cast.manager, tenant_id=cast.tenant_a.id, priority_code="P1", update_interval="30m"
    )
    case = fresh(case)
    assert case.next_update_due == ny(6, 10, 30)
    assert (
        "Update interval agreed with the customer for P1: every 30 minutes (the plan says "
        "1 hour)." in case.sla_explanation
    )


def test_tenant_cadence_for_another_priority_changes_nothing(cast, time_machine):
    case = answered(cast, time_machine)
    tenant_services.tenant_set_update_cadence(
        actor=cast.manager, tenant_id=cast.tenant_a.id, priority_code="P2", update_interval="4h"
    )
    assert fresh(case).next_update_due == ny(6, 11)


def test_blank_tenant_cadence_goes_back_to_the_plan(cast, time_machine):
    case = answered(cast, time_machine)
    for interval in ("30m", ""):
        tenant_services.tenant_set_update_cadence(
            actor=cast.manager,
            tenant_id=cast.tenant_a.id,
            priority_code="P1",
            update_interval=interval,
        )
    assert not AgreedUpdateCadence.objects.exists()
    assert fresh(case).next_update_due == ny(6, 11)


def test_tenant_cadence_is_for_managers_and_checks_its_input(cast):
    with pytest.raises(NotPermitted):
        tenant_services.tenant_set_update_cadence(
            actor=cast.engineer,
            tenant_id=cast.tenant_a.id,
            priority_code="P1",
            update_interval="2h",
        )
    with pytest.raises(InvalidInput) as refused:
        tenant_services.tenant_set_update_cadence(
            actor=cast.manager,
            tenant_id=cast.tenant_a.id,
            priority_code="P9",
            update_interval="2h",
        )
    assert list(refused.value.field_errors) == ["priority_code"]
    with pytest.raises(InvalidInput) as refused:
        tenant_services.tenant_set_update_cadence(
            actor=cast.manager,
            tenant_id=cast.tenant_a.id,
            priority_code="P1",
            update_interval="every so often",
        )
    assert list(refused.value.field_errors) == ["update_interval"]
    assert not AgreedUpdateCadence.objects.exists()


def test_case_cadence_wins_over_the_tenants_and_the_customer_sees_it(cast, time_machine):
    case = answered(cast, time_machine)
    tenant_services.tenant_set_update_cadence(
        actor=cast.manager, tenant_id=cast.tenant_a.id, priority_code="P1", update_interval="30m"
    )
    event = services.case_set_update_cadence(
        case_id=case.id, actor=cast.engineer, interval="2H", expected_version=fresh(case).version
    )
    case = fresh(case)
    assert case.agreed_update_interval == "2h"
    assert case.next_update_due == ny(6, 12)
    assert event.kind == CaseEvent.Kind.UPDATE_CADENCE_CHANGED
    assert events_for(cast.contact_a, case).filter(id=event.id).exists()
    assert "Update interval agreed for this case: every 2 hours (the plan says 1 hour)." in (
        case.sla_explanation
    )


def test_case_cadence_holds_after_a_priority_change(cast, time_machine):
    case = answered(cast, time_machine)
    services.case_set_update_cadence(case_id=case.id, actor=cast.engineer, interval="2h")
    services.case_change_priority(
        case_id=case.id, actor=cast.engineer, priority="P3", reason="Workaround"
    )
    assert fresh(case).next_update_due == ny(6, 12)


def test_case_cadence_refusals(cast, time_machine):
    case = answered(cast, time_machine)
    with pytest.raises(NotPermitted):
        services.case_set_update_cadence(case_id=case.id, actor=cast.contact_a, interval="2h")
    with pytest.raises(InvalidInput) as refused:
        services.case_set_update_cadence(case_id=case.id, actor=cast.engineer, interval="soon")
    assert list(refused.value.field_errors) == ["interval"]
    with pytest.raises(InvalidInput, match="already"):
        services.case_set_update_cadence(case_id=case.id, actor=cast.engineer, interval="")
    assert fresh(case).agreed_update_interval == ""


def test_batch_recompute_reads_the_cadences_of_all_tenants_in_one_query(
    cast, time_machine, django_assert_num_queries
):
    time_machine.move_to(ny(6, 10), tick=False)
    others = [TenantFactory(plan=cast.tenant_a.plan) for _ in range(3)]
    cases = [file_case(cast, priority="P1")]
    for tenant in others:
        contact = ContactFactory(tenant=tenant).user
        cases.append(file_case(cast, actor=contact, tenant_id=tenant.id, priority="P1"))
        AgreedUpdateCadence.objects.create(tenant=tenant, priority_code="P1", update_interval="2h")
    small = with_tenants([Case.objects.get(id=cases[0].id)])
    big = with_tenants(list(Case.objects.filter(id__in=[c.id for c in cases])))
    # Warm the plan's policies so both runs count the same fixed queries.
    policies: dict = {}
    cases_recompute_clocks(small, policies=policies, save=False)
    with django_assert_num_queries(3):  # timelines, staff replies, cadences
        cases_recompute_clocks(small, policies=policies, save=False)
    # The same three, and the plan's offered categories once for the batch's one plan.
    with django_assert_num_queries(4):
        cases_recompute_clocks(big, policies=policies, save=False)


def test_cadence_agreed_before_the_first_reply_counts_from_it(cast, time_machine):
    time_machine.move_to(ny(6, 10), tick=False)
    case = file_case(cast, priority="P1")
    services.case_set_update_cadence(case_id=case.id, actor=cast.engineer, interval="3h")
    assert fresh(case).next_update_due is None
    time_machine.move_to(ny(6, 10, 30), tick=False)
    services.case_comment(case_id=case.id, actor=cast.engineer, body="Looking.")
    assert fresh(case).next_update_due == ny(6, 13, 30)


def test_off_hours_target_applies_to_a_case_filed_at_night(cast, time_machine):
    set_rule(cast, "P2", initial_response="4bh", off_hours_initial_response="2h")
    time_machine.move_to(dt.datetime(2026, 4, 6, 22, 0, tzinfo=ny(6, 0).tzinfo), tick=False)
    case = fresh(file_case(cast, priority="P2"))
    assert case.initial_response_due == ny(7, 0)
    assert any("off-hours target of 2 hours applies" in line for line in case.sla_explanation)


# Real mail through the inbound route


def _juergens_mail(cast) -> InboundEmail:
    ContactFactory(tenant=cast.tenant_a, user=UserFactory(username="juergen@acme.test"))
    return inbound_receive(eml("new-html-only-iso-8859-1.eml"), source=InboundEmail.Source.PIPE)


def test_inbound_mail_opens_a_case_at_the_lowest_priority_though_p1_is_phone_only(cast):
    set_rule(cast, channel_rule=ChannelRule.PHONE_ONLY)
    record = _juergens_mail(cast)
    assert record.status == InboundEmail.Status.PROCESSED
    assert Case.objects.get(id=record.case_id).priority == "P4"


def test_inbound_mail_is_rejected_naming_the_number_when_the_lowest_is_phone_only(cast, phones):
    set_rule(cast, "P4", channel_rule=ChannelRule.PHONE_ONLY)
    record = _juergens_mail(cast)
    assert record.status == InboundEmail.Status.REJECTED
    assert "P4 Low cases are taken by phone only: call +44 20 7946 0000" in record.outcome
    assert not Case.objects.exists()
