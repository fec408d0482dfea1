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
    # The three everyday tenants and one per source policy (README, "The four source
    # policies"), each on its own plan.
    assert dict(Tenant.objects.values_list("reference_prefix", "plan__name")) == {
        "ACME": "Premier",
        "GLOBEX": "Business Critical",
        "INIT": "Standard",
        "PREM": "Premier Application Support",
        "PSUC": "Premium Success",
        "HIPRI": "High Priority Service",
        "PART": "Partner Support",
    }
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values)
    assert set(LetterOfAuthorization.objects.values_list("status", flat=True)) == {
        "active",
        "rescinded",
    }
    assert Case.objects.filter(partner__isnull=False).exists()
    assert SatisfactionSurvey.objects.filter(case__state=State.CLOSED).count() == 1
    assert Announcement.objects.filter(published=True).count() == 3
    assert Environment.objects.count() == 6 + 4 * 2
    assert AccountTeamMember.objects.filter(tenant__reference_prefix="ACME").count() == 5
    assert set(ServiceRequest.objects.values_list("state", flat=True)) == {
        "submitted",
        "in_fulfilment",
        "done",
    }
    assert ServiceRequest.objects.get(state="done").authorization["signature"]
    out = capsys.readouterr().out
    for login in ("alice@acme.demo", "paula@prem.demo", "cody@channelpartner.demo"):
        assert login in out


def _production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "false",
        "SECRET_KEY": "x7#k2p!vQz9@Lr4mW8sN1bT6yU3cF5gH0jD2eA-production-like",
        "ALLOWED_HOSTS": "desk.example.com",
        "SITE_URL": "https://desk.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "REDIS_URL": "redis://redis.example.com:6379/0",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
        **overrides,
    }
    return {name: value for name, value in env.items() if value}


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = _check_deploy(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_requires_a_shared_redis_cache_in_production(tmp_path):
    result = _check_deploy(_production_env(tmp_path, REDIS_URL=""))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "ERRORS:" in output
    assert "(supportdesk.E001) Neither CACHE_URL nor REDIS_URL is set" in output


def test_check_deploy_accepts_a_cache_url_apart_from_the_broker(tmp_path):
    result = _check_deploy(
        _production_env(
            tmp_path,
            REDIS_URL="",
            CACHE_URL="redis://cache.example.com:6379/1",
            CELERY_BROKER_URL="redis://broker.example.com:6379/0",
        )
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_redis_every_process_shares_the_rate_limit_counters(tmp_path):
    """Two processes without REDIS_URL (two gunicorn workers, say) draw on one budget: the
    second finds the first's requests counted (with a per-process cache it had its own)."""
    script = (
        "from django.test import RequestFactory\n"
        "from supportdesk.api.throttles import AddressRateThrottle\n"
        "request = RequestFactory().get('/api/v1/cases/')\n"
        "print([AddressRateThrottle().allow_request(request, None) for _ in range(2)])\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DEBUG": "true",
        "SUPPORTDESK_VAR_DIR": str(tmp_path),
        "API_RATE_PER_ADDRESS": "2/minute",
    }

    def run() -> str:
        result = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]

    assert run() == "[True, True]"
    assert run() == "[False, False]"
    assert (tmp_path / "cache").is_dir()


def _site_url(tmp_path: Path, **env: str) -> str:
    """SITE_URL as a fresh process reads it from this environment (and nothing else)."""
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--verbosity=0",
            "-c",
            "from django.conf import settings; print(settings.SITE_URL)",
        ],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "DEBUG": "true",
            "SUPPORTDESK_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_mail_links_point_at_the_port_bin_serve_listens_on(tmp_path):
    assert _site_url(tmp_path) == "http://127.0.0.1:8000"
    assert _site_url(tmp_path, PORT="8101") == "http://127.0.0.1:8101"
    assert _site_url(tmp_path, PORT="8101", SITE_URL="https://desk.example.com/") == (
        "https://desk.example.com"
    )


def test_the_file_system_broker_keeps_every_file_under_var(tmp_path):
    """kombu writes its exchange tables to control/ in the working directory unless told
    otherwise; bin/serve runs from the checkout, so that was the repository's root."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    script = (
        "import django; django.setup()\n"
        "from supportdesk.celery import app\n"
        "app.send_task('notifications.tasks.send_pending_notifications')\n"
    )
    subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=workdir,
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
            "DEBUG": "true",
            "SUPPORTDESK_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert list(workdir.iterdir()) == []
    assert (tmp_path / "var" / "broker" / "control" / "celery.exchange").is_file()
    assert len(list((tmp_path / "var" / "broker" / "queue").iterdir())) == 1
