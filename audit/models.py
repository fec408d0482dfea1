"""The audit log: one row per write to a desk model, per staff read of a case or file,
and per export of the log itself (django-auditlog's entry, with the tenant it concerns,
the Celery task that wrote it and the service's domain verb)."""

from __future__ import annotations

from typing import Any

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.sources import source_fields


def own_fields(instance: models.Model, changes: dict) -> dict:
    """The changes of the instance's own columns: django-auditlog's diff of a new row also
    lists reverse relations (a user's "owned cases"), which say nothing."""
    names = {field.name for field in instance._meta.concrete_fields}
    return {name: values for name, values in changes.items() if name in names}


class AuditEntryManager(LogEntryManager):
    """django-auditlog's manager, which its signal receivers call for every tracked save,
    delete and many-to-many change, filling in who, from where and for which tenant."""

    def log_create(self, instance: models.Model, force_log: bool = False, **kwargs: Any) -> Any:
        if kwargs.get("changes"):
            kwargs["changes"] = own_fields(instance, kwargs["changes"])
        return super().log_create(instance, force_log=force_log, **source_fields(instance, kwargs))

    def log_m2m_changes(
        self,
        changed_queryset: Any,
        instance: models.Model,
        operation: str,
        field_name: str,
        **kwargs: Any,
    ) -> Any:
        return super().log_m2m_changes(
            changed_queryset, instance, operation, field_name, **source_fields(instance, kwargs)
        )


class AuditEntry(AbstractLogEntry):
    class Action(AbstractLogEntry.Action):
        EXPORT = 4

        choices = (
            (AbstractLogEntry.Action.CREATE, _("create")),
            (AbstractLogEntry.Action.UPDATE, _("update")),
            (AbstractLogEntry.Action.DELETE, _("delete")),
            (AbstractLogEntry.Action.ACCESS, _("staff read")),
            (EXPORT, _("export")),
        )

    # Five values: an index of its own would cost every write and serve no page.
    action = models.PositiveSmallIntegerField(choices=Action.choices, verbose_name=_("action"))
    # No database constraint: an entry outlives anything it names, a tenant included. No
    # index of its own either, here and on the actor: the (tenant|actor, time) indexes
    # below serve every lookup by either, and each index is paid on every write.
    tenant = models.ForeignKey(
        "tenants.Tenant",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    task = models.CharField(max_length=200, blank=True, help_text="The Celery task that wrote it.")
    verb = models.CharField(
        max_length=100, blank=True, help_text="What the service did, e.g. letter approved."
    )

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-timestamp", "-id"]
        # The log's two questions, "what happened at this tenant" and "what did this person
        # do", each read newest first from one index, however long the log grows.
        indexes = [
            models.Index(fields=["tenant", "-timestamp", "-id"], name="audit_tenant_time"),
            models.Index(fields=["actor", "-timestamp", "-id"], name="audit_actor_time"),
        ]

    @property
    def who(self) -> str:
        if self.actor_id is None and not self.actor_email:
            return "system"
        return self.actor_email or f"user #{self.actor_id}"

    @property
    def origin(self) -> str:
        return str(self.remote_addr or "") or (f"task {self.task}" if self.task else "")
