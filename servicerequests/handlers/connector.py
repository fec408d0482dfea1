"""Connector installer request: an installer for one of the product's connectors."""

from django import forms

from servicerequests.handlers.base import ALL_KINDS, RequestForm, RequestHandler, Step, refuse
from tenants.models import Environment, Tenant


class Platform(forms.ChoiceField):
    CHOICES = [
        ("windows-x64", "Windows Server (x64)"),
        ("linux-x64", "Linux (x64)"),
        ("linux-arm64", "Linux (ARM64)"),
        ("container", "Container image"),
    ]


class ConnectorForm(RequestForm):
    connector = forms.CharField(
        label="Connector", required=False, help_text="e.g. Active Directory, SAP, JDBC."
    )
    platform = forms.ChoiceField(label="Platform", choices=Platform.CHOICES)
    version = forms.CharField(
        label="Version", required=False, help_text="Leave empty for the current release."
    )
    host = forms.CharField(label="Host it will run on", required=False)


class ConnectorInstaller(RequestHandler):
    code = "connector_installer"
    title = "Connector installer"
    description = "Get an installer for a connector, built for your environment."
    form_class = ConnectorForm
    environment_kinds = ALL_KINDS
    steps = (
        Step("build", "Prepare the installer and its licence"),
        Step("deliver", "Send the customer a secure download link"),
    )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        connector = (cleaned.get("connector") or "").strip()
        if not connector:
            raise refuse("connector", "Name the connector you need.")
        platforms = dict(Platform.CHOICES)
        return {
            "connector": connector[:100],
            "platform": cleaned["platform"],
            "platform_label": platforms[cleaned["platform"]],
            "version": (cleaned.get("version") or "").strip()[:50] or "current release",
            "host": (cleaned.get("host") or "").strip()[:200],
        }

    def summary(self, *, details: dict, environment: Environment) -> str:
        return (
            f"{details['connector']} connector for {environment.name} ({details['platform_label']})"
        )

    def describe(self, details: dict) -> list[tuple[str, str]]:
        lines = [
            ("Connector", details["connector"]),
            ("Platform", details["platform_label"]),
            ("Version", details["version"]),
        ]
        if details.get("host"):
            lines.append(("Host", details["host"]))
        return lines
