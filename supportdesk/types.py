"""The user and request types every app annotates with.

`User` is the concrete user model (`AUTH_USER_MODEL` is Django's default,
`django.contrib.auth.models.User`), so annotations see `email`, `is_staff` and the groups,
which `AbstractBaseUser` does not have. `AnyUser` is what `request.user` holds before anyone
has checked a sign-in: selectors and the access function take it and answer "nothing" for
an anonymous visitor.

`AuthenticatedHttpRequest` is the request of a view that only runs for a signed-in user
(behind `login_required`, an admin action behind the admin site's permission check): its
`user` is a `User`; the portal's `portal.context.PortalRequest` (behind `portal_page`) adds
`portal`. They are for annotations only; Django still passes an ordinary `HttpRequest`
(django-stubs: "typing HttpRequest"). Code that overrides a Django hook typed with
`HttpRequest` (`ModelAdmin.save_model`, an API view's `get`) says `signed_in(request)`.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AbstractUser, AnonymousUser, PermissionsMixin, User
from django.db.models import Model
from django.http import HttpRequest
from rest_framework.request import Request

__all__ = [
    "AnyUser",
    "AuthenticatedHttpRequest",
    "User",
    "fsm_permission",
    "present",
    "signed_in",
    "signed_in_request",
]

AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def signed_in(request: HttpRequest | Request) -> User:
    """The user of a request that only reaches this code signed in (the admin site; an API
    view, all behind `tenants.api_access.HasDeskAccess`). A typing statement, not a check:
    nothing changes at run time."""
    return cast(User, request.user)


def signed_in_request(request: HttpRequest) -> AuthenticatedHttpRequest:
    """`signed_in` for code that hands the whole request on (the admin's action helpers)."""
    return cast(AuthenticatedHttpRequest, request)


# The permission check django-fsm's `transition(permission=...)` takes, as django-fsm types it.
FsmPermission = Callable[[Model, AbstractUser | AnonymousUser | PermissionsMixin], bool]


def fsm_permission(check: Callable[[Any, AnyUser], bool]) -> FsmPermission:
    """Marks a transition's permission check, written for the desk's model and users, as
    the check django-fsm takes (it calls it with the instance and the acting user). Returns
    the function itself."""
    return cast(FsmPermission, check)


T = TypeVar("T")


def present(value: T | None, what: str) -> T:
    """A value the object's state guarantees (an escalated case's escalator, a closed case's
    reopen deadline) though its column may be empty in other states. Raises ValueError
    when it is missing; the code that used it would have failed there anyway."""
    if value is None:
        raise ValueError(f"{what} is missing.")
    return value
