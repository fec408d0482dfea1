"""Shared steps of the SLA and automation tests.

The factory plan counts on "Mon–Fri 9–17 New York" with US holidays; April 2026 has no
US holiday, and New York is on EDT (UTC−4) all month. Mon 6, Fri 10, Mon 13 April …
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

from django.forms.models import model_to_dict

from cases import services
from cases.models import Case
from tenants.plan_editor import split_target

NEW_YORK = ZoneInfo("America/New_York")
SUMMARY = "Invoices export fails with a timeout"


def ny(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of April 2026, New York time."""
    return dt.datetime(2026, 4, day, hour, minute, tzinfo=NEW_YORK)


def utc_iso(instant: dt.datetime) -> str:
    """How event data carries an instant."""
    return instant.astimezone(dt.UTC).isoformat()


def file_case(cast, summary: str = SUMMARY, *, actor=None, **overrides: object) -> Case:
    """A case filed through `case_create`, as the portal files it: a P2 bug of tenant A with
    environment access granted, by the tenant's contact unless `actor` says otherwise.
    `overrides` are `case_create`'s own arguments. The one way the tests file a case."""
    data = {
        "actor": actor or cast.contact_a,
        "tenant_id": cast.tenant_a.id,
        "summary": summary,
        "category": "bug",
        "priority": "P2",
        "environment_access": "granted",
    }
    data.update(overrides)
    return services.case_create(**data)


def fresh(case: Case) -> Case:
    return Case.objects.get(id=case.id)


def taken(cast, summary: str = SUMMARY, **overrides: object) -> Case:
    """A case filed by `file_case` and taken by the cast's engineer."""
    case = file_case(cast, summary, **overrides)
    return services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)


def reply_as_staff(cast, case: Case, body: str = "We are on it.") -> None:
    services.case_comment(case_id=case.id, actor=cast.engineer, body=body)


def reply_as_customer(cast, case: Case, body: str = "Here is the HAR file.", **kwargs) -> None:
    services.case_comment(case_id=case.id, actor=cast.contact_a, body=body, **kwargs)


def request_info(cast, case: Case) -> Case:
    return services.case_request_info(
        case_id=case.id, actor=cast.engineer, body="Please send a HAR file of the failure."
    )


def propose(cast, case: Case) -> Case:
    return services.case_propose_solution(
        case_id=case.id, actor=cast.engineer, body="Raise the export timeout to 300 s."
    )


def form_data(instance, **changes) -> dict:
    """An admin change form's fields as posted for `instance`, with `changes`."""
    data = {}
    for name, value in {**model_to_dict(instance), **changes}.items():
        if value is None or value is False:
            continue
        data[name] = json.dumps(value) if isinstance(value, dict | list) else value
    return data


def tenant_form_data(tenant, **changes) -> dict:
    """The tenant's admin form as posted with `changes`, its inlines left as they are."""
    data = form_data(tenant, **changes)
    for prefix in (
        "contacts",
        "notification_addresses",
        "environments",
        "account_team",
        "escalation_levels",
        "update_cadences",
    ):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


def plan_form_data(
    plan,
    changes: dict[str, dict] | None = None,
    categories: dict[str, dict] | None = None,
    new_fields: list[dict] | None = None,
) -> dict:
    """The plan's admin form as posted: its priorities inline with `changes` per code
    (targets as codes such as "4bh", posted as the editor's number and unit), its offered
    categories with `categories` changes per code ({"sla_applies": False}, or
    {"offered": False} to withdraw one), its intake fields as they are and `new_fields`
    added."""
    priorities = list(plan.priorities.order_by("rank"))
    offered = list(plan.plan_categories.select_related("category"))
    fields = list(plan.intake_fields.all())
    data = form_data(plan)
    for prefix, total in (
        ("priorities", len(priorities)),
        ("intake_fields", len(fields)),
        ("phones", 0),
        ("escalation_levels", 0),
        ("accepted_certifications", 0),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = total
        data[f"{prefix}-MIN_NUM_FORMS"], data[f"{prefix}-MAX_NUM_FORMS"] = 0, 1000
    for index, priority in enumerate(priorities):
        changed = (changes or {}).get(priority.code, {})
        for name, value in form_data(priority, **changed).items():
            if name in TARGET_FIELDS:
                number, unit = target_parts(str(value))
                data[f"priorities-{index}-{name}_0"] = number
                data[f"priorities-{index}-{name}_1"] = unit
            else:
                data[f"priorities-{index}-{name}"] = value
        # Ticked checkboxes post one value each.
        kinds = changed.get("environments_allowed", priority.environments_allowed)
        data[f"priorities-{index}-environments_allowed"] = list(kinds)
    data["categories_offered"], data["categories_with_sla"] = [], []
    for row in offered:
        change = (categories or {}).get(row.category.code, {})
        if change.get("offered", True):
            data["categories_offered"].append(row.category.code)
            if change.get("sla_applies", row.sla_applies):
                data["categories_with_sla"].append(row.category.code)
    for index, field in enumerate(fields):
        for name, value in form_data(field).items():
            data[f"intake_fields-{index}-{name}"] = value
    for index, added in enumerate(new_fields or [], start=len(fields)):
        for name, value in added.items():
            data[f"intake_fields-{index}-{name}"] = value
    data["intake_fields-TOTAL_FORMS"] = len(fields) + len(new_fields or [])
    return data


TARGET_FIELDS = ("initial_response", "off_hours_initial_response", "update_interval", "resolution")


def target_parts(code: str) -> tuple[str, str]:
    """A target code as the plan editor posts it: "4bh" -> ("4", "bh"), "nbd" -> ("", "nbd");
    text that is no code goes in the number box, as a person could type it."""
    try:
        number, unit = split_target(code)
    except ValueError:
        return code, ""
    return ("" if number is None else str(number)), unit
