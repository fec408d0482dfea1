"""Single sign-on through django-allauth's `openid_connect` provider, one app per
identity provider: "staff" (the vendor's, from settings) and "tenant-<id>" (a tenant's,
from `TenantIdentityProvider`). Apps are built here on each request from those two
sources only: SocialApp rows in the database are ignored, so no one can add a provider
through allauth's own admin.

allauth runs the protocol (discovery, state, PKCE, code exchange, ID token checks);
`tenants.sso.sso_user_for` decides whom the result signs in. No social account is
stored and no token is kept: every SSO sign-in is decided afresh from what the provider
says now, and a refusal creates and changes nothing.
"""

import logging

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from tenants.sso import (
    MFA_BY_IDP_KEY,
    STAFF_PROVIDER_ID,
    SsoAssertion,
    SsoRefused,
    identity_provider_configs,
    sso_user_for,
    staff_idp_proved_mfa,
)

logger = logging.getLogger(__name__)

OPENID_CONNECT = "openid_connect"


def _app_for(config) -> SocialApp:
    return SocialApp(
        provider=OPENID_CONNECT,
        provider_id=config.provider_id,
        name=config.name,
        client_id=config.client_id,
        secret=config.client_secret,
        settings={
            "server_url": config.issuer,
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,
        },
    )


def assertion_from(sociallogin: SocialLogin) -> SsoAssertion:
    """The provider's statements, from the ID token allauth verified (issuer, audience,
    expiry) and the userinfo it fetched with the access token of the same exchange."""
    data = sociallogin.account.extra_data or {}
    id_token = data.get("id_token") or {}
    userinfo = data.get("userinfo") or {}
    if userinfo and id_token and userinfo.get("sub") != id_token.get("sub"):
        raise SsoRefused("the userinfo's subject is not the ID token's")
    claims = {**id_token, **userinfo}
    amr = id_token.get("amr") or []
    return SsoAssertion(
        issuer=str(id_token.get("iss", "")),
        subject=str(claims.get("sub", "")),
        email=str(claims.get("email") or ""),
        email_verified=claims.get("email_verified") in (True, "true"),
        amr=tuple(str(value) for value in amr) if isinstance(amr, list) else (),
        acr=str(id_token.get("acr") or ""),
    )


def sign_in_url_for(provider_id: str) -> str:
    return reverse("admin:login" if provider_id == STAFF_PROVIDER_ID else "portal:sign_in")


class SsoAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id=None
    ) -> list[SocialApp]:
        if provider == OPENID_CONNECT:
            provider = None
        apps = [_app_for(config) for config in identity_provider_configs(provider)]
        return [app for app in apps if client_id is None or app.client_id == client_id]

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        provider_id = sociallogin.account.provider
        try:
            if sociallogin.state.get("process") != "login":
                raise SsoRefused("SSO only signs in; it connects no provider to an account")
            assertion = assertion_from(sociallogin)
            user = sso_user_for(provider_id=provider_id, assertion=assertion)
        except SsoRefused as refusal:
            logger.warning(
                "SSO sign-in refused: provider=%s subject=%s reason=%s",
                provider_id,
                sociallogin.account.uid,
                refusal.reason,
            )
            messages.error(request, refusal.message)
            raise ImmediateHttpResponse(
                HttpResponseRedirect(sign_in_url_for(provider_id))
            ) from refusal
        sociallogin.user = user
        sociallogin.state[MFA_BY_IDP_KEY] = provider_id == STAFF_PROVIDER_ID and (
            staff_idp_proved_mfa(assertion)
        )

    def on_authentication_error(
        self, request: HttpRequest, provider, error=None, exception=None, extra_context=None
    ) -> None:
        provider_id = getattr(getattr(provider, "app", None), "provider_id", "")
        logger.warning(
            "SSO sign-in failed: provider=%s error=%s exception=%r", provider_id, error, exception
        )
        messages.error(
            request, "Single sign-on did not complete. Please try again, or sign in another way."
        )
        raise ImmediateHttpResponse(HttpResponseRedirect(sign_in_url_for(provider_id)))
