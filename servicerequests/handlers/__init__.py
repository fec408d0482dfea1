"""The registry of request types: the rules of each type, as code.

Adding a type is a handler module and an entry here; the catalogue (`RequestType`)
then offers it to the plans staff choose.
"""

from servicerequests.handlers.base import Limit, RequestForm, RequestHandler, Step
from servicerequests.handlers.connector import ConnectorInstaller
from servicerequests.handlers.feature_flags import FeatureFlagEnablement
from servicerequests.handlers.ip_allowlist import IpAllowlistUpdate
from servicerequests.handlers.sandbox import SandboxRefresh
from servicerequests.handlers.security import SecurityTestingAuthorization
from servicerequests.handlers.sso import SsoCertificateUpdate
from supportdesk.errors import NotFound

REGISTRY: dict[str, RequestHandler] = {
    handler.code: handler
    for handler in (
        FeatureFlagEnablement(),
        SandboxRefresh(),
        IpAllowlistUpdate(),
        SsoCertificateUpdate(),
        ConnectorInstaller(),
        SecurityTestingAuthorization(),
    )
}


def handler_for(code: str) -> RequestHandler:
    try:
        return REGISTRY[code]
    except KeyError:
        raise NotFound("No such request type.") from None


__all__ = ["REGISTRY", "Limit", "RequestForm", "RequestHandler", "Step", "handler_for"]
