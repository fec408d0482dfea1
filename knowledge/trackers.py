"""Links to an issue in a development tracker (Jira, GitHub, GitLab, Azure DevOps), and
what a tracker's own webhook says about it.

A link is a URL and the key people know the issue by (ABC-12, acme/app#42); the kind is
inferred from the URL unless chosen. The receiver (`cases.api.trackers`) checks the
tracker's shared secret with `tracker_request_authentic`, reads (key, status) with
`tracker_status_change`, and `stage_for_status` says which known-issue stage a status is.
"""

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models

from supportdesk.errors import InvalidInput


class TrackerKind(models.TextChoices):
    JIRA = "jira", "Jira"
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    AZURE = "azure", "Azure DevOps"


_KEY_PATTERNS: dict[str, re.Pattern[str]] = {
    TrackerKind.GITHUB: re.compile(r"^/([^/]+/[^/]+)/(?:issues|pull)/(\d+)"),
    TrackerKind.GITLAB: re.compile(r"^/(.+?)/-/(?:issues|merge_requests|work_items)/(\d+)"),
    TrackerKind.JIRA: re.compile(r"/browse/([A-Z][A-Z0-9_]*-\d+)"),
    TrackerKind.AZURE: re.compile(r"/_workitems/edit/(\d+)"),
}


def infer_kind(url: str) -> str:
    """The tracker a URL points at, from its host or path; "" when it cannot be told."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path
    if host == "github.com" or host.endswith(".github.com"):
        return TrackerKind.GITHUB
    if "gitlab" in host or "/-/issues/" in path:
        return TrackerKind.GITLAB
    if host.endswith(".atlassian.net") or "/browse/" in path:
        return TrackerKind.JIRA
    if host == "dev.azure.com" or host.endswith(".visualstudio.com") or "/_workitems/" in path:
        return TrackerKind.AZURE
    return ""


def key_from_url(kind: str, url: str) -> str:
    """The issue's key as the tracker shows it: acme/app#42, ABC-12, 1234; "" if unknown."""
    pattern = _KEY_PATTERNS.get(kind)
    match = pattern.search(urlsplit(url).path) if pattern else None
    if match is None:
        return ""
    if kind in (TrackerKind.GITHUB, TrackerKind.GITLAB):
        return f"{match.group(1)}#{match.group(2)}"
    return match.group(1)


@dataclass(frozen=True)
class TrackerLink:
    kind: str
    key: str
    url: str


def tracker_link_clean(*, url: str, key: str = "", kind: str = "") -> TrackerLink:
    """A link's kind, key and URL checked and completed (kind and key from the URL when
    not given); InvalidInput names what is wrong. An empty URL clears the link."""
    url, key, kind = (url or "").strip(), (key or "").strip(), (kind or "").strip()
    if not url:
        return TrackerLink("", "", "")
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput(
            "Give the issue's https address in the tracker.",
            field_errors={"tracker_url": ["Give the issue's https address."]},
        )
    kind = kind or infer_kind(url)
    if kind not in TrackerKind.values:
        raise InvalidInput(
            "Choose the tracker: its kind cannot be told from this address.",
            field_errors={"tracker_kind": ["Choose the tracker."]},
        )
    key = key or key_from_url(kind, url)
    if not key:
        raise InvalidInput(
            "Give the issue's key (e.g. ABC-12 or acme/app#42).",
            field_errors={"tracker_key": ["Give the issue's key."]},
        )
    return TrackerLink(kind, key[:100], url[:500])


# --- What a tracker's webhook says --------------------------------------------------------

# Status names (lower case) to known-issue stages. "Done" is not "resolved": resolving a
# known issue closes its cases with a note to the customers, which a person decides.
_STAGES: dict[str, str] = {
    "open": "investigating",
    "opened": "investigating",
    "reopened": "investigating",
    "to do": "investigating",
    "new": "investigating",
    "backlog": "investigating",
    "in progress": "in_development",
    "active": "in_development",
    "doing": "in_development",
    "in development": "in_development",
    "in review": "in_testing",
    "in testing": "in_testing",
    "qa": "in_testing",
    "resolved": "in_testing",
    "done": "in_testing",
    "closed": "in_testing",
    "merged": "in_testing",
}


def stage_for_status(status: str) -> str:
    """The known-issue stage a tracker status stands for; "" for a status we do not map."""
    return _STAGES.get((status or "").strip().lower(), "")


@dataclass(frozen=True)
class StatusChange:
    key: str
    status: str


def _github(payload: Mapping, headers: Mapping[str, str]) -> StatusChange | None:
    issue = payload.get("issue") or payload.get("pull_request")
    repo = (payload.get("repository") or {}).get("full_name", "")
    if not isinstance(issue, Mapping) or not repo:
        return None
    status = "merged" if issue.get("merged") else str(issue.get("state", ""))
    if payload.get("action") == "reopened":
        status = "reopened"
    return StatusChange(f"{repo}#{issue.get('number')}", status)


def _gitlab(payload: Mapping, headers: Mapping[str, str]) -> StatusChange | None:
    attributes = payload.get("object_attributes") or {}
    project = (payload.get("project") or {}).get("path_with_namespace", "")
    if not attributes or not project:
        return None
    return StatusChange(f"{project}#{attributes.get('iid')}", str(attributes.get("state", "")))


def _jira(payload: Mapping, headers: Mapping[str, str]) -> StatusChange | None:
    issue = payload.get("issue") or {}
    status = ((issue.get("fields") or {}).get("status") or {}).get("name", "")
    if not issue.get("key") or not status:
        return None
    return StatusChange(str(issue["key"]), str(status))


def _azure(payload: Mapping, headers: Mapping[str, str]) -> StatusChange | None:
    resource = payload.get("resource") or {}
    work_item = resource.get("workItemId") or resource.get("id")
    fields = resource.get("fields") or (resource.get("revision") or {}).get("fields") or {}
    state = fields.get("System.State")
    if isinstance(state, Mapping):
        state = state.get("newValue")
    if not work_item or not state:
        return None
    return StatusChange(str(work_item), str(state))


_READERS: dict[str, Callable[[Mapping, Mapping[str, str]], StatusChange | None]] = {
    TrackerKind.GITHUB: _github,
    TrackerKind.GITLAB: _gitlab,
    TrackerKind.JIRA: _jira,
    TrackerKind.AZURE: _azure,
}


def tracker_status_change(
    kind: str, payload: Mapping, headers: Mapping[str, str]
) -> StatusChange | None:
    """The issue and its new status a tracker's event names; None for other events."""
    reader = _READERS.get(kind)
    return reader(payload, headers) if reader else None


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def tracker_secret(kind: str) -> str:
    """The shared secret configured for a tracker (TRACKER_WEBHOOK_SECRETS); "" if none,
    and then its receiver is closed."""
    return str(settings.TRACKER_WEBHOOK_SECRETS.get(kind, ""))


def tracker_request_authentic(
    kind: str, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
) -> bool:
    """Whether a request comes from the tracker, by the way each proves it (all compared
    in constant time): GitHub signs the body (X-Hub-Signature-256, HMAC-SHA256), GitLab
    sends the token (X-Gitlab-Token), Jira the secret in a header or the query string
    (X-SupportDesk-Token or ?secret=), Azure DevOps as the basic-auth password."""
    secret = tracker_secret(kind)
    if not secret:
        return False
    if kind == TrackerKind.GITHUB:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return _same(expected, headers.get("X-Hub-Signature-256", ""))
    if kind == TrackerKind.GITLAB:
        return _same(secret, headers.get("X-Gitlab-Token", ""))
    if kind == TrackerKind.JIRA:
        given = headers.get("X-SupportDesk-Token", "") or query.get("secret", "")
        return _same(secret, given)
    if kind == TrackerKind.AZURE:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            password = base64.b64decode(auth[6:]).decode().partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return False
        return _same(secret, password)
    return False
