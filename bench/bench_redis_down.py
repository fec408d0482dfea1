"""Wall time of a portal filing and an API list against a served desk whose Redis (cache
and broker) is down (issue 20). Start the desk first with REDIS_URL at a port where nothing
listens, e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_w_redis REDIS_URL=redis://127.0.0.1:1/0 \\
      DEBUG=true HTTPS=false .venv/bin/gunicorn -w 1 -b 127.0.0.1:8711 supportdesk.wsgi

then, against the same database (seed_demo loaded):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_w_redis \\
      .venv/bin/python bench/bench_redis_down.py --url http://127.0.0.1:8711 --repeats 10

Signs a demo contact in through the portal form (printing the answer; if it is not a
redirect, a session is made in the database instead), files cases through the portal's form and
lists cases with a fresh API token of the same contact; prints median, min and max
milliseconds, the status codes seen and the load average. Only loopback; nothing else is
started or stopped.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import secrets
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")


class _Form(HTMLParser):
    """The fields of the page's form with the given action, each with a usable value: the
    default, the first offered choice, or filler text."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = a.get("action", "") in ("", self.action) and a.get("method") == "post"
        if not self.inside or not a.get("name"):
            if tag == "option" and self.inside and self._select and a.get("value"):
                self.fields.setdefault(self._select, a["value"])
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a or kind == "radio":
                    self.fields.setdefault(name, a.get("value", "on"))
            elif kind in ("date", "datetime-local", "time"):
                self.fields[name] = a.get("value", "")
            elif kind not in ("file", "submit"):
                filler = "1" if kind == "number" else "Redis down bench"
                self.fields[name] = a.get("value") or filler
        elif tag == "select":
            self._select = name
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = "Filed while Redis is down."

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def _cookie(host: str, name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0,
        name,
        value,
        None,
        False,
        host,
        False,
        False,
        "/",
        True,
        False,
        None,
        False,
        None,
        None,
        {},
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _open(opener, request) -> tuple[int, bytes]:
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _form(opener, url: str, path: str) -> dict[str, str]:
    status, body = _open(opener, urllib.request.Request(url + path))  # noqa: S310 - see main
    assert status == 200, (path, status)
    parser = _Form(path)
    parser.feed(body.decode())
    return parser.fields


def _post(opener, url: str, path: str, fields: dict[str, str]) -> int:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in main()
        url + path, data=data, headers={"Referer": url + path}
    )
    return _open(opener, request)[0]


def _token_for(email: str) -> str:
    import django

    django.setup()
    from supportdesk.types import User
    from tenants.api_tokens import TOKEN_PREFIX, digest
    from tenants.models import ApiToken

    user = User.objects.get(email=email)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=f"bench {secret[-6:]}", prefix=secret[:12], key_hash=digest(secret)
    )
    return secret


def _session_for(email: str) -> str:
    """A signed-in session made in the database, as django.contrib.auth.login makes one:
    for a desk whose sign-in fails while Redis is down (main before issue 20)."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from supportdesk.sessions import SEEN_AT, SIGNED_IN_AT
    from supportdesk.types import User

    user = User.objects.get(email=email)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()
    session.create()
    return session.session_key


def _timed(call, repeats: int) -> tuple[list[float], Counter]:
    times, codes = [], Counter()
    for _ in range(repeats):
        start = time.perf_counter()
        codes[call()] += 1
        times.append((time.perf_counter() - start) * 1000)
    return times, codes


def _line(name: str, times: list[float], codes: Counter) -> str:
    return (
        f"{name:<16} median {statistics.median(times):7.0f} ms  "
        f"min {min(times):6.0f}  max {max(times):6.0f}  statuses {dict(codes)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8711")
    parser.add_argument("--contact", default="alice@acme.demo")
    parser.add_argument("--password", default="demo-pass-2026")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        parser.error("--url must be an http(s) address")

    jar = http.cookiejar.CookieJar()
    portal = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    sign_in = _form(portal, url, "/sign-in/")
    sign_in.update(username=args.contact, password=args.password)
    signed_in = _post(portal, url, "/sign-in/", sign_in)
    print(f"portal sign-in   status {signed_in}")
    if signed_in != 302:
        host = urllib.parse.urlsplit(url).hostname or "127.0.0.1"
        jar.set_cookie(_cookie(host, "sessionid", _session_for(args.contact)))

    def file_case() -> int:
        fields = _form(portal, url, "/cases/new/")
        fields.update(
            summary=f"Redis down bench {secrets.token_hex(3)}", priority="P3", related_cases=""
        )
        return _post(portal, url, "/cases/new/", fields)

    token = _token_for(args.contact)
    api = urllib.request.build_opener()

    def list_cases() -> int:
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked in main()
            url + "/api/v1/cases/", headers={"Authorization": f"Bearer {token}"}
        )
        return _open(api, request)[0]

    print(_line("portal filing", *_timed(file_case, args.repeats)))
    print(_line("API list", *_timed(list_cases, args.repeats)))
    print("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
