"""Preconditions on versioned objects: the ETag is the object's version, `If-Match`
names the version a change is based on, `If-None-Match` saves re-reading an unchanged one.

ETags are strong (`"7"`), so they work with `If-Match` as RFC 9110 asks.
"""

from django.utils.http import parse_etags
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from supportdesk.api.errors import PreconditionRequired

ANY = "*"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: Request, *, required: bool) -> int | None:
    """The version named by `If-Match`, for the service to check under its row lock;
    None for `If-Match: *` or, where it is optional, no header at all."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired()
        return None
    tags = parse_etags(header)
    if tags == [ANY]:
        return None
    versions = [tag.strip('"') for tag in tags if not tag.startswith("W/")]
    if (
        len(tags) != 1
        or len(versions) != 1
        or not (versions[0].isascii() and versions[0].isdigit())
        or len(versions[0]) > 9
    ):
        raise ValidationError({"If-Match": ['Send one ETag as you read it, e.g. If-Match: "3".']})
    return int(versions[0])


def not_modified(request: Request, version: int) -> bool:
    """True when `If-None-Match` already names this version."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return tags == [ANY] or any(tag.removeprefix("W/") == etag(version) for tag in tags)


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag(version)
    return response
