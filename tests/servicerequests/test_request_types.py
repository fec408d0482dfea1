"""The rules of the other request types: flags per environment (sandbox first), the IP
allowlist, SSO certificates and connector installers."""

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from django.utils import timezone

from servicerequests import services
from servicerequests.models import State
from supportdesk.errors import InvalidInput
from tenants.environments import flag_matrix
from tenants.models import EnvironmentFlag
from tests.factories import ProductFlagFactory

pytestmark = pytest.mark.django_db


def submit(cast, code, **data):
    return services.service_request_submit(
        actor=cast.contact_a, tenant_id=cast.tenant_a.id, type_code=code, data=data
    )


def fulfil(cast, request):
    services.service_request_start(actor=cast.engineer, request_id=request.id)
    for step in request.steps.order_by("position"):
        services.service_request_step_done(
            actor=cast.engineer, request_id=request.id, step_code=step.code, note="done"
        )
    request.refresh_from_db()
    return request


@pytest.fixture
def flags(estate):
    return (
        ProductFlagFactory(key="new-editor", name="New editor"),
        ProductFlagFactory(key="bulk-export", name="Bulk export"),
    )


def test_flags_are_on_only_in_the_environment_whose_request_was_fulfilled(cast, estate, flags):
    editor, _ = flags
    request = submit(cast, "feature_flags", environment=estate.sandbox.id, flags=[editor.id])
    assert not EnvironmentFlag.objects.exists()
    fulfil(cast, request)
    assert request.state == State.DONE
    rows = {
        row.flag.key: dict(row.states) for row in flag_matrix([estate.production, estate.sandbox])
    }
    assert rows["new-editor"] == {estate.production: False, estate.sandbox: True}
    assert rows["bulk-export"] == {estate.production: False, estate.sandbox: False}
    assert EnvironmentFlag.objects.get(flag=editor).changed_by_request == request.reference


def test_production_without_a_sandbox_trial_needs_the_customer_to_say_so(cast, estate, flags):
    editor, _ = flags
    with pytest.raises(InvalidInput) as nudged:
        submit(cast, "feature_flags", environment=estate.production.id, flags=[editor.id])
    assert "sandbox first, then production" in nudged.value.field_errors["untested_in_sandbox"][0]
    request = submit(
        cast,
        "feature_flags",
        environment=estate.production.id,
        flags=[editor.id],
        untested_in_sandbox="on",
    )
    assert request.details["untested_in_sandbox"] is True


def test_a_flag_tried_in_a_sandbox_goes_to_production_without_the_nudge(cast, estate, flags):
    editor, _ = flags
    fulfil(cast, submit(cast, "feature_flags", environment=estate.sandbox.id, flags=[editor.id]))
    request = submit(cast, "feature_flags", environment=estate.production.id, flags=[editor.id])
    fulfil(cast, request)
    assert set(
        EnvironmentFlag.objects.filter(enabled=True).values_list("environment__name", flat=True)
    ) == {"UAT sandbox", "Production"}


def test_a_flag_already_on_or_of_another_product_is_refused(cast, estate, flags):
    editor, _ = flags
    fulfil(cast, submit(cast, "feature_flags", environment=estate.sandbox.id, flags=[editor.id]))
    with pytest.raises(InvalidInput, match="Already on in UAT sandbox"):
        submit(cast, "feature_flags", environment=estate.sandbox.id, flags=[editor.id])
    estate.test.product = "Other product"
    estate.test.save()
    with pytest.raises(InvalidInput, match="not a flag of Other product"):
        submit(cast, "feature_flags", environment=estate.test.id, flags=[editor.id])


def test_the_allowlist_changes_when_the_request_is_fulfilled(cast, estate):
    estate.production.ip_allowlist = ["62.30.112.0/24"]
    estate.production.save()
    request = submit(
        cast,
        "ip_allowlist",
        environment=estate.production.id,
        add="81.2.69.142\n81.2.69.160/28",
        remove="62.30.112.0/24",
        reason="New office in Leeds",
    )
    assert request.details["add"] == ["81.2.69.142/32", "81.2.69.160/28"]
    fulfil(cast, request)
    estate.production.refresh_from_db()
    assert estate.production.ip_allowlist == ["81.2.69.142/32", "81.2.69.160/28"]


@pytest.mark.parametrize(
    ("add", "remove", "field", "words"),
    [
        ("not-an-ip", "", "add", "not an IP address"),
        ("10.0.0.0/24", "", "add", "private or reserved"),
        ("8.0.0.0/8", "", "add", "too broad"),
        ("", "81.2.69.1", "remove", "Not on the allowlist"),
        ("", "", "add", "at least one network"),
    ],
)
def test_allowlist_entries_are_checked(cast, estate, add, remove, field, words):
    with pytest.raises(InvalidInput) as refused:
        submit(
            cast,
            "ip_allowlist",
            environment=estate.production.id,
            add=add,
            remove=remove,
            reason="Office move",
        )
    assert words in refused.value.field_errors[field][0]


def certificate(*, days: int) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "idp.acme.test")])
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.PEM).decode()


def test_an_sso_certificate_is_read_and_its_fingerprint_recorded(cast, estate):
    request = submit(
        cast, "sso_certificate", environment=estate.production.id, certificate=certificate(days=365)
    )
    assert request.details["subject"] == "CN=idp.acme.test"
    assert len(request.details["fingerprint_sha256"]) == 64


def test_an_sso_certificate_expiring_before_the_switch_or_garbage_is_refused(cast, estate):
    soon = timezone.localtime() + dt.timedelta(days=10)
    with pytest.raises(InvalidInput, match="before the switch-over"):
        submit(
            cast,
            "sso_certificate",
            environment=estate.production.id,
            certificate=certificate(days=3),
            switch_at=soon.strftime("%Y-%m-%dT%H:%M"),
        )
    with pytest.raises(InvalidInput, match="not a PEM certificate"):
        submit(cast, "sso_certificate", environment=estate.production.id, certificate="hello")


def test_a_connector_installer_needs_a_connector_and_a_platform(cast, estate):
    with pytest.raises(InvalidInput) as refused:
        submit(cast, "connector_installer", environment=estate.test.id, platform="linux-x64")
    assert "connector" in refused.value.field_errors
    request = submit(
        cast,
        "connector_installer",
        environment=estate.test.id,
        connector="Active Directory",
        platform="windows-x64",
    )
    assert request.summary == "Active Directory connector for QA (Windows Server (x64))"
    assert request.details["version"] == "current release"
