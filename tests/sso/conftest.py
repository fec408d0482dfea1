from tests.oidc_provider import oidc_provider, oidc_provider_server

__all__ = ["oidc_provider", "oidc_provider_server"]
