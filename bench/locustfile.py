"""The load test's people (run by bench/load.sh; needs the `bench` extra). Two mixes, chosen by
LOAD_MIX:

- `full` (the default; bench/load.sh's own test):
  - contacts browse their dashboard and cases and now and then file a case in the portal;
  - engineers work the staff queue in the admin: the queue, a filtered queue, a case, and now
    and then a reply to the customer on it;
  - integrations use the API with a personal token: list, read and file cases.
- `compare` (bench/load_compare.py, against django-helpdesk's bench/helpdesk/locustfile.py,
  whose mix is the same): as many staff as customers; staff open the queue (3), a case from
  it (3) and reply to the customer on it (1); contacts their dashboard (5), a case (4), and
  file a case (1). No API users (helpdesk's list API is not what its staff or customers use).

Sign-ins are measured apart (bench/load_measure.py): requests named "sign-in: …". Staff sign
in once per run, with password and authenticator code, and every simulated engineer uses that
session (tabs of one browser): the second step accepts each code once, so several sign-ins of
one account within one 30-second code period would be refused. Contacts sign in one by one.

Tokens, sign-ins and the engineer's authenticator secret come from bench/load.sh
(var/load/people.json, made by bench/load_people.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import re
import struct
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gevent
from gevent.event import AsyncResult
from gevent.lock import BoundedSemaphore
from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_measure import SIGN_IN, user_ready

MIX = os.environ.get("LOAD_MIX", "full")
if MIX not in {"full", "compare"}:
    raise SystemExit(f"LOAD_MIX must be full or compare, not {MIX!r}")

PEOPLE = json.loads(
    Path(os.environ.get("LOAD_PEOPLE", "var/load/people.json")).read_text(encoding="utf-8")
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/([A-Z0-9]+-\d+)/"')
ADMIN_CASE = re.compile(r'href="/admin/cases/case/(\d+)/change/')
REPLY_VERSION = re.compile(r'name="reply-expected_version" value="(\d+)"')


# Every simulated user comes from 127.0.0.1, and allauth allows 30 sign-ins a minute from one
# address (its "login" limit), counted under a cache lock it waits at most a second for: on a
# busy machine, sign-ins at the same moment are refused with 429 although under the limit. So
# the users sign in one at a time, at most 25 a minute.
_SIGN_IN_TURN = BoundedSemaphore(1)
_SIGNED_IN_AT: list[float] = []


@contextmanager
def one_sign_in_at_a_time() -> Iterator[None]:
    with _SIGN_IN_TURN:
        while len([t for t in _SIGNED_IN_AT if time.monotonic() - t < 61]) >= 25:
            gevent.sleep(1)
        _SIGNED_IN_AT.append(time.monotonic())
        yield


def _signed_out(response: object) -> bool:
    """Whether a page answered with a sign-in form (a lost session), not the page."""
    url = getattr(response, "url", "") or ""
    location = getattr(response, "headers", {}).get("Location", "")
    return any(door in url + " " + location for door in ("/sign-in/", "/admin/login/"))


def _totp(secret: str, period: int = 30, digits: int = 6) -> str:
    """The authenticator app's current code (RFC 6238, as allauth checks it)."""
    key = base64.b32decode(secret.encode("ascii"), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // period), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


class Contact(HttpUser):
    weight = 5 if MIX == "full" else 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        person = random.choice(PEOPLE["contacts"])
        page = self.client.get("/sign-in/", name=SIGN_IN + "portal form")
        with one_sign_in_at_a_time():
            self.client.post(
                "/sign-in/",
                {
                    "username": person["username"],
                    "password": PEOPLE["password"],
                    "csrfmiddlewaretoken": _csrf(page.text),
                },
                headers={"Referer": self.host + "/sign-in/"},
                name=SIGN_IN + "portal (POST)",
            )
        self.cases: list[str] = []
        user_ready()

    @task(5)
    def dashboard(self) -> None:
        with self.client.get("/", name="portal dashboard", catch_response=True) as page:
            if _signed_out(page):  # the sign-in form, not the dashboard
                page.failure("not signed in")
        self.cases = CASE_LINK.findall(page.text) or self.cases

    @task(4)
    def case_page(self) -> None:
        if self.cases:
            self.client.get(f"/cases/{random.choice(self.cases)}/", name="portal case page")

    @task(1)
    def file_case(self) -> None:
        form = self.client.get("/cases/new/", name="portal new case")
        with self.client.post(
            "/cases/new/",
            {
                "csrfmiddlewaretoken": _csrf(form.text),
                "summary": "Load test: export is slow",
                "category": "performance_issue",
                "priority": "P4",
                "environment_access": "granted",
                "business_impact": "3",
                "environment": "1",
                "description": "Filed by the load test.",
                "steps_to_reproduce": "Open Reports, export a year.",
                "expected_result": "A file within a minute.",
                "actual_result": "It takes ten minutes.",
                "users_affected": "12",
                "business_impact_details": "Month-end reporting is late.",
            },
            headers={"Referer": self.host + "/cases/new/"},
            name="portal file case (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # The form answers 200 with its errors when it refuses; filed is a redirect.
            if response.status_code != 302:
                response.failure(f"not filed: {response.status_code}")


class Engineer(HttpUser):
    weight = 2 if MIX == "full" else 1
    wait_time = between(1, 3)
    # The run's one staff session (its cookies), shared by every simulated engineer.
    session: AsyncResult | None = None

    def on_start(self) -> None:
        if Engineer.session is None:
            Engineer.session = AsyncResult()
            Engineer.session.set(self._sign_in())
        self.client.cookies.update(Engineer.session.get())
        self.cases: list[str] = []
        user_ready()

    def _sign_in(self) -> dict[str, str]:
        page = self.client.get("/admin/login/", name=SIGN_IN + "admin form")
        with one_sign_in_at_a_time():
            return self._password_and_code(page.text)

    def _password_and_code(self, form: str) -> dict[str, str]:
        step = self.client.post(
            "/admin/login/?next=/admin/",
            {
                "username": PEOPLE["engineer"],
                "password": PEOPLE["staff_password"],
                "csrfmiddlewaretoken": _csrf(form),
                "next": "/admin/",
            },
            headers={"Referer": self.host + "/admin/login/"},
            name=SIGN_IN + "admin (POST)",
        )
        if 'name="code"' in step.text:  # allauth's second step: the authenticator's code
            self.client.post(
                step.url,
                {"code": _totp(PEOPLE["engineer_totp"]), "csrfmiddlewaretoken": _csrf(step.text)},
                headers={"Referer": step.url},
                name=SIGN_IN + "admin second step (POST)",
            )
        return dict(self.client.cookies)

    def queue(self) -> None:
        with self.client.get("/admin/cases/case/", name="staff queue", catch_response=True) as page:
            if _signed_out(page):
                page.failure("not signed in")
        self.cases = ADMIN_CASE.findall(page.text) or self.cases

    def filtered_queue(self) -> None:
        state = random.choice(["new", "in_progress", "awaiting_information"])
        self.client.get(f"/admin/cases/case/?state={state}", name="staff queue filtered")

    def case_page(self) -> None:
        if self.cases:
            self.client.get(
                f"/admin/cases/case/{random.choice(self.cases)}/change/", name="staff case page"
            )

    def reply(self) -> None:
        """The case page's reply form: public, with the version the page showed. On one of
        the cases bench/load_people.py made (the generated ones cannot take a reply)."""
        case = random.choice(PEOPLE["reply_cases"])
        page = self.client.get(f"/admin/cases/case/{case}/change/", name="staff case page")
        version = REPLY_VERSION.search(page.text)
        with self.client.post(
            f"/admin/cases/case/{case}/act/reply/",
            {
                "csrfmiddlewaretoken": _csrf(page.text),
                "reply-visibility": "public",
                "reply-body": "Load test: we are looking into it.",
                "reply-expected_version": version.group(1) if version else "",
            },
            headers={"Referer": page.url},
            name="staff reply (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Sent is a redirect to the case page; 409 is the desk refusing a reply based on
            # a page older than another engineer's reply (cases/services/collision.py): the
            # rule working, counted apart, not as an error.
            if response.status_code == 409:
                response.success()
                response.request_meta["name"] = "staff reply refused: newer activity"
            elif response.status_code != 302 or _signed_out(response):
                response.failure(f"not sent: {response.status_code}")

    tasks = {queue: 3, case_page: 3, reply: 1}
    if MIX == "full":
        tasks[filtered_queue] = 2


class Integration(HttpUser):
    weight = 3
    abstract = MIX != "full"  # not in the compare mix
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.token = random.choice(PEOPLE["tokens"])
        self.client.headers["Authorization"] = f"Bearer {self.token['secret']}"
        self.references: list[str] = []
        user_ready()

    @task(5)
    def list_cases(self) -> None:
        response = self.client.get("/api/v1/cases/", name="API case list")
        if response.ok:
            results = response.json().get("results", [])
            self.references = [case["reference"] for case in results] or self.references

    @task(3)
    def read_case(self) -> None:
        if self.references:
            self.client.get(
                f"/api/v1/cases/{random.choice(self.references)}/", name="API case detail"
            )

    @task(1)
    def create_case(self) -> None:
        with self.client.post(
            "/api/v1/cases/",
            json={
                "tenant": self.token["tenant"],
                "summary": "Load test: API filed case",
                "category": "bug",
                "priority": "P4",
                "environment_access": "granted",
            },
            name="API case create",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"not filed: {response.status_code} {response.text[:200]}")
