"""Personal API tokens: made and revoked by their owner, checked on every API request.

A token is `sdk_` followed by 43 random URL-safe characters (256 bits). Only its SHA-256
digest is stored, so a leaked database does not leak working tokens; a digest of a
random 256-bit secret needs no salt or slow hash. The first characters are kept in
clear to let people tell their tokens apart.
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from supportdesk.errors import InvalidInput, NotFound, NotPermitted, StateConflict
from supportdesk.types import AnyUser, User
from tenants.access import portal_access_problem
from tenants.models import ApiToken
from tenants.roles import is_support_staff

TOKEN_PREFIX = "sdk_"  # noqa: S105  (a marker, not a secret)
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_ACTIVE_TOKENS = 10
EXPIRY_CHOICES_DAYS = (30, 90, 365)
# last_used_at is written at most this often, so a busy integration does not write a
# row on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is the only copy and is shown once."""

    token: ApiToken
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def api_tokens_of(user: AnyUser) -> QuerySet[ApiToken]:
    """The user's tokens, usable ones first, newest first."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at"
    )


def _active(user: User, now: dt.datetime) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


@transaction.atomic
def api_token_create(*, actor: User, name: str, expires_in_days: int | None = None) -> NewToken:
    """Make a token for the actor's own use of the API. Only people who may use the
    portal get one; support staff use the API with their staff session."""
    if is_support_staff(actor):
        raise NotPermitted("Support staff use the API with their signed-in session.")
    problem = portal_access_problem(actor)
    if problem is not None:
        raise NotPermitted(problem)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Name the token after what will use it, e.g. 'Monitoring'."]
    elif len(name) > 100:
        errors["name"] = ["Keep the name under 100 characters."]
    if expires_in_days is not None and expires_in_days not in EXPIRY_CHOICES_DAYS:
        errors["expires_in_days"] = [
            f"Choose {', '.join(map(str, EXPIRY_CHOICES_DAYS))} days, or no expiry."
        ]
    if errors:
        raise InvalidInput("Please correct the token details.", field_errors=errors)
    now = timezone.now()
    # Lock the user's tokens so two requests cannot both take the last place.
    list(ApiToken.objects.select_for_update().filter(user=actor).values_list("id", flat=True))
    if _active(actor, now).count() >= MAX_ACTIVE_TOKENS:
        raise StateConflict(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=secret[:SHOWN_PREFIX_LENGTH],
        key_hash=digest(secret),
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return NewToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; it stops working at once."""
    token = ApiToken.objects.select_for_update().filter(user=actor, id=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    if token.revoked_at is not None:
        raise StateConflict("That token was already revoked.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user_ids: Iterable[int], reason: str) -> int:
    """Revoke every usable token of the users for good (their access ended): a later
    re-grant does not bring them back. Returns how many were revoked."""
    return ApiToken.objects.filter(user_id__in=set(user_ids), revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:200]
    )


def api_token_user(secret: str) -> tuple[User, ApiToken] | None:
    """The active user a presented token belongs to, or None if it is unknown, revoked,
    expired, or its user is deactivated."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=digest(secret)).first()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token
