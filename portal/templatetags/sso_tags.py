"""The "Sign in with <provider>" button of the staff sign-in, when staff SSO is set up."""

from django import template

from tenants.sso import STAFF_PROVIDER_ID, staff_identity_provider

register = template.Library()


@register.inclusion_tag("portal/auth/_staff_sso_button.html", takes_context=True)
def staff_sso_button(context: template.Context) -> dict:
    config = staff_identity_provider()
    return {
        "config": config,
        "provider_id": STAFF_PROVIDER_ID,
        "next": context.get("redirect_field_value") or "",
        "csrf_token": context.get("csrf_token"),
    }
