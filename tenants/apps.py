from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self) -> None:
        from tenants.account_teams import ensure_account_roles
        from tenants.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="tenants.ensure_role_groups")
        post_migrate.connect(ensure_account_roles, dispatch_uid="tenants.ensure_account_roles")
