"""Isolation cells of multi-factor sign-in (tenants/mfa.py).

A staff member without a second step × every admin page (walked from the admin's URL
resolver) and every API operation (walked from the live schema); a contact, and a partner,
of a tenant that requires a second step, without one × every portal route; and allauth's
MFA pages × another user's authenticators. Every cell asserts the status and that nothing
changed.
"""

from collections.abc import Iterator

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tenants.models import Tenant
from tenants.roles import Role
from tests.factories import PASSWORD, UserFactory
from tests.isolation.test_isolation_matrix import (
    _api_operations,
    _api_writes,
    _portal_routes,
    _writable_state,
    world,  # noqa: F401 - the fixture of both tenants' objects, asked for by name
)
from tests.mfa import totp_code, totp_secret

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/"
KEY_NAME = "zqxKeyOfAnother"


def _admin_routes() -> Iterator[tuple[str, dict[str, str]]]:
    """(url name, {parameter: converter}) of every admin route, nested ones included."""
    (site,) = [
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "admin"
    ]

    def walk(resolver: URLResolver, converters: dict) -> Iterator[tuple[str, dict]]:
        for pattern in resolver.url_patterns:
            named = getattr(pattern.pattern, "converters", {}) or pattern.pattern.regex.groupindex
            found = {**converters, **dict.fromkeys(named)}
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, found)
            elif pattern.name:
                yield pattern.name, found

    yield from walk(site, {})


def _admin_url(name: str, params: dict, objects: dict, victim: object) -> str:
    """The route with real objects: the model's first row, another staff member's
    password, the world's case attachment."""
    kwargs: dict[str, object] = {}
    for param in params:
        if param == "object_id":
            app_label, _, rest = name.partition("_")
            model_name = rest.rsplit("_", 1)[0]
            try:
                model = apps.get_model(app_label, model_name)
                first = model._default_manager.order_by("pk").first()
            except LookupError:
                first = None
            kwargs[param] = first.pk if first else 1
        elif param == "id":
            kwargs[param] = victim.pk
        elif param == "attachment_id":
            kwargs[param] = objects["params"]["attachment_id"]
        elif param == "app_label":
            kwargs[param] = "cases"
        else:
            kwargs[param] = "take"
    return reverse(f"admin:{name}", kwargs=kwargs)


def _everything() -> tuple:
    """What a refused request must leave as it was: both tenants' work, the tenants, the
    people and their second steps."""
    users = get_user_model().objects.order_by("id")
    return (
        _writable_state(),
        list(
            Tenant.objects.order_by("id").values_list("id", "is_active", "require_mfa_for_contacts")
        ),
        list(users.values_list("id", "password", "is_staff", "is_superuser", "is_active")),
        list(Authenticator.objects.order_by("id").values_list("id", "user_id", "type", "data")),
    )


def _signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.MANAGER, Role.SECURITY])
def test_staff_without_a_second_step_reach_no_admin_page_and_change_nothing(cast, request, role):
    objects = request.getfixturevalue("world")
    newcomer = UserFactory(username="new@support.test", roles=[role], second_step=False)
    client = _signed_in(newcomer)
    before = _everything()
    failures = []
    routes = list(_admin_routes())
    for name, params in routes:
        if name == "logout":
            continue  # signing out stays open
        url = _admin_url(name, params, objects, victim=cast.manager)
        for method in ("get", "post"):
            data = {"action": "delete_selected", "_selected_action": ["1"], "post": "yes"}
            response = getattr(client, method)(url, data if method == "post" else None)
            if response.status_code != 302 or response["Location"] != SETUP:
                failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert len(routes) > 100  # the walk reached the whole admin
    assert not failures, "\n".join(failures)
    assert _everything() == before


def test_staff_without_a_second_step_are_refused_by_every_api_operation(cast, request):
    objects = request.getfixturevalue("world")
    newcomer = UserFactory(username="new@support.test", roles=[Role.MANAGER], second_step=False)
    client = _signed_in(newcomer)
    before = _everything()
    failures = []
    params = {**objects["params"]}
    operations = [("GET", path) for path in _api_operations()] + _api_writes()
    for method, path in operations:
        url = path.format(**params)
        response = client.generic(
            method, url, "{}", content_type="application/json", HTTP_IF_MATCH="*"
        )
        code = response.json().get("error", {}).get("code") if response.status_code == 403 else None
        if code != "mfa_required":
            failures.append(f"{method} {url}: {response.status_code} {code}")
    assert not failures, "\n".join(failures)
    assert _everything() == before


@pytest.mark.parametrize("person", ["contact_a", "partner_with_letter"])
def test_people_of_a_tenant_requiring_a_second_step_reach_no_portal_page_without_one(
    cast, request, person
):
    objects = request.getfixturevalue("world")
    cast.tenant_a.require_mfa_for_contacts = True
    cast.tenant_a.save()
    client = _signed_in(getattr(cast, person))
    before = _everything()
    failures = []
    for name, route_params in _portal_routes():
        kwargs = {p: objects["params"][p] for p in route_params}
        if name.startswith("request") and "reference" in kwargs:
            kwargs["reference"] = objects["request_reference"]
        url = reverse(f"portal:{name}", kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if name == "sign_out":
                expected = 405 if method == "get" else 302  # signing out stays open
                ok = response.status_code == expected
            else:
                ok = response.status_code == 302 and response["Location"] == SETUP
            if not ok:
                failures.append(f"{method.upper()} {url}: {response.status_code}")
            if name == "sign_out" and method == "post":
                client = _signed_in(getattr(cast, person))
    assert not failures, "\n".join(failures)
    assert _everything() == before


def _mfa_routes(keys: dict[str, int]) -> Iterator[str]:
    """Every allauth MFA page; those naming a security key name the other user's."""
    names = [name for name in get_resolver().reverse_dict if isinstance(name, str)]
    for name in sorted(names):
        if name.startswith("mfa_"):
            takes_key = name in {"mfa_edit_webauthn", "mfa_remove_webauthn"}
            yield reverse(name, kwargs={"pk": keys["other"]} if takes_key else None)


def test_mfa_pages_never_show_or_change_another_users_second_step(cast):
    """The engineer holds an authenticator app, recovery codes and a security key; the
    manager, signed in with a fresh second step, opens and posts to every MFA page."""
    other = cast.engineer
    key = Authenticator.objects.create(
        user=other, type=Authenticator.Type.WEBAUTHN, data={"name": KEY_NAME, "credential": {}}
    )
    other_codes = RecoveryCodes.activate(other).get_unused_codes()
    client = Client()
    client.post(
        reverse("portal:sign_in"), {"username": cast.manager.username, "password": PASSWORD}
    )
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_secret(cast.manager))})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.session["_auth_user_id"] == str(cast.manager.pk)
    others_before = list(
        Authenticator.objects.filter(user=other).order_by("id").values_list("id", "type", "data")
    )
    failures = []
    key_cells = 0
    for url in _mfa_routes({"other": key.pk}):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            body = response.content.decode("utf-8", "replace")
            shown = [secret for secret in (KEY_NAME, *other_codes) if secret in body]
            if shown:
                failures.append(f"{method.upper()} {url}: shows {shown}")
            names_the_key = f"/keys/{key.pk}/" in url
            key_cells += names_the_key
            if names_the_key and response.status_code != 404:
                failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert (
        list(
            Authenticator.objects.filter(user=other)
            .order_by("id")
            .values_list("id", "type", "data")
        )
        == others_before
    )
