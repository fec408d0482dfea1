from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class TenantsConfig(AppConfig):
    name = "tenants"

    def ready(self) -> None:
        from tenants.roles import ensure_role_groups
        from tenants.sessions import session_stamp_sign_in

        post_migrate.connect(ensure_role_groups, dispatch_uid="tenants.ensure_role_groups")
        user_logged_in.connect(session_stamp_sign_in, dispatch_uid="tenants.session_stamp")
