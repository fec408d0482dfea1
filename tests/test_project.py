"""The project as a whole: demo data, production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from cases.models import Case, SatisfactionSurvey, State
from notifications.models import Announcement
from servicerequests.models import ServiceRequest
from tenants.models import AccountTeamMember, Environment, LetterOfAuthorization, Tenant

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_seed_demo_builds_every_state_and_is_idempotent(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Tenant.objects.count() == 3
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values)
    assert set(LetterOfAuthorization.objects.values_list("status", flat=True)) == {
        "active",
        "rescinded",
    }
    assert Case.objects.filter(partner__isnull=False).exists()
    assert SatisfactionSurvey.objects.filter(case__state=State.CLOSED).count() == 1
    assert Announcement.objects.filter(published=True).count() == 3
    assert Environment.objects.count() == 6
    assert AccountTeamMember.objects.filter(tenant__reference_prefix="ACME").count() == 5
    assert set(ServiceRequest.objects.values_list("state", flat=True)) == {
        "submitted",
        "in_fulfilment",
        "done",
    }
    assert ServiceRequest.objects.get(state="done").authorization["signature"]
    assert "alice@acme.demo" in capsys.readouterr().out


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "false",
        "SECRET_KEY": "x7#k2p!vQz9@Lr4mW8sN1bT6yU3cF5gH0jD2eA-production-like",
        "ALLOWED_HOSTS": "desk.example.com",
        "SITE_URL": "https://desk.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
