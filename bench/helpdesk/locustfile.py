"""django-helpdesk's side of the load comparison (bench/helpdesk/load.sh, summarised by
bench/load_compare.py): the same mix as bench/locustfile.py with LOAD_MIX=compare.

- staff (weight 1): the ticket list (3) — its page and the DataTables request that fills it
  (what a browser does; the rows come only from the second), the view of a ticket from that
  list (3), and a public follow-up on it (1) through the ticket page's "respond" form;
- customers (weight 1): helpdesk's public side, which has no customer sign-in by default: the
  public home page (its ticket form and "view a ticket" box; 5), a ticket's public page by
  its id, e-mail and key, as linked in helpdesk's e-mails (4), and a ticket filed through the
  public form (1).

Sign-ins are measured apart (bench/load_measure.py): staff sign in once per run (as
SupportDesk's, whose second step accepts each code once) and every simulated staff user
shares that session. Customers do not sign in.

People come from bench/helpdesk/load_people.py (var/load-helpdesk/people.json).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from gevent.event import AsyncResult
from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load_measure import SIGN_IN, user_ready

PEOPLE = json.loads(
    Path(os.environ.get("LOAD_PEOPLE", "var/load-helpdesk/people.json")).read_text(encoding="utf-8")
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DATA_URL = re.compile(r'"url": "([^"]*datatables_ticket_list/[^"]*)"')
PAGE_LENGTH = re.compile(r"data-page-length='(\d+)'")
# The columns ticket_list.html hands to DataTables with its default settings (time spent and
# knowledge base on), as bench/helpdesk/time_pages.py sends them.
COLUMNS = ["id", "ticket", "priority", "queue", "status", "created", "due_date"]
COLUMNS += ["assigned_to", "submitter", "last_followup", "time_spent", "kbitem"]


def _csrf(text: str) -> str:
    match = CSRF.search(text)
    return match.group(1) if match else ""


class Forms(HTMLParser):
    """The forms of a page: action and the values a browser would submit unchanged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._options, self._chosen = 0, False
        self._textarea: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "option" and self._select is not None:
            # A browser sends the selected option, or else the first one.
            if "selected" in a or not self._options:
                if not self._chosen:
                    fields[self._select] = a.get("value", "")
                self._chosen |= "selected" in a
            self._options += 1
        elif "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind in {"checkbox", "radio"}:
                fields[a["name"]] = a.get("value") or "on"
            elif kind not in {"submit", "button", "file"}:
                fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._options, self._chosen = a["name"], 0, False
        elif tag == "textarea":
            self._textarea = a["name"]
            fields[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def with_field(self, name: str) -> dict | None:
        return next((form for form in self.forms if name in form["fields"]), None)


class Staff(HttpUser):
    weight = 1
    wait_time = between(1, 3)
    session: AsyncResult | None = None

    def on_start(self) -> None:
        if Staff.session is None:
            Staff.session = AsyncResult()
            Staff.session.set(self._sign_in())
        self.client.cookies.update(Staff.session.get())
        self.tickets: list[int] = []
        user_ready()

    def _sign_in(self) -> dict[str, str]:
        page = self.client.get("/login/", name=SIGN_IN + "staff form")
        self.client.post(
            "/login/",
            {
                "username": PEOPLE["staff"],
                "password": PEOPLE["staff_password"],
                "csrfmiddlewaretoken": _csrf(page.text),
                "next": "/tickets/",
            },
            headers={"Referer": self.host + "/login/"},
            name=SIGN_IN + "staff (POST)",
        )
        return dict(self.client.cookies)

    @task(3)
    def ticket_list(self) -> None:
        with self.client.get("/tickets/", name="ticket list (page)", catch_response=True) as page:
            if "/login/" in page.url:
                page.failure("not signed in")
        url, length = DATA_URL.search(page.text), PAGE_LENGTH.search(page.text)
        if url is None or length is None:
            return
        params = {"draw": "1", "start": "0", "length": length.group(1)}
        for i, name in enumerate(COLUMNS):
            params |= {
                f"columns[{i}][data]": name,
                f"columns[{i}][name]": "",
                f"columns[{i}][searchable]": "true",
                f"columns[{i}][orderable]": "false" if name == "id" else "true",
                f"columns[{i}][search][value]": "",
                f"columns[{i}][search][regex]": "false",
            }
        params |= {"search[value]": "", "search[regex]": "false", "_": "1"}
        data = self.client.get(
            html.unescape(url.group(1)), params=params, name="ticket list (data request)"
        )
        if data.ok:
            rows = data.json().get("data", [])
            self.tickets = [int(row["id"]) for row in rows] or self.tickets

    @task(3)
    def ticket_view(self) -> None:
        if self.tickets:
            self.client.get(f"/tickets/{random.choice(self.tickets)}/", name="ticket view")

    @task(1)
    def reply(self) -> None:
        """The ticket page's respond form, as it comes, with a public comment."""
        if not self.tickets:
            return
        ticket = random.choice(self.tickets)
        page = self.client.get(f"/tickets/{ticket}/", name="ticket view")
        form = Forms(page.text).with_field("comment")
        if form is None:
            return
        fields = {**form["fields"], "comment": "Load test: we are looking into it."}
        fields["public"] = "on"
        with self.client.post(
            f"/tickets/{ticket}/update/",
            fields,
            headers={"Referer": page.url},
            name="ticket follow-up (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/login/" in response.headers.get("Location", ""):
                response.failure(f"not sent: {response.status_code}")


class Customer(HttpUser):
    weight = 1
    wait_time = between(1, 3)

    def on_start(self) -> None:
        user_ready()

    @task(5)
    def home(self) -> None:
        self.client.get("/", name="public home")

    @task(4)
    def ticket_page(self) -> None:
        ticket = random.choice(PEOPLE["tickets"])
        self.client.get("/view/", params=ticket, name="public ticket page")

    @task(1)
    def file_ticket(self) -> None:
        page = self.client.get("/", name="public home")
        form = Forms(page.text).with_field("submitter_email")
        if form is None:
            return
        fields = {
            **form["fields"],
            "queue": str(random.choice(PEOPLE["queues"])),
            "title": "Load test: export is slow",
            "body": "Filed by the load test. Open Reports, export a year: ten minutes.",
            "priority": "4",
            "submitter_email": random.choice(PEOPLE["tickets"])["email"],
        }
        with self.client.post(
            form["action"] or "/",
            fields,
            headers={"Referer": self.host + "/"},
            name="public file ticket (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Filed is a redirect to the ticket's public page; the form answers 200 with its
            # errors when it refuses.
            if response.status_code != 302:
                response.failure(f"not filed: {response.status_code}")
