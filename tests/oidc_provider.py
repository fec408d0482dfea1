"""A real OpenID Connect provider for the tests, on 127.0.0.1 at a free port.

Built on Authlib's authorization-server and OpenID Connect pieces (the authorization
code grant, PKCE, ID tokens signed RS256, the userinfo endpoint), served by Flask in a
thread through Werkzeug's server: the desk talks to it over real HTTP, exactly as it
talks to Keycloak, Entra ID or Okta. Nothing of the desk's client side is mocked.

There is no human at the provider, so a test chooses who "signs in" there: either
`provider.sign_in_as(sub)` before the flow (the authorization endpoint then approves at
once), or, when no one is chosen, the endpoint shows a page with one button per user
(what the browser tests click). PKCE with S256 is required of every client.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfo, UserInfoEndpoint
from flask import Flask, jsonify, render_template_string, request
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server


@dataclass
class IdpUser:
    """A person with an account at the provider."""

    sub: str
    email: str
    email_verified: bool = True
    name: str = ""
    # What the provider says about how the person authenticated (RFC 8176 values).
    amr: list[str] = field(default_factory=lambda: ["pwd"])
    acr: str = ""


@dataclass
class _Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    client_metadata: dict = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email"}
        return " ".join(part for part in scope.split() if part in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    sub: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    amr: list[str]
    acr: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_amr(self) -> list[str] | None:
        return self.amr or None

    def get_acr(self) -> str | None:
        return self.acr or None


@dataclass
class _Token(TokenMixin):
    access_token: str
    client: _Client
    sub: str
    scope: str
    expires_at: float
    user: IdpUser

    def check_client(self, client: _Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> IdpUser:
        return self.user

    def get_client(self) -> _Client:
        return self.client


def _user_info(user: IdpUser, scope: str) -> UserInfo:
    return UserInfo(
        sub=user.sub, name=user.name, email=user.email, email_verified=user.email_verified
    ).filter(scope)


_CHOOSE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 4rem auto">
<h1>Test identity provider</h1>
<p>Signing in to <strong>{{ client_id }}</strong>. Choose who you are:</p>
<form method="post">
{% for user in users %}
  <p><button type="submit" name="sub" value="{{ user.sub }}">
    Sign in as {{ user.name or user.email }}</button></p>
{% endfor %}
</form></body></html>"""


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object) -> None:
        """Test output stays readable: the provider does not log each request."""


class OidcProvider:
    """A running OpenID Connect provider; see the module docstring."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"}, private=True)
        self.clients: dict[str, _Client] = {}
        self.users: dict[str, IdpUser] = {}
        self._codes: dict[str, _Code] = {}
        self._tokens: dict[str, _Token] = {}
        self._chosen_sub: str | None = None
        self.token_requests = 0
        self._server = make_server(
            "127.0.0.1", 0, self._build_app(), threaded=True, request_handler=_QuietHandler
        )
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def add_client(self, *, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        self.clients[client_id] = _Client(client_id, client_secret, list(redirect_uris))

    def add_user(self, user: IdpUser) -> IdpUser:
        self.users[user.sub] = user
        return user

    def sign_in_as(self, sub: str | None) -> None:
        """Who the next authorization request is approved for (None: show the choice)."""
        if sub is not None and sub not in self.users:
            raise KeyError(f"no user {sub!r} at the test provider")
        self._chosen_sub = sub

    def reset(self) -> None:
        self.clients.clear()
        self.users.clear()
        self._codes.clear()
        self._tokens.clear()
        self._chosen_sub = None
        self.token_requests = 0

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("test_oidc_provider")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, request) -> None:
                payload = request.payload
                user: IdpUser = request.user
                provider._codes[code] = _Code(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=payload.redirect_uri,
                    scope=payload.scope,
                    sub=user.sub,
                    nonce=payload.data.get("nonce"),
                    code_challenge=payload.data.get("code_challenge"),
                    code_challenge_method=payload.data.get("code_challenge_method"),
                    auth_time=int(time.time()),
                    amr=list(user.amr),
                    acr=user.acr,
                )

            def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
                found = provider._codes.get(code)
                if found is not None and found.client_id == client.client_id:
                    return found
                return None

            def delete_authorization_code(self, authorization_code: _Code) -> None:
                provider._codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: _Code) -> IdpUser | None:
                return provider.users.get(authorization_code.sub)

        class RequiredS256(CodeChallenge):
            """PKCE is required of every client here, with S256 only."""

            SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

            def validate_code_challenge(self, grant, redirect_uri) -> None:
                if not grant.request.payload.data.get("code_challenge"):
                    raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
                super().validate_code_challenge(grant, redirect_uri)

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce: str, request) -> bool:
                return any(code.nonce == nonce for code in provider._codes.values())

            def resolve_client_private_key(self, client: _Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: _Client) -> str:
                return "RS256"

            def get_client_claims(self, client: _Client) -> dict:
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def get_encode_header(self, client: _Client) -> dict:
                return {"alg": "RS256", "kid": provider.key.kid}

            def generate_user_info(self, user: IdpUser, scope: str) -> UserInfo:
                return _user_info(user, scope)

        class TokenValidator(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> _Token | None:
                return provider._tokens.get(token_string)

        class UserInfoView(UserInfoEndpoint):
            def get_issuer(self) -> str:
                return provider.issuer

            def generate_user_info(self, user: IdpUser, scope: str) -> UserInfo:
                return _user_info(user, scope)

            def resolve_private_key(self) -> RSAKey:
                return provider.key

        def save_token(token: dict, oauth_request) -> None:
            provider._tokens[token["access_token"]] = _Token(
                access_token=token["access_token"],
                client=oauth_request.client,
                sub=oauth_request.user.sub,
                scope=token.get("scope", ""),
                expires_at=time.time() + token.get("expires_in", 300),
                user=oauth_request.user,
            )

        server = AuthorizationServer(app, query_client=provider.clients.get, save_token=save_token)
        server.register_grant(CodeGrant, [RequiredS256(required=True), IdToken()])
        protector = ResourceProtector()
        protector.register_token_validator(TokenValidator())
        server.register_endpoint(UserInfoView(resource_protector=protector))

        @app.get("/.well-known/openid-configuration")
        def discovery():
            issuer = provider.issuer
            return jsonify(
                issuer=issuer,
                authorization_endpoint=f"{issuer}/authorize",
                token_endpoint=f"{issuer}/token",
                userinfo_endpoint=f"{issuer}/userinfo",
                jwks_uri=f"{issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=["openid", "profile", "email"],
                token_endpoint_auth_methods_supported=[
                    "client_secret_basic",
                    "client_secret_post",
                ],
                code_challenge_methods_supported=["S256"],
                claims_supported=["sub", "name", "email", "email_verified", "amr", "acr"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            try:
                grant = server.get_consent_grant(end_user=None)
            except OAuth2Error as error:
                return jsonify(error=error.error, error_description=error.description), 400
            if request.method == "POST":
                user = provider.users.get(request.form.get("sub", ""))
                return server.create_authorization_response(grant_user=user, grant=grant)
            if provider._chosen_sub is not None:
                user = provider.users[provider._chosen_sub]
                return server.create_authorization_response(grant_user=user, grant=grant)
            return render_template_string(
                _CHOOSE_PAGE,
                client_id=grant.client.client_id,
                users=list(provider.users.values()),
            )

        @app.post("/token")
        def token():
            provider.token_requests += 1
            return server.create_token_response()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo():
            return server.create_endpoint_response("userinfo")

        return app

    def authorize_url(self, **params: str) -> str:
        return f"{self.issuer}/authorize?{urlencode(params)}"


@pytest.fixture(scope="session")
def oidc_provider_server() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def oidc_provider(oidc_provider_server: OidcProvider) -> Iterator[OidcProvider]:
    """The running test provider, emptied of clients, users and sign-ins after each test."""
    oidc_provider_server.reset()
    yield oidc_provider_server
    oidc_provider_server.reset()
