"""IP allowlist update: networks to add to or remove from an environment's allowlist."""

import ipaddress
from typing import Any

from django import forms

from servicerequests.handlers.base import ALL_KINDS, RequestForm, RequestHandler, Step, refuse
from supportdesk.errors import InvalidInput
from tenants.models import Environment, Tenant
from tenants.services import environment_allowlist_change

MAX_ENTRIES = 100
# Broader entries open the environment to whole providers; they need a case, not a form.
MIN_PREFIX = {4: 16, 6: 48}


def _networks(text: str, field: str, *, adding: bool) -> list[str]:
    entries = []
    for raw in (text or "").replace(",", "\n").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            network = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            raise refuse(field, f"{raw} is not an IP address or network (CIDR).") from None
        if adding and network.prefixlen < MIN_PREFIX[network.version]:
            raise refuse(
                field,
                f"{raw} is too broad: at most a /{MIN_PREFIX[network.version]} per entry.",
            )
        if adding and not network.is_global:
            raise refuse(
                field, f"{raw} is a private or reserved network; list your public addresses."
            )
        if str(network) not in entries:
            entries.append(str(network))
    return entries


class IpAllowlistForm(RequestForm):
    add = forms.CharField(
        label="Add",
        required=False,
        help_text="One address or CIDR network per line, e.g. 203.0.113.0/24.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    remove = forms.CharField(
        label="Remove", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class IpAllowlistUpdate(RequestHandler):
    code = "ip_allowlist"
    title = "IP allowlist update"
    description = "Add or remove the networks allowed to reach an environment."
    form_class = IpAllowlistForm
    environment_kinds = ALL_KINDS
    steps = (
        Step("review", "Review the networks"),
        Step("apply", "Apply the allowlist change"),
    )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        add = _networks(cleaned.get("add", ""), "add", adding=True)
        remove = _networks(cleaned.get("remove", ""), "remove", adding=False)
        if not add and not remove:
            raise InvalidInput(
                "List at least one network to add or remove.",
                field_errors={"add": ["List at least one network to add or remove."]},
            )
        current = set(environment.ip_allowlist)
        present = [entry for entry in add if entry in current]
        if present:
            raise refuse("add", f"Already on the allowlist: {', '.join(present)}.")
        missing = [entry for entry in remove if entry not in current]
        if missing:
            raise refuse("remove", f"Not on the allowlist: {', '.join(missing)}.")
        if len(current) + len(add) - len(remove) > MAX_ENTRIES:
            raise refuse("add", f"An allowlist holds at most {MAX_ENTRIES} entries.")
        reason = (cleaned.get("reason") or "").strip()
        if not reason:
            raise refuse("reason", "Say why the allowlist changes (e.g. a new office).")
        return {"add": add, "remove": remove, "reason": reason}

    def summary(self, *, details: dict, environment: Environment) -> str:
        parts = []
        if details["add"]:
            parts.append(f"add {len(details['add'])}")
        if details["remove"]:
            parts.append(f"remove {len(details['remove'])}")
        return f"IP allowlist of {environment.name}: {' and '.join(parts)}"

    def describe(self, details: dict) -> list[tuple[str, str]]:
        lines = []
        if details["add"]:
            lines.append(("Add", ", ".join(details["add"])))
        if details["remove"]:
            lines.append(("Remove", ", ".join(details["remove"])))
        lines.append(("Reason", details["reason"]))
        return lines

    def on_done(self, *, request: Any, actor: Any) -> None:
        environment_allowlist_change(
            environment_id=request.environment_id,
            add=request.details["add"],
            remove=request.details["remove"],
        )
