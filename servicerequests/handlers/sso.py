"""SSO certificate update: the identity provider's new signing certificate, read and
checked before anyone schedules it (a certificate that expires before it takes effect,
or text that is not a certificate, is refused at once)."""

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django import forms
from django.utils import timezone

from servicerequests.handlers.base import ALL_KINDS, RequestForm, RequestHandler, Step, refuse
from tenants.models import Environment, Tenant


class SsoCertificateForm(RequestForm):
    certificate = forms.CharField(
        label="New certificate (PEM)",
        required=False,
        help_text="Paste the text from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    switch_at = forms.DateTimeField(
        label="Switch over at",
        required=False,
        help_text="Your local time; leave empty for as soon as possible.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    identity_provider = forms.CharField(label="Identity provider", required=False)


def read_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise refuse(
            "certificate", "This is not a PEM certificate; paste the whole BEGIN/END block."
        ) from None


class SsoCertificateUpdate(RequestHandler):
    code = "sso_certificate"
    title = "SSO certificate update"
    description = "Install your identity provider's new signing certificate."
    form_class = SsoCertificateForm
    environment_kinds = ALL_KINDS
    steps = (
        Step("install", "Install the certificate beside the current one"),
        Step("switch", "Switch sign-in to the new certificate"),
        Step("verify", "Verify a sign-in with the customer"),
    )

    def validate(self, *, tenant: Tenant, cleaned: dict, environment: Environment) -> dict:
        pem = (cleaned.get("certificate") or "").strip()
        if not pem:
            raise refuse("certificate", "Paste the new certificate.")
        certificate = read_certificate(pem)
        now = timezone.now()
        switch_at = cleaned.get("switch_at") or now
        if switch_at < now - dt.timedelta(minutes=5):
            raise refuse("switch_at", "The switch-over cannot be in the past.")
        not_after = certificate.not_valid_after_utc
        if not_after <= switch_at:
            raise refuse(
                "certificate",
                f"This certificate expires on {not_after:%d %b %Y %H:%M} UTC, before the "
                "switch-over.",
            )
        not_before = certificate.not_valid_before_utc
        if not_before > switch_at:
            raise refuse(
                "switch_at",
                f"The certificate is valid only from {not_before:%d %b %Y %H:%M} UTC; "
                "switch over after that.",
            )
        der = certificate.public_bytes(Encoding.DER)
        return {
            "certificate": pem,
            "subject": certificate.subject.rfc4514_string(),
            "fingerprint_sha256": hashlib.sha256(der).hexdigest(),
            "not_valid_after": not_after.isoformat(),
            "switch_at": switch_at.isoformat(),
            "identity_provider": (cleaned.get("identity_provider") or "").strip(),
        }

    def summary(self, *, details: dict, environment: Environment) -> str:
        return f"New SSO certificate for {environment.name}"

    def describe(self, details: dict) -> list[tuple[str, str]]:
        fingerprint = details["fingerprint_sha256"]
        lines = [
            ("Subject", details["subject"]),
            ("SHA-256 fingerprint", ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2))),
            (
                "Valid until",
                dt.datetime.fromisoformat(details["not_valid_after"]).strftime(
                    "%d %b %Y %H:%M UTC"
                ),
            ),
            (
                "Switch over at",
                dt.datetime.fromisoformat(details["switch_at"]).strftime("%d %b %Y %H:%M UTC"),
            ),
        ]
        if details.get("identity_provider"):
            lines.append(("Identity provider", details["identity_provider"]))
        return lines
