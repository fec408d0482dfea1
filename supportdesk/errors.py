"""Errors every service raises, mapped once by the portal, the admin and the API.

A service validates before it changes anything, so raising one of these leaves the
database as it was.
"""


class ServiceError(Exception):
    """A request the desk refuses, with a message meant for the person who made it."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class InvalidInput(ServiceError):
    """Bad input: a missing or malformed value, a file too large, a limit reached."""


class TooLarge(InvalidInput):
    """More than a limit takes: too many or too large files, or a storage quota passed."""

    status_code = 413
    code = "too_large"


class NotPermitted(ServiceError):
    """The actor may see the object but may not perform this action on it."""

    status_code = 403
    code = "not_permitted"


class StateConflict(ServiceError):
    """The object is not in a state that allows the action, or changed since it was read."""

    status_code = 409
    code = "conflict"


class NotFound(ServiceError):
    """The object does not exist or lies outside what the actor may see: the same answer
    for both, so a guessed id tells nothing."""

    status_code = 404
    code = "not_found"


class VersionConflict(StateConflict):
    """The change was based on a version of the object that is no longer current. The
    API answers it with 412 when the version came from an `If-Match` header."""

    code = "stale_version"


def require_text(value: str | None, field: str, message: str) -> str:
    """The text without surrounding blanks; `InvalidInput` on `field` when nothing is left."""
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field_errors={field: [message]})
    return value
