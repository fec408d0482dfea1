from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"

    def ready(self) -> None:
        from cases.services.watchers import watchers_on_access_ended
        from tenants.revocation import access_ended

        # tenants may not import cases: it announces ended access, and cases takes the
        # person's watchers off the tenant's cases in the same transaction.
        access_ended.connect(
            watchers_on_access_ended, dispatch_uid="cases.watchers_on_access_ended"
        )
