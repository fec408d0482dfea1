"""The test provider is a real OpenID Connect provider: discovery, PKCE, signed ID tokens."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc_provider import IdpUser

REDIRECT = "http://testserver/callback/"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(provider, **extra: str) -> requests.Response:
    params = {
        "client_id": "desk",
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid email profile",
        "state": "s1",
        **extra,
    }
    return requests.get(provider.authorize_url(**params), allow_redirects=False, timeout=5)


def test_code_flow_issues_an_rs256_id_token_that_the_published_keys_verify(oidc_provider):
    oidc_provider.add_client(client_id="desk", client_secret="s3cret", redirect_uris=[REDIRECT])
    oidc_provider.add_user(IdpUser(sub="u1", email="ann@example.com", name="Ann", amr=["otp"]))
    oidc_provider.sign_in_as("u1")
    config = requests.get(
        f"{oidc_provider.issuer}/.well-known/openid-configuration", timeout=5
    ).json()
    verifier, challenge = _pkce()

    answer = _authorize(oidc_provider, code_challenge=challenge, code_challenge_method="S256")
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=("desk", "s3cret"),
        timeout=5,
    ).json()
    keys = KeySet.import_key_set(requests.get(config["jwks_uri"], timeout=5).json())
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    userinfo = requests.get(
        config["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=5,
    ).json()

    assert config["issuer"] == oidc_provider.issuer
    assert id_token.header["alg"] == "RS256"
    assert id_token.claims["iss"] == oidc_provider.issuer
    assert id_token.claims["aud"] == ["desk"]
    assert id_token.claims["email"] == "ann@example.com"
    assert id_token.claims["amr"] == ["otp"]
    assert userinfo == {
        "sub": "u1",
        "email": "ann@example.com",
        "email_verified": True,
        "name": "Ann",
    }


def test_authorization_without_pkce_is_refused(oidc_provider):
    oidc_provider.add_client(client_id="desk", client_secret="s3cret", redirect_uris=[REDIRECT])
    oidc_provider.add_user(IdpUser(sub="u1", email="ann@example.com"))
    oidc_provider.sign_in_as("u1")

    answer = _authorize(oidc_provider)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_a_wrong_code_verifier_gets_no_token(oidc_provider):
    oidc_provider.add_client(client_id="desk", client_secret="s3cret", redirect_uris=[REDIRECT])
    oidc_provider.add_user(IdpUser(sub="u1", email="ann@example.com"))
    oidc_provider.sign_in_as("u1")
    _, challenge = _pkce()
    answer = _authorize(oidc_provider, code_challenge=challenge, code_challenge_method="S256")
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]

    tokens = requests.post(
        f"{oidc_provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": secrets.token_urlsafe(48),
        },
        auth=("desk", "s3cret"),
        timeout=5,
    )

    assert tokens.status_code == 400
    assert tokens.json()["error"] == "invalid_grant"


def test_without_a_chosen_user_the_provider_shows_who_may_sign_in(oidc_provider):
    oidc_provider.add_client(client_id="desk", client_secret="s3cret", redirect_uris=[REDIRECT])
    oidc_provider.add_user(IdpUser(sub="u1", email="ann@example.com", name="Ann"))
    _, challenge = _pkce()

    page = _authorize(oidc_provider, code_challenge=challenge, code_challenge_method="S256")

    assert page.status_code == 200
    assert "Sign in as Ann" in page.text
