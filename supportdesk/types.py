"""The user and request types every app annotates with.

`User` is the concrete user model (`AUTH_USER_MODEL` is Django's default,
`django.contrib.auth.models.User`), so annotations see `email`, `is_staff` and the groups,
which `AbstractBaseUser` does not have. `AnyUser` is what `request.user` holds before anyone
has checked a sign-in: selectors and the access function take it and answer "nothing" for
an anonymous visitor.

`AuthenticatedHttpRequest` is the request of a view or middleware that only runs for a
signed-in user (the portal behind its sign-in middleware, the admin behind its site's
permission check): its `user` is a `User`. It is for annotations only; Django still passes
an ordinary `HttpRequest` (django-stubs: "typing HttpRequest").
"""

from typing import cast

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest
from rest_framework.request import Request

__all__ = ["AnyUser", "AuthenticatedHttpRequest", "User", "signed_in", "signed_in_request"]

AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def signed_in(request: HttpRequest | Request) -> User:
    """The user of a request that only reaches this code signed in (the admin site, an API
    view behind `IsAuthenticated`). A typing statement, not a check: nothing changes at run
    time."""
    return cast(User, request.user)


def signed_in_request(request: HttpRequest) -> AuthenticatedHttpRequest:
    """`signed_in` for code that hands the whole request on (the admin's action helpers)."""
    return cast(AuthenticatedHttpRequest, request)
