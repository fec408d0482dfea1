"""Where a page's time goes: pyinstrument profiles of the staff queue, the staff case page and
the portal case page, written as text call trees to bench/profiles/<page>.txt.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \\
     .venv/bin/python bench/profile_pages.py [--requests 50] [--repeats 20] [--suffix .before]

Signs in through the test client as bench/bench_pages.py does (the same users, the busiest
bench tenant's contact, the same open and closed case), then for each page: one warm-up
request, --repeats timed requests (median, p95, queries, load average before and after),
and --requests requests under pyinstrument (sampling every 0.5 ms), whose call tree it
writes to bench/profiles/<page><suffix>.txt. Server time only, in process, as bench_pages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from allauth.mfa.models import Authenticator  # noqa: E402
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from pyinstrument import Profiler  # noqa: E402

from bench.bench_pages import BENCH_PASSWORD, ENGINEER, PASSWORD, percentile  # noqa: E402
from cases.models import Case  # noqa: E402
from tenants.models import AuthorizedContact  # noqa: E402

PROFILES = Path(__file__).resolve().parent / "profiles"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def pages() -> dict[str, Callable[[], object]]:
    """The three pages, on the cases bench_pages.py times."""
    busiest = (
        Case.objects.filter(tenant__reference_prefix__startswith="B0")
        .values("tenant_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise SystemExit("no bench data: run bench/generate.py first")
    tenant_id = busiest["tenant_id"]
    contact = AuthorizedContact.objects.filter(tenant_id=tenant_id).order_by("id").first().user
    open_case = Case.objects.filter(tenant_id=tenant_id).exclude(state="closed").first()
    big_case = (
        Case.objects.filter(tenant_id=tenant_id, state="closed").order_by("-created_at").first()
    )
    engineer = get_user_model().objects.get(username=ENGINEER)
    if not Authenticator.objects.filter(user=engineer, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(engineer, generate_totp_secret())
    staff = Client()
    assert staff.login(username=ENGINEER, password=PASSWORD)
    portal = Client()
    assert portal.login(username=contact.username, password=BENCH_PASSWORD)

    def ok(client: Client, url: str) -> Callable[[], object]:
        def get() -> object:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code} from {url}")
            return response

        return get

    return {
        "staff_queue": ok(staff, "/admin/cases/case/"),
        "staff_case_page": ok(staff, f"/admin/cases/case/{open_case.id}/change/"),
        "portal_case_page": ok(portal, f"/cases/{big_case.reference}/"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50, help="requests profiled per page")
    parser.add_argument("--repeats", type=int, default=20, help="requests timed per page")
    parser.add_argument("--suffix", default="", help="file name suffix, e.g. .before")
    parser.add_argument("--only", help="one page: staff_queue, staff_case_page, portal_case_page")
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    PROFILES.mkdir(exist_ok=True)
    print(f"cases: {Case.objects.count():,}; DEBUG={settings.DEBUG}; load before: {load()}")
    print(f"{'page':20} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  load average after")
    for name, run in pages().items():
        if args.only and name != args.only:
            continue
        run()
        times = []
        for _ in range(args.repeats):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                run()
                times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        p95 = percentile(times, 0.95)
        queries = len(captured.captured_queries)
        print(f"{name:20} {median:10.1f} {p95:8.1f} {queries:8d}  {load()}")
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.requests):
            run()
        profiler.stop()
        header = (
            f"# {name}: {args.requests} requests under pyinstrument; timed apart: median "
            f"{median:.1f} ms, p95 {p95:.1f} ms, {queries} queries over {args.repeats} requests "
            f"({Case.objects.count():,} cases, load {load()})\n"
        )
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        (PROFILES / f"{name}{args.suffix}.txt").write_text(header + text)


if __name__ == "__main__":
    main()
