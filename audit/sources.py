"""The who, from where and for which tenant of an audit entry."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from audit.context import current_source
from audit.tracked import TRACKED


def client_address(request: HttpRequest) -> str | None:
    """The client's address as django-axes reads it (trusting as many proxies as
    API_NUM_PROXIES says), so the log and the sign-in lockout agree."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def actor_of(request: HttpRequest | None) -> Any:
    """The signed-in user of the request, if any (DRF's token sign-in included: DRF sets
    the user on the underlying request too)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return user


def tenant_of(instance: models.Model) -> int | None:
    tracked = TRACKED.get(instance._meta.label_lower)
    if tracked is None or tracked.tenant is None:
        return None
    value: Any = instance
    try:
        for name in tracked.tenant.split("."):
            value = getattr(value, name)
    except (AttributeError, models.ObjectDoesNotExist):
        return None
    return value


def source_fields(instance: models.Model | None, given: dict[str, Any]) -> dict[str, Any]:
    """The entry's fields from the current source, under those the caller gave."""
    source = current_source()
    actor = source.actor or actor_of(source.request)
    fields: dict[str, Any] = {"task": source.task, "verb": source.verb}
    if actor is not None:
        fields |= {"actor_id": actor.pk, "actor_email": actor.get_username()}
    if source.request is not None:
        fields["remote_addr"] = client_address(source.request)
    if instance is not None:
        fields["tenant_id"] = tenant_of(instance)
    return fields | given
