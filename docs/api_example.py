#!/usr/bin/env python3
"""File a SupportDesk case through the API and follow it to the end: Python's standard
library only, so it runs anywhere Python 3.11 does.

    export SUPPORTDESK_URL=https://desk.example.com SUPPORTDESK_TOKEN=sdk_...
    python docs/api_example.py --summary "Invoice export times out" --attach error.log

It shows the whole contract an integration needs: a bearer token, the error body, the
case's ETag sent back in If-Match, cursor pages, and If-None-Match for cheap polling.
Steps: who am I -> file the case (with files) -> reply -> wait for support to propose a
solution -> accept it (or, with --reject, say why not) -> print the timeline.
"""

import argparse
import json
import mimetypes
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen


class ApiError(Exception):
    """A refusal, with the API's documented error body."""

    def __init__(self, status: int, body: dict) -> None:
        error = body.get("error", {})
        self.status = status
        self.code = error.get("code", "unknown")
        self.fields = error.get("fields", {})
        super().__init__(f"{status} {self.code}: {error.get('message', body)}")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict | list | None


class SupportDesk:
    def __init__(self, base_url: str, token: str, timeout: float = 30) -> None:
        self.base = base_url.rstrip("/") + "/api/v1/"
        self.token = token
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict | None = None,
        form: dict | None = None,
        files: list[Path] = (),
        headers: dict[str, str] | None = None,
    ) -> Answer:
        url = path if path.startswith("http") else self.base + path.lstrip("/")
        sent = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        sent.update(headers or {})
        data = None
        if files or form is not None:
            data, sent["Content-Type"] = multipart(form or {}, files)
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        request = Request(url, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
                return Answer(response.status, dict(response.headers), _json(raw))
        except HTTPError as error:
            raw = error.read()
            if error.code == 304:
                return Answer(304, dict(error.headers), None)
            if error.code == 429:  # rate limited: wait as told, once
                time.sleep(float(error.headers.get("Retry-After", "1")))
                return self.call(
                    method, path, json_body=json_body, form=form, files=files, headers=headers
                )
            raise ApiError(error.code, _json(raw) or {}) from None

    def pages(self, path: str, params: dict | None = None) -> list[dict]:
        """Every item of a list, following `next` links."""
        items: list[dict] = []
        url = path + ("?" + urlencode(params) if params else "")
        while url:
            page = self.call("GET", url).body
            items += page["results"]
            url = page["next"]
        return items


def _json(raw: bytes) -> dict | list | None:
    return json.loads(raw) if raw else None


def multipart(fields: dict, files: list[Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + str(value).encode()
            + b"\r\n"
        )
    for path in files:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="{path.name}"\r\nContent-Type: {kind}\r\n\r\n'
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def wait_for_state(
    desk: SupportDesk, reference: str, states: set[str], *, timeout: float, interval: float
) -> dict:
    """Poll the case until it reaches one of `states`. If-None-Match makes an unchanged
    case a bodiless 304, so polling costs little."""
    deadline = time.monotonic() + timeout
    answer = desk.call("GET", f"cases/{reference}/")
    case, etag = answer.body, answer.headers["ETag"]
    while case["state"] not in states:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{reference} is still {case['state']} after {timeout:.0f} s")
        time.sleep(interval)
        answer = desk.call("GET", f"cases/{reference}/", headers={"If-None-Match": etag})
        if answer.status == 200:
            case, etag = answer.body, answer.headers["ETag"]
            print(f"  {reference} is now {case['state']} (version {case['version']})")
    return case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("SUPPORTDESK_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("SUPPORTDESK_TOKEN", ""))
    parser.add_argument("--tenant", type=int, help="customer id, if you act for several")
    parser.add_argument("--summary", default="Invoice export times out")
    parser.add_argument("--priority", default="", help="a priority code of your plan, e.g. P2")
    parser.add_argument("--attach", type=Path, action="append", default=[])
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for support")
    parser.add_argument("--interval", type=float, default=15, help="seconds between polls")
    parser.add_argument("--reject", metavar="REASON", help="reject the solution instead")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error(
            "give --token or set SUPPORTDESK_TOKEN (make one on the portal's API tokens page)"
        )
    desk = SupportDesk(args.url, args.token)

    try:
        me = desk.call("GET", "me/").body
        print(
            f"Signed in as {me['name']}, acting for: {', '.join(t['name'] for t in me['tenants'])}"
        )

        fields = {
            "summary": args.summary,
            "category": "bug",
            "environment_access": "granted",
            "business_impact": "high",
            "steps_to_reproduce": "Billing > Invoices > Export CSV for last quarter.",
            "expected_result": "A CSV file.",
            "actual_result": "Error 504 after 60 seconds.",
        }
        if args.priority:
            fields["priority"] = args.priority
        if args.tenant:
            fields["tenant"] = args.tenant
        if args.attach:
            filed = desk.call("POST", "cases/", form=fields, files=args.attach)
        else:
            filed = desk.call("POST", "cases/", json_body=fields)
        case = filed.body
        reference = case["reference"]
        print(f"FILED {reference} at {case['priority']}: {filed.headers['Location']}", flush=True)

        desk.call(
            "POST",
            f"cases/{reference}/comments/",
            json_body={"body": "It started after Monday's release; smaller exports work."},
        )
        print(f"Replied on {reference}; waiting for a proposed solution …", flush=True)

        case = wait_for_state(
            desk,
            reference,
            {"solution_proposed", "awaiting_information", "closed"},
            timeout=args.wait,
            interval=args.interval,
        )
        if case["state"] == "solution_proposed":
            latest = desk.pages(f"cases/{reference}/comments/")[-1]
            print(f"Support proposes: {latest['body']}")
            verb, body = (
                ("reject", {"reason": args.reject})
                if args.reject
                else ("accept", {"note": "Confirmed, thanks."})
            )
            # If-Match: only act on the version we just read. A 412 means the case
            # changed meanwhile: read it again and decide anew.
            answer = desk.call(
                "POST",
                f"cases/{reference}/{verb}/",
                json_body=body,
                headers={"If-Match": f'"{case["version"]}"'},
            )
            case = answer.body
            print(
                f"{verb.upper()}ED: {reference} is {case['state']}"
                + (f" ({case['close_reason']})" if case["close_reason"] else "")
            )
        else:
            print(f"{reference} is {case['state']}: see the portal for what support needs.")

        print("Timeline:")
        for event in desk.pages(f"cases/{reference}/events/"):
            print(f"  {event['created_at']}  {event['kind']:<16} {event['message']}")
    except ApiError as error:
        print(f"Refused: {error}", file=sys.stderr)
        for field, messages in error.fields.items():
            print(f"  {field}: {' '.join(messages)}", file=sys.stderr)
        return 1
    except TimeoutError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
