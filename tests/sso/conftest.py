from tests.oidc_provider import oidc_provider, oidc_provider_server
from tests.sso.fixtures import staff_idp

__all__ = ["oidc_provider", "oidc_provider_server", "staff_idp"]
