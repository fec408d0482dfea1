"""How the OpenAPI schema describes the API beyond what each view declares: the error
responses every operation can give, and request bodies that take no unknown fields."""

import re
from typing import Literal

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from supportdesk.api.serializers import Error

ERROR_DESCRIPTIONS = {
    400: "The request is not valid; `error.fields` says which field and why.",
    401: "No credentials, or a token that is unknown, revoked or expired.",
    403: "Signed in, but not allowed: `error.message` says why.",
    404: "No such object, or one you may not see (the same answer for both).",
    409: "The object's state does not allow this (e.g. accepting a case that has no "
    "proposed solution).",
    412: "`If-Match` names a version that is no longer current: read the object again.",
    413: "The request body is too large.",
    415: "The body's media type is not accepted (use JSON, or multipart for files).",
    428: "`If-Match` is required: send the ETag you read.",
    429: "Too many requests; wait the number of seconds in `Retry-After`.",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses an operation can give. A view names the ones particular
    to it in `error_statuses` (e.g. 409, 412, 428 on case actions), or per method in a
    dict (`{"post": (404,)}`)."""

    def _error_statuses(self) -> set[int]:
        statuses = {429}
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            statuses |= {401, 403}
        if re.search(r"{\w+}", self.path):
            statuses.add(404)
        if self.method in _WRITES:
            statuses |= {400, 415} if self.method != "DELETE" else {400}
            if "multipart/form-data" in self.map_parsers():
                statuses.add(413)
        query = [p["name"] for p in self._get_parameters() if p.get("in") == "query"]
        if query:
            statuses.add(400)
        if "page" in query:
            statuses.add(404)  # a page past the last
        particular = getattr(self.view, "error_statuses", ())
        if isinstance(particular, dict):
            particular = particular.get(self.method.lower(), ())
        statuses |= set(particular)
        return statuses

    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(self._error_statuses()):
            code = str(status)
            if code not in responses:
                described = OpenApiResponse(Error, description=ERROR_DESCRIPTIONS[status])
                responses[code] = self._get_response_for_code(described, code)
        return responses


def forbid_unknown_request_fields(result: dict, **kwargs: object) -> dict:
    """drf-spectacular postprocessing hook: request bodies refuse unknown fields
    (`StrictInput`), so their schemas say `additionalProperties: false`.

    The components are found by following request bodies, not by name: an output
    component may end in "Request" too (`ServiceRequest`)."""
    schemas = result.get("components", {}).get("schemas", {})
    pending = [
        media.get("schema", {})
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1]
            if ref.startswith("#/components/schemas/") and name not in seen:
                seen.add(name)
                pending.append(schemas.get(name, {}))
            pending.extend(node.values())
    for name in seen:
        if schemas[name].get("type") == "object":
            schemas[name]["additionalProperties"] = False
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `tenants.api_access.ApiTokenAuthentication` (named by string, so this
    module needs no import of the app)."""

    target_class = "tenants.api_access.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from the portal's API tokens page: "
            "`Authorization: Bearer sdk_…`.",
        }
