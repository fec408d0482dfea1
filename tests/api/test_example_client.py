"""docs/api_example.py, run as a user would run it, against a live server: it files a
case with a file, replies, waits while support proposes a solution, and accepts it."""

import subprocess
import sys
from pathlib import Path

import pytest

from cases import services
from cases.models import Attachment, Case, Channel, CloseReason, State
from tests.factories import api_token_for

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "api_example.py"


@pytest.mark.django_db(transaction=True)
def test_example_client_files_and_tracks_a_case_end_to_end(cast, live_server, tmp_path):
    _, secret = api_token_for(cast.contact_a)
    log = tmp_path / "export.log"
    log.write_text("GET /billing/export 504 60012ms\n")
    command = [
        sys.executable,
        str(EXAMPLE),
        *("--url", live_server.url, "--token", secret, "--priority", "P2"),
        *("--attach", str(log), "--wait", "60", "--interval", "0.2"),
    ]
    process = subprocess.Popen(  # noqa: S603
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen = []
    for line in process.stdout:  # blocks until the script has filed and replied
        seen.append(line)
        if line.startswith("Replied on"):
            break
    filed = next((line for line in seen if line.startswith("FILED")), None)
    assert filed, "".join(seen) + process.stderr.read()
    case = Case.objects.get(reference=filed.split()[1])
    assert (case.channel, case.priority, case.reporter) == (Channel.API, "P2", cast.contact_a)
    assert Attachment.objects.get(case=case).filename == "export.log"

    # Support works the case while the script polls.
    services.case_assign(case_id=case.id, actor=cast.engineer, owner=cast.engineer)
    services.case_propose_solution(
        case_id=case.id, actor=cast.engineer, body="Export in monthly batches until 5.3."
    )
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    output = "".join(seen) + out
    assert "Support proposes: Export in monthly batches until 5.3." in output
    assert f"ACCEPTED: {case.reference} is closed (resolved)" in output
    assert "closed" in output.split("Timeline:")[1]
    case.refresh_from_db()
    assert (case.state, case.close_reason) == (State.CLOSED, CloseReason.RESOLVED)


@pytest.mark.django_db(transaction=True)
def test_example_client_reports_a_refusal_with_its_fields(cast, live_server):
    _, secret = api_token_for(cast.contact_a)
    result = subprocess.run(  # noqa: S603
        [
            *(sys.executable, str(EXAMPLE), "--url", live_server.url, "--token", secret),
            *("--priority", "P9", "--wait", "1"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Refused: 400 invalid" in result.stderr
    assert "priority: Choose one of the plan's priorities: P1, P2, P3, P4." in result.stderr
    assert not Case.objects.exists()
