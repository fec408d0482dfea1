"""Which models the audit log follows, and how.

Every model of the desk's apps is listed here or in NOT_TRACKED with the reason
(`tests/audit/test_tracked.py` fails on a new model that is in neither), so a model added
later is never silently left out, nor its secrets silently written to the log.

Per model: the path from an instance to its tenant's id (None where the row belongs to no
one tenant), fields left out (derived or bookkeeping columns that the services and sweeps
rewrite on every event: due times, ranks, counters, versions), and fields whose values
are hidden (`audit.redaction.conceal`): secrets, and long texts that would copy customer
content into the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Tracked:
    tenant: str | None
    exclude: tuple[str, ...] = ()
    mask: tuple[str, ...] = ()
    m2m: tuple[str, ...] = field(default=())
    # Fields hidden as a list the model's own app keeps (a dotted path, read when the
    # registry is built): the audit app names upper apps' models by string, never imports them.
    mask_from: str = ""

    @property
    def masked(self) -> tuple[str, ...]:
        kept = tuple(import_string(self.mask_from)) if self.mask_from else ()
        return (*self.mask, *kept)


_CASE_DERIVED = (
    "priority_rank",
    "initial_response_due",
    "first_responded_at",
    "next_update_due",
    "resolution_due",
    "next_due_at",
    "sla_paused",
    "sla_explanation",
    "breached_at",
    "escalated_at",
    "sla_alerts",
    "next_sla_alert_at",
    "follow_up_due_at",
    "auto_close_at",
    "solution_reminder_at",
    "solution_close_at",
    "clocks_stale_at",
    "plan_precedence",
    "custom_search",
    "version",
    "updated_at",
)

TRACKED: dict[str, Tracked] = {
    "auth.user": Tracked(None, exclude=("last_login",), mask=("password",), m2m=("groups",)),
    "auth.group": Tracked(None),
    "tenants.supportplan": Tracked(None),
    "tenants.planpriority": Tracked(None),
    "tenants.category": Tracked(None),
    "tenants.plancategory": Tracked(None),
    "tenants.intakefield": Tracked(None),
    "tenants.acceptedcertification": Tracked(None),
    "tenants.supportphone": Tracked(None),
    "tenants.accountrole": Tracked(None),
    "tenants.staffpreference": Tracked(None),
    "tenants.agreedupdatecadence": Tracked("tenant_id"),
    "tenants.tenant": Tracked("id", exclude=("last_case_number",)),
    "tenants.authorizedcontact": Tracked("tenant_id"),
    "tenants.contactrequest": Tracked("tenant_id"),
    "tenants.notificationaddress": Tracked("tenant_id"),
    "tenants.partner": Tracked(None),
    "tenants.partnermember": Tracked(None),
    "tenants.letterofauthorization": Tracked("tenant_id"),
    "tenants.environment": Tracked("tenant_id"),
    "tenants.productflag": Tracked(None),
    "tenants.environmentflag": Tracked("environment.tenant_id"),
    "tenants.accountteammember": Tracked("tenant_id"),
    "tenants.escalationlevel": Tracked("tenant_id"),
    "tenants.apitoken": Tracked(None, exclude=("last_used_at",), mask=("key_hash",)),
    "tenants.tenantidentityprovider": Tracked(
        "tenant_id", exclude=("updated_at",), mask=("client_secret_encrypted",)
    ),
    "tenants.identityproviderdomain": Tracked("provider.tenant_id"),
    "tenants.contactinvitation": Tracked("contact.tenant_id", mask=("token_hash",)),
    # A second step of sign-in added or removed; its data holds the TOTP secret and the
    # recovery codes' seed.
    "mfa.authenticator": Tracked(None, exclude=("last_used_at",), mask=("data",)),
    "sla.calendar": Tracked(None, exclude=("updated_at",)),
    "knowledge.knownissue": Tracked(
        None, exclude=("updated_at",), mask=("internal_notes", "resolution_note")
    ),
    "knowledge.article": Tracked(None, exclude=("updated_at",), mask=("body",)),
    # A reader's "Was this helpful?" answer, changed in place when they answer again.
    "knowledge.articlevote": Tracked(None, exclude=("updated_at",)),
    "knowledge.knownissuefollower": Tracked(None),
    "knowledge.productfeedback": Tracked(
        "tenant_id", exclude=("updated_at",), mask=("description",)
    ),
    "notifications.announcement": Tracked(None, exclude=("updated_at",)),
    "notifications.notificationpreference": Tracked(None, exclude=("updated_at",)),
    "notifications.announcementsubscription": Tracked(None, exclude=("updated_at",)),
    "notifications.webhookendpoint": Tracked(
        "tenant_id",
        exclude=("updated_at", "consecutive_failures", "secret_encrypted"),
        mask=("secret_prefix",),
    ),
    "cases.case": Tracked("tenant_id", exclude=_CASE_DERIVED, mask_from="cases.models.CASE_TEXTS"),
    "cases.comment": Tracked("case.tenant_id", mask=("body",)),
    "cases.attachment": Tracked("case.tenant_id"),
    "cases.contactattempt": Tracked("case.tenant_id", mask=("note",)),
    "cases.casewatcher": Tracked("case.tenant_id"),
    "cases.satisfactionsurvey": Tracked("case.tenant_id", mask=("comment",)),
    "cases.customerescalation": Tracked(
        "case.tenant_id",
        exclude=("next_rise_at",),
        mask=("reason", "acknowledgement_note", "de_escalation_note"),
    ),
    "cases.troubleshootingsession": Tracked("case.tenant_id", mask=("meeting_url", "note")),
    "cases.sessionslot": Tracked("session.case.tenant_id"),
    "cases.supportgroup": Tracked(None),
    "cases.groupmembership": Tracked(None, exclude=("last_assigned_at",)),
    "cases.routingrule": Tracked(None, m2m=("plans", "tenants")),
    "cases.macro": Tracked(None, exclude=("usage_count", "last_used_at", "updated_at")),
    "cases.savedqueueview": Tracked(None, exclude=("updated_at",)),
    "servicerequests.requesttype": Tracked(None),
    "servicerequests.servicerequest": Tracked(
        "tenant_id", exclude=("version", "updated_at"), mask=("details", "authorization")
    ),
    "servicerequests.fulfilmentstep": Tracked("request.tenant_id", mask=("note",)),
}

NOT_TRACKED: dict[str, str] = {
    "auth.permission": "written by migrations only",
    "tenants.sessioncutoff": "when a person's sessions were ended: written by a removal or "
    "rescission, which is tracked itself",
    "cases.caseevent": "the case timeline is itself a record of each change, and every "
    "change it records is a tracked write to the case, comment or attempt",
    "cases.customerescalationnotice": "a delivery record of escalation emails",
    "cases.slacycle": "derived from the case timeline by the clock recompute (SLA reports)",
    "cases.sladaily": "a rollup of SLA cycles, rebuilt from them",
    "cases.sladailytotal": "a rollup of the SLA rollup, rebuilt from it",
    "cases.casedaily": "a rollup of case counts per day, rebuilt from the cases",
    "servicerequests.requestevent": "the request timeline; its changes are tracked writes",
    "knowledge.knownissuechange": "a known issue's public history of stage and target date, "
    "written with each tracked write to the known issue",
    "notifications.notification": "the outbox: delivery bookkeeping whose context may hold "
    "secrets; the change that wrote a message is tracked",
    "notifications.webhookdelivery": "webhook delivery bookkeeping (the delivery log in the "
    "admin); the change that wrote an event is tracked",
    "notifications.inboundemail": "raw inbound mail and its processing state; what the mail "
    "did to a case is tracked",
}

# A field by one of these names holds a secret: it must be masked or excluded wherever it
# is tracked (checked by tests/audit/test_tracked.py).
SECRET_NAME_PARTS = ("password", "token", "secret", "hash", "digest", "otp", "recovery", "invit")
