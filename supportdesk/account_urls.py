"""django-allauth's pages under /accounts/: sign-in and sign-out, reauthentication and
multi-factor sign-in (`2fa/`). What the desk does elsewhere is pointed there instead:
nobody signs up, passwords are reset and changed by the portal's views (Django's), and
sign-in addresses are the ones the desk records, so allauth's email management is closed."""

from django.urls import include, path, re_path
from django.views.generic import RedirectView

urlpatterns = [
    path("login/", RedirectView.as_view(pattern_name="portal:sign_in", query_string=True)),
    path("signup/", RedirectView.as_view(pattern_name="portal:sign_in")),
    re_path(r"^password/change/", RedirectView.as_view(pattern_name="portal:password_change")),
    re_path(r"^password/", RedirectView.as_view(pattern_name="portal:password_reset")),
    re_path(r"^(email|confirm-email|phone)/", RedirectView.as_view(pattern_name="portal:account")),
    # SSO links no account to a provider (portal/sso.py): allauth's connect pages are closed.
    re_path(r"^3rdparty/", RedirectView.as_view(pattern_name="portal:account")),
    path("", include("allauth.urls")),
]
