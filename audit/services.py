"""Audit entries the model signals cannot write: staff reads, exports, and the batched
writes of the sweeps (bulk INSERTs and UPDATEs send no signals)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditlog.diff import get_field_value, get_mask_function, model_instance_diff
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import ForeignObjectRel
from django.http import HttpRequest
from django.utils.encoding import smart_str

from audit.context import audit_source
from audit.models import AuditEntry, own_fields
from audit.sources import source_fields
from supportdesk.types import User

Action = AuditEntry.Action


def _entry(obj: models.Model, action: int, changes: dict | None, **given: Any) -> AuditEntry:
    return AuditEntry(
        content_type=ContentType.objects.get_for_model(obj),
        object_pk=smart_str(obj.pk),
        object_id=obj.pk if isinstance(obj.pk, int) else None,
        object_repr=smart_str(obj)[:500],
        action=action,
        changes=changes,
        **source_fields(obj, given),
    )


def audit_staff_read(
    *, actor: User, obj: models.Model, verb: str, request: HttpRequest | None = None
) -> AuditEntry:
    """Record that a member of staff opened a case page or a file."""
    labels: dict[str, Any] = {"verb": verb} | ({"request": request} if request else {})
    with audit_source(**labels):
        entry = _entry(
            obj, Action.ACCESS, None, actor_id=actor.pk, actor_email=actor.get_username()
        )
        entry.save()
    return entry


def audit_export(*, actor: User, request: HttpRequest, query: str, what: str) -> AuditEntry:
    """Record that someone exported (a filtered part of) the log; `query` is the filter."""
    with audit_source(request=request, verb=f"{what} exported"):
        return AuditEntry.objects.create(
            content_type=ContentType.objects.get_for_model(AuditEntry),
            object_pk="",
            object_repr=f"{what}: {query or 'everything'}"[:500],
            action=Action.EXPORT,
            changes={"filter": [None, query]},
            **source_fields(None, {"actor_id": actor.pk, "actor_email": actor.get_username()}),
        )


def audit_bulk_created(objs: Sequence[models.Model]) -> None:
    """The create entries of rows saved with `bulk_create`, in one INSERT."""
    if not objs or not auditlog.contains(type(objs[0])):
        return
    AuditEntry.objects.bulk_create(
        _entry(obj, Action.CREATE, own_fields(obj, model_instance_diff(None, obj) or {}))
        for obj in objs
    )


def audit_bulk_changed(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """The update entries of rows whose `fields` were written in one batched UPDATE, in
    one INSERT. The batch does not read the rows first, so the entries hold the new values
    only; derived columns the log leaves out (due times, schedules) make no entry."""
    if not objs or not auditlog.contains(type(objs[0])):
        return
    model = type(objs[0])
    settings = auditlog.get_model_fields(model)
    kept = [
        model._meta.get_field(name)
        for name in fields
        if name not in settings["exclude_fields"]
        and (not settings["include_fields"] or name in settings["include_fields"])
    ]
    if not kept:
        return
    mask = get_mask_function(settings.get("mask_callable"))

    def value(obj: models.Model, field: models.Field | ForeignObjectRel) -> str:
        shown = smart_str(get_field_value(obj, field))
        return mask(shown) if field.name in settings["mask_fields"] else shown

    AuditEntry.objects.bulk_create(
        _entry(obj, Action.UPDATE, {field.name: [None, value(obj, field)] for field in kept})
        for obj in objs
    )
