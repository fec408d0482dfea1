"""The load test's people (run by bench/load.sh; needs the `bench` extra):

- contacts browse their dashboard and cases and now and then file a case in the portal;
- engineers work the staff queue in the admin: the queue, a filtered queue, a case;
- integrations use the API with a personal token: list, read and file cases.

Tokens and sign-ins come from bench/load.sh (var/load/people.json).
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

PEOPLE = json.loads(
    Path(os.environ.get("LOAD_PEOPLE", "var/load/people.json")).read_text(encoding="utf-8")
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/([A-Z0-9]+-\d+)/"')
ADMIN_CASE = re.compile(r'href="/admin/cases/case/(\d+)/change/')


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


class Contact(HttpUser):
    weight = 5
    wait_time = between(1, 3)

    def on_start(self) -> None:
        person = random.choice(PEOPLE["contacts"])
        page = self.client.get("/sign-in/")
        self.client.post(
            "/sign-in/",
            {
                "username": person["username"],
                "password": PEOPLE["password"],
                "csrfmiddlewaretoken": _csrf(page.text),
            },
            headers={"Referer": self.host + "/sign-in/"},
            name="/sign-in/ (POST)",
        )
        self.cases: list[str] = []

    @task(5)
    def dashboard(self) -> None:
        page = self.client.get("/", name="portal dashboard")
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
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        page = self.client.get("/admin/login/")
        self.client.post(
            "/admin/login/?next=/admin/",
            {
                "username": PEOPLE["engineer"],
                "password": PEOPLE["staff_password"],
                "csrfmiddlewaretoken": _csrf(page.text),
                "next": "/admin/",
            },
            headers={"Referer": self.host + "/admin/login/"},
            name="/admin/login/ (POST)",
        )
        self.cases: list[str] = []

    @task(3)
    def queue(self) -> None:
        page = self.client.get("/admin/cases/case/", name="staff queue")
        self.cases = ADMIN_CASE.findall(page.text) or self.cases

    @task(2)
    def filtered_queue(self) -> None:
        state = random.choice(["new", "in_progress", "awaiting_information"])
        self.client.get(f"/admin/cases/case/?state={state}", name="staff queue filtered")

    @task(3)
    def case_page(self) -> None:
        if self.cases:
            self.client.get(
                f"/admin/cases/case/{random.choice(self.cases)}/change/", name="staff case page"
            )


class Integration(HttpUser):
    weight = 3
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.token = random.choice(PEOPLE["tokens"])
        self.client.headers["Authorization"] = f"Bearer {self.token['secret']}"
        self.references: list[str] = []

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
