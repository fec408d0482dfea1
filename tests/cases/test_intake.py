"""Categories a plan offers and the plan's own questions (cases/services/intake.py), on
every channel that files or closes a case."""

import pytest

from cases import services
from cases.models import Case, Channel, CloseReason, Comment
from cases.selectors import case_list_for, case_search, cases_matching, queue_for
from cases.services import inbound_receive
from notifications.models import InboundEmail
from supportdesk.errors import InvalidInput
from tenants.models import IntakeField, PlanCategory
from tenants.services import plan_reapply
from tests.cases.helpers import file_case, fresh, taken
from tests.factories import IntakeFieldFactory, category, offer
from tests.inbound_mail import from_our_mta

pytestmark = pytest.mark.django_db


def field(plan, key, kind=IntakeField.Kind.TEXT, *, code=None, **extra) -> IntakeField:
    return IntakeFieldFactory(
        plan=plan,
        key=key,
        label=extra.pop("label", key.replace("_", " ").capitalize()),
        kind=kind,
        category=category(code) if code else None,
        **extra,
    )


def refusal(call) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as refused:
        call()
    return refused.value.field_errors


# Offered categories


def test_a_category_the_plan_does_not_offer_is_refused_and_files_nothing(cast):
    category("billing", "Billing enquiry")
    errors = refusal(lambda: file_case(cast, category="billing"))
    assert "Billing enquiry" not in errors["category"][0]
    assert "Bug" in errors["category"][0]  # names what the plan offers
    assert not Case.objects.exists()


def test_a_category_another_plan_offers_is_refused_for_this_plan(cast):
    offer(cast.tenant_b.plan, "billing")
    assert "category" in refusal(lambda: file_case(cast, category="billing"))
    offer(cast.tenant_a.plan, "billing", sla_applies=False)
    assert file_case(cast, category="billing").category == "billing"


def test_an_inactive_category_is_offered_nowhere(cast):
    row = category("bug")
    row.is_active = False
    row.save()
    assert "category" in refusal(lambda: file_case(cast, category="bug"))


def test_staff_logging_a_phone_case_meet_the_same_category_rule(cast):
    errors = refusal(
        lambda: file_case(
            cast,
            actor=cast.engineer,
            reporter=cast.contact_a,
            channel=Channel.PHONE,
            category="gossip",
        )
    )
    assert "category" in errors


def test_sla_applies_on_the_plan_category_decides_whether_clocks_run(cast):
    offer(cast.tenant_a.plan, "question", sla_applies=True)
    question = file_case(cast, category="question")
    assert question.initial_response_due is not None
    offer(cast.tenant_a.plan, "bug", sla_applies=False)
    bug = file_case(cast, category="bug")
    assert bug.initial_response_due is None
    assert fresh(bug).sla_explanation == [
        f"Bug cases carry no SLA targets under the {cast.tenant_a.plan.name} plan: no clock runs."
    ]


def test_turning_sla_off_for_a_category_and_reapplying_the_plan_stops_open_clocks(cast):
    case = file_case(cast, category="bug")
    assert case.next_due_at is not None
    PlanCategory.objects.filter(plan=cast.tenant_a.plan, category__code="bug").update(
        sla_applies=False
    )
    plan_reapply(plan_id=cast.tenant_a.plan_id)
    assert fresh(case).next_due_at is None


# Intake fields: kinds


@pytest.mark.parametrize(
    ("kind", "given", "stored"),
    [
        (IntakeField.Kind.TEXT, "  Every morning  ", "Every morning"),
        (IntakeField.Kind.NUMBER, "12", 12),
        (IntakeField.Kind.NUMBER, 2.5, 2.5),
        (IntakeField.Kind.DATE, "2026-04-07", "2026-04-07"),
        (IntakeField.Kind.YES_NO, "yes", True),
        (IntakeField.Kind.YES_NO, False, False),
        (IntakeField.Kind.CHOICE, "weekly", "Weekly"),
    ],
)
def test_each_field_kind_stores_its_answer_typed(cast, kind, given, stored):
    choices = "Daily\nWeekly\nOnce" if kind == IntakeField.Kind.CHOICE else ""
    field(cast.tenant_a.plan, "answer", kind, choices=choices)
    case = file_case(cast, custom_fields={"answer": given})
    assert fresh(case).custom_fields == {"answer": stored}


@pytest.mark.parametrize(
    ("kind", "given", "message"),
    [
        (IntakeField.Kind.TEXT, 12, "Give the answer as text."),
        (IntakeField.Kind.NUMBER, "many", "Give a number."),
        (IntakeField.Kind.NUMBER, True, "Give a number."),
        (IntakeField.Kind.DATE, "7 April", "Give a date as YYYY-MM-DD."),
        (IntakeField.Kind.YES_NO, "maybe", "Answer yes or no."),
        (IntakeField.Kind.CHOICE, "Hourly", "Choose one of: Daily, Weekly."),
        (IntakeField.Kind.CHOICE, ["Daily"], "Give the answer as text."),
    ],
)
def test_each_field_kind_refuses_a_wrong_answer_by_its_key(cast, kind, given, message):
    choices = "Daily\nWeekly" if kind == IntakeField.Kind.CHOICE else ""
    field(cast.tenant_a.plan, "answer", kind, choices=choices, label="Answer")
    errors = refusal(lambda: file_case(cast, custom_fields={"answer": given}))
    assert errors == {"custom_fields.answer": [f"Answer: {message}"]}
    assert not Case.objects.exists()


def test_unknown_keys_and_another_categorys_fields_are_refused(cast):
    field(cast.tenant_a.plan, "frequency", code="performance_issue")
    errors = refusal(lambda: file_case(cast, custom_fields={"frequency": "x", "colour": "red"}))
    assert set(errors) == {"custom_fields.frequency", "custom_fields.colour"}
    case = file_case(cast, category="performance_issue", custom_fields={"frequency": "hourly"})
    assert case.custom_fields == {"frequency": "hourly"}


def test_a_required_intake_field_is_required_for_its_category_only(cast):
    field(cast.tenant_a.plan, "desired_severity", code="bug", required=True)
    assert "custom_fields.desired_severity" in refusal(lambda: file_case(cast))
    assert file_case(cast, category="question").custom_fields == {}
    assert file_case(cast, custom_fields={"desired_severity": "high"}).custom_fields


def test_an_inactive_field_is_not_asked(cast):
    field(cast.tenant_a.plan, "old", required=True, is_active=False)
    assert file_case(cast).custom_fields == {}


def test_the_api_channel_refuses_what_the_portal_refuses(cast):
    field(cast.tenant_a.plan, "users", IntakeField.Kind.NUMBER, required=True)
    errors = refusal(lambda: file_case(cast, channel=Channel.API, custom_fields={"users": "x"}))
    assert list(errors) == ["custom_fields.users"]


# Closure fields


def test_staff_close_refuses_without_a_required_closure_field_and_stores_it(cast):
    field(cast.tenant_a.plan, "root_cause", stage=IntakeField.Stage.CLOSURE, required=True)
    case = taken(cast)

    def close(**answers):
        return services.case_close(
            case_id=case.id,
            actor=cast.engineer,
            reason=CloseReason.OUT_OF_SCOPE,
            note="A third-party connector fails.",
            custom_fields=answers,
        )

    assert refusal(close) == {"custom_fields.root_cause": ["Root cause: this is required."]}
    assert fresh(case).is_open
    close(root_cause="Vendor connector 2.1")
    closed = fresh(case)
    assert (closed.close_reason, closed.custom_fields) == (
        "out_of_scope",
        {"root_cause": "Vendor connector 2.1"},
    )


def test_closure_fields_are_not_asked_at_intake(cast):
    field(cast.tenant_a.plan, "root_cause", stage=IntakeField.Stage.CLOSURE, required=True)
    assert file_case(cast).custom_fields == {}
    assert "custom_fields.root_cause" in refusal(
        lambda: file_case(cast, custom_fields={"root_cause": "early"})
    )


def test_customer_cancelling_is_not_held_up_by_closure_fields(cast):
    field(cast.tenant_a.plan, "root_cause", stage=IntakeField.Stage.CLOSURE, required=True)
    case = file_case(cast)
    services.case_cancel(case_id=case.id, actor=cast.contact_a, reason="Solved it ourselves.")
    assert not fresh(case).is_open


# Search


def test_queue_search_finds_a_case_by_a_custom_value_within_what_the_user_sees(cast):
    field(cast.tenant_a.plan, "frequency")
    field(cast.tenant_b.plan, "frequency")
    mine = file_case(cast, custom_fields={"frequency": "Nightly batch"})
    theirs = file_case(
        cast,
        actor=cast.contact_b,
        tenant_id=cast.tenant_b.id,
        custom_fields={"frequency": "nightly import"},
    )
    staff = case_search(queue_for(cast.engineer), "NIGHTLY", viewer=cast.engineer)
    assert set(staff) == {mine, theirs}
    assert list(case_search(queue_for(cast.engineer), "batch", viewer=cast.engineer)) == [mine]
    assert list(cases_matching(cast.contact_a, query="nightly")) == [mine]
    assert list(case_list_for(cast.contact_b, tenant_id=cast.tenant_b.id, query="nightly")) == [
        theirs
    ]
    assert not cases_matching(cast.contact_b, query="batch").exists()


def test_closure_answers_are_searchable_after_closing(cast):
    field(cast.tenant_a.plan, "root_cause", stage=IntakeField.Stage.CLOSURE)
    case = taken(cast)
    services.case_close(
        case_id=case.id,
        actor=cast.engineer,
        reason=CloseReason.RESOLVED,
        note="Fixed.",
        custom_fields={"root_cause": "Expired certificate"},
    )
    assert list(case_search(queue_for(cast.engineer), "certificate", viewer=cast.engineer)) == [
        case
    ]


# Email


def new_mail(body: str) -> bytes:
    return from_our_mta(
        (
            "From: Ann <ann@acme.test>\r\n"
            "To: support@supportdesk.test\r\n"
            "Subject: Export fails\r\n"
            "Message-ID: <intake-1@acme.test>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n" + body.replace("\n", "\r\n")
        ).encode()
    )


def test_mail_fills_named_fields_and_notes_missing_and_invalid_ones(cast, settings):
    plan = cast.tenant_a.plan
    settings.INBOUND_CASE_CATEGORY = "functionality_issue"
    field(plan, "frequency", label="How often", code="functionality_issue")
    field(plan, "users", IntakeField.Kind.NUMBER, label="Users affected")
    field(plan, "first_seen", IntakeField.Kind.DATE, label="First seen", required=True)
    field(plan, "severity", code="functionality_issue", required=True)
    body = "How often: every night\nusers: lots\n\nThe export stops at 50%.\nSeverity: high\n"
    record = inbound_receive(new_mail(body), source=InboundEmail.Source.PIPE)
    assert record.status == InboundEmail.Status.PROCESSED
    case = Case.objects.get(id=record.case_id)
    assert (case.channel, case.category) == ("email", "functionality_issue")
    assert case.custom_fields == {"frequency": "every night"}  # severity came after the text
    note = Comment.objects.get(case=case, public=False)
    assert note.author is None
    assert "First seen (required) was not given." in note.body
    assert "Severity (required) was not given." in note.body
    assert "Users affected: “lots” was left out. Give a number." in note.body


def test_mail_answering_every_required_field_leaves_no_note(cast, settings):
    settings.INBOUND_CASE_CATEGORY = "functionality_issue"
    field(cast.tenant_a.plan, "first_seen", IntakeField.Kind.DATE, required=True)
    record = inbound_receive(
        new_mail("First_seen: 2026-04-07\nIt broke."), source=InboundEmail.Source.PIPE
    )
    case = Case.objects.get(id=record.case_id)
    assert case.custom_fields == {"first_seen": "2026-04-07"}
    assert not Comment.objects.filter(case=case, public=False).exists()


def test_mail_files_under_the_plans_first_category_when_it_lacks_the_configured_one(cast, settings):
    from cases.services.inbound import mail_category

    settings.INBOUND_CASE_CATEGORY = "billing"
    plan = cast.tenant_a.plan
    assert mail_category(plan) == "request"
    offer(plan, "billing", sla_applies=False)
    plan.forget_categories()
    assert mail_category(plan) == "billing"
