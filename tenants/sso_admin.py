"""A tenant's single sign-on provider in the staff admin: managers only, saved through
`tenants.sso.identity_provider_configure`. The client secret is write-only: the form
never shows it (nor a hint of it), an empty field keeps the stored one."""

from typing import Any

from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin
from django.http import HttpRequest

from supportdesk.admin_actions import ServiceBackedAdmin, add_service_errors
from supportdesk.errors import InvalidInput
from supportdesk.types import signed_in
from tenants.models import TenantIdentityProvider
from tenants.roles import Role, has_role
from tenants.sso import identity_provider_configure, identity_provider_validate


class IdentityProviderForm(forms.ModelForm):
    issuer = forms.URLField(
        max_length=300,
        assume_scheme="https",
        help_text=TenantIdentityProvider._meta.get_field("issuer").help_text,
    )
    client_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only: it is stored encrypted and never shown again. "
        "Leave empty to keep the stored secret.",
    )
    email_domains = forms.CharField(
        help_text="The email domains this provider vouches for, comma-separated "
        "(e.g. acme.com, acme.co.uk). Each domain belongs to one customer only.",
    )

    class Meta:
        model = TenantIdentityProvider
        fields = ["tenant", "name", "issuer", "client_id", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            domains = self.instance.domains.values_list("domain", flat=True)
            self.fields["email_domains"].initial = ", ".join(domains)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        tenant = data.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is None:
            return data
        try:
            data["issuer"], data["email_domains"] = identity_provider_validate(
                tenant_id=tenant.id,
                issuer=data.get("issuer", ""),
                client_id=data.get("client_id", ""),
                client_secret=data.get("client_secret", ""),
                email_domains=data.get("email_domains", ""),
            )
        except InvalidInput as error:
            add_service_errors(self, error)
        return data


class IdentityProviderAdmin(ServiceBackedAdmin):
    form = IdentityProviderForm
    list_display = ["name", "tenant", "issuer", "client_id", "domain_list", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["tenant"]
    search_fields = ["name", "tenant__name", "domains__domain"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("domains")

    @admin.display(description="Email domains")
    def domain_list(self, obj: TenantIdentityProvider) -> str:
        return ", ".join(domain.domain for domain in obj.domains.all())

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [*self.readonly_fields, "tenant"] if obj else self.readonly_fields

    def get_fields(
        self, request: HttpRequest, obj: object = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        return [
            "tenant",
            "name",
            "issuer",
            "client_id",
            "client_secret",
            "email_domains",
            "is_active",
            *self.readonly_fields,
        ]

    def save_model(
        self,
        request: HttpRequest,
        obj: TenantIdentityProvider,
        form: IdentityProviderForm,
        change: bool,
    ) -> None:
        data = form.cleaned_data
        saved = identity_provider_configure(
            actor=signed_in(request),
            tenant_id=obj.tenant_id,
            name=data["name"],
            issuer=data["issuer"],
            client_id=data["client_id"],
            client_secret=data.get("client_secret", ""),
            email_domains=data["email_domains"],
            is_active=data["is_active"],
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets, change) -> None:
        """The service saved the domains; nothing else is related."""

    def _manager(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.MANAGER)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._manager(request)

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._manager(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._manager(request)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return self._manager(request)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


admin.site.register(TenantIdentityProvider, IdentityProviderAdmin)

# allauth's own SSO admin would show app secrets and tokens in clear, and its apps and
# linked accounts are not used here (portal/sso.py builds apps from settings and the
# model above, and links no account): they are not offered.
for _unused in (SocialApp, SocialToken, SocialAccount):
    if admin.site.is_registered(_unused):
        admin.site.unregister(_unused)
