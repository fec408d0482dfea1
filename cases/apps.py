from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        from cases import receivers
        from cases.services.watchers import watchers_on_access_ended
        from sla.services import calendar_changed
        from tenants.revocation import access_ended
        from tenants.services import plan_changed, tenant_cadences_changed, tenant_plan_changed

        # tenants and sla may not import cases: they announce a change, and cases follows
        # in the same transaction. Ended access takes the person's watchers off the
        # tenant's cases; an edited plan, tenant plan or calendar re-ranks the open cases
        # concerned and recomputes their due times.
        access_ended.connect(
            watchers_on_access_ended, dispatch_uid="cases.watchers_on_access_ended"
        )
        plan_changed.connect(receivers.cases_follow_plan, dispatch_uid="cases.follow_plan")
        tenant_plan_changed.connect(
            receivers.cases_follow_tenant_plan, dispatch_uid="cases.follow_tenant_plan"
        )
        calendar_changed.connect(
            receivers.cases_follow_calendar, dispatch_uid="cases.follow_calendar"
        )
        tenant_cadences_changed.connect(
            receivers.cases_follow_tenant_cadences, dispatch_uid="cases.follow_tenant_cadences"
        )
