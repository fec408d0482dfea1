"""Server time and query counts of django-helpdesk 2.6.1's staff pages, for issue 8.

Run with the helpdesk virtual environment, after setup.sh and load.py:

    bench/helpdesk/.venv/bin/python bench/helpdesk/time_pages.py [--repeats 10] [--explain]

Requests each page in-process through Django's full middleware stack (the test client, no
network), signed in as the staff superuser bench-staff, once to warm up and then --repeats
times: the staff ticket list page; the request its DataTables table makes for its rows (the
server-side JSON endpoint, with the parameters the page's script sends: first page of the
user's tickets_per_page rows, the page's default sort); the same two for open tickets of
priority 1; the page of --ticket-id (refused if load.py did not copy that case), or else of
the lowest-id open ticket of the busiest queue; with --all-statuses, the list of every ticket,
closed included, and its data request. A request over 60 s is recorded as ">60 s" and not
repeated (PostgreSQL's statement_timeout and an alarm both stop it). --runs N repeats the
whole timing: each page's median_ms is then the median of the runs' medians (medians_ms holds
them all), and the load average before and after each run is logged and in the JSON.

Prints one JSON object on stdout; progress, and with --explain the plans of the slowest
queries of each page (EXPLAIN ANALYZE, run once more), on stderr.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")

TIMEOUT_S = 60
STAFF_USERNAME = "bench-staff"
STAFF_PASSWORD = "bench-pass-2026"  # noqa: S105 (the benchmark login load.py creates)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class RequestTimeout(Exception):
    pass


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--runs", type=int, default=1, help="repeat the whole timing N times (ranges of medians)"
    )
    parser.add_argument(
        "--ticket-id",
        type=int,
        help="the ticket whose page is timed (refused if missing); default: the lowest-id open "
        "ticket of the busiest queue",
    )
    parser.add_argument(
        "--all-statuses",
        action="store_true",
        help="also time the list of every ticket, closed included (status 1-5), and its data",
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest queries (stderr)"
    )
    args = parser.parse_args()

    import django
    from django.conf import settings

    # A harness guard, not an application setting: no statement may run past the timeout.
    settings.DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={TIMEOUT_S * 1000}"
    )
    django.setup()
    import helpdesk
    from django.db import DatabaseError, connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from helpdesk import settings as helpdesk_settings
    from helpdesk.models import Ticket

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    version = getattr(helpdesk, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("django-helpdesk")

    try:
        tickets = Ticket.objects.count()
    except DatabaseError as error:
        raise SystemExit(
            f"no django-helpdesk database ({error.__class__.__name__}): "
            "run bench/helpdesk/setup.sh and load.py first"
        ) from error
    if not tickets:
        raise SystemExit("no tickets: run bench/helpdesk/load.py first")
    busiest = (
        Ticket.objects.order_by().values("queue").annotate(n=Count("id")).order_by("-n").first()
    )
    if args.ticket_id is not None:
        # The ticket bench_pages.py times on its side: timing another one would compare two
        # different pages, so a missing ticket is an error, not a fallback.
        if not Ticket.objects.filter(id=args.ticket_id).exists():
            raise SystemExit(
                f"no ticket {args.ticket_id} in django-helpdesk's database: it must be a case "
                "that bench/helpdesk/load.py copied (run load.py --drop again if the bench "
                "data changed)"
            )
        ticket_id = args.ticket_id
    else:
        ticket_id = (  # as bench_pages.py picks its case: the lowest-id open one
            Ticket.objects.filter(queue_id=busiest["queue"], status=Ticket.OPEN_STATUS)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
    log(
        f"django-helpdesk {version}: {tickets:,} tickets; busiest queue {busiest['n']:,}; "
        f"ticket page {ticket_id}; repeats {args.repeats}; runs {args.runs}"
    )

    staff = Client()
    if not staff.login(username=STAFF_USERNAME, password=STAFF_PASSWORD):
        raise SystemExit("cannot sign in as bench-staff: run bench/helpdesk/load.py first")

    def ok(response: object) -> object:
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")
        return response

    # The columns ticket_list.html hands to DataTables, in order (time_spent and kbitem only
    # when their features are on, as the template says), and what DataTables sends for them.
    columns = ["id", "ticket", "priority", "queue", "status", "created", "due_date"]
    columns += ["assigned_to", "submitter", "last_followup"]
    if helpdesk_settings.HELPDESK_ENABLE_TIME_SPENT_ON_TICKET:
        columns.append("time_spent")
    if helpdesk_settings.HELPDESK_KB_ENABLED:
        columns.append("kbitem")

    def data_request(page_html: str) -> tuple[str, dict[str, str]]:
        """The URL and query string of the table's first request, read off the page."""
        url = re.search(r'"url": "([^"]*datatables_ticket_list/[^"]*)"', page_html)
        length = re.search(r"data-page-length='(\d+)'", page_html)
        if url is None or length is None:
            raise SystemExit("ticket_list.html changed: no DataTables ajax URL or page length")
        params = {"draw": "1"}
        for i, name in enumerate(columns):
            params |= {
                f"columns[{i}][data]": name,
                f"columns[{i}][name]": "",
                f"columns[{i}][searchable]": "true",
                f"columns[{i}][orderable]": "false" if name == "id" else "true",
                f"columns[{i}][search][value]": "",
                f"columns[{i}][search][regex]": "false",
            }
        # `order: []` in the page's script: no order[...] parameters, the query's own sort.
        params |= {"start": "0", "length": length.group(1)}
        params |= {"search[value]": "", "search[regex]": "false", "_": "1"}
        return html.unescape(url.group(1)), params

    list_html = ok(staff.get("/tickets/")).content.decode()
    list_url, list_params = data_request(list_html)
    filtered_path = "/tickets/?status=1&status=2&priority=1"
    filtered_url, filtered_params = data_request(ok(staff.get(filtered_path)).content.decode())
    log(f"ticket list data request: {list_url}?length={list_params['length']}")

    pages: dict[str, Callable[[], object]] = {
        "ticket list (page)": lambda: ok(staff.get("/tickets/")),
        "ticket list (data request)": lambda: ok(staff.get(list_url, list_params)),
        "filtered list (page)": lambda: ok(staff.get(filtered_path)),
        "filtered list (data request)": lambda: ok(staff.get(filtered_url, filtered_params)),
        "ticket view": lambda: ok(staff.get(f"/tickets/{ticket_id}/")),
    }
    if args.all_statuses:
        all_path = "/tickets/?" + "&".join(f"status={s}" for s, _ in Ticket.STATUS_CHOICES)
        all_url, all_params = data_request(ok(staff.get(all_path)).content.decode())
        pages["all tickets list (page)"] = lambda: ok(staff.get(all_path))
        pages["all tickets list (data request)"] = lambda: ok(staff.get(all_url, all_params))

    def alarm(_signum: int, _frame: object) -> None:
        raise RequestTimeout

    signal.signal(signal.SIGALRM, alarm)

    def timed(run: Callable[[], object]) -> tuple[float, list[dict], bool]:
        """One request: milliseconds, its queries, and whether it ran past the timeout."""
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            signal.alarm(TIMEOUT_S)
            try:
                run()
                late = False
            except (RequestTimeout, DatabaseError) as error:
                if isinstance(error, DatabaseError) and "statement timeout" not in str(error):
                    raise
                late = True
            finally:
                signal.alarm(0)
            elapsed = (time.perf_counter() - started) * 1000
        if late:
            connection.close()  # whatever the interrupted statement left behind
        return elapsed, captured.captured_queries, late or elapsed > TIMEOUT_S * 1000

    def load_average() -> list[float]:
        return [round(x, 2) for x in os.getloadavg()]

    medians: dict[str, list[float]] = {name: [] for name in pages}
    results: dict[str, dict] = {}
    slowest: dict[str, list[dict]] = {}
    load_averages: list[dict[str, list[float]]] = []
    for run_number in range(1, args.runs + 1):
        before = load_average()
        log(f"run {run_number}/{args.runs}: load average before {before}")
        for name, run in pages.items():
            times: list[float] = []
            elapsed, queries, late = timed(run)  # warm-up
            for _ in range(args.repeats if not late else 0):
                elapsed, queries, late = timed(run)
                times.append(min(elapsed, TIMEOUT_S * 1000))
                if late:
                    break
            if late and not times:
                times = [TIMEOUT_S * 1000]
            median, p95 = statistics.median(times), percentile(times, 0.95)
            medians[name].append(round(median, 1))
            over = f">{TIMEOUT_S} s"
            of_medians = statistics.median(medians[name])
            results[name] = {
                # With --runs > 1: the median of the runs' medians, and their range.
                "median_ms": over if of_medians >= TIMEOUT_S * 1000 else round(of_medians, 1),
                "medians_ms": medians[name],
                "p95_ms": over if late else round(p95, 1),  # the last run's
                "queries": len(queries),
                "repeats": len(times),
                **({"timed_out": True} if late or results.get(name, {}).get("timed_out") else {}),
            }
            slowest[name] = sorted(queries, key=lambda q: -float(q["time"]))[:3]
            log(f"{name:32} median {median:.1f} ms, p95 {p95:.1f} ms, {len(queries)} queries")
        after = load_average()
        log(f"run {run_number}/{args.runs}: load average after {after}")
        load_averages.append({"before": before, "after": after})
    if args.runs > 1:
        log(f"\n{'page':32} {'median of medians':>18} {'range of medians':>20}")
        for name, figures in medians.items():
            spread = f"{min(figures):.1f}–{max(figures):.1f}"
            log(f"{name:32} {statistics.median(figures):18.1f} {spread:>20}")

    if args.explain:
        with connection.cursor() as cursor:
            for name, queries in slowest.items():
                log(f"\n== {name}: its slowest queries")
                for query in queries:
                    log(f"-- {float(query['time']) * 1000:.1f} ms: {query['sql'][:600]}")
                    if not query["sql"].lstrip().upper().startswith("SELECT"):
                        continue
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    log("\n".join(row[0] for row in cursor.fetchall()))

    print(
        json.dumps(
            {
                "django_helpdesk": version,
                "django": django.get_version(),
                "tickets": tickets,
                "busiest_queue_tickets": busiest["n"],
                "ticket_id": ticket_id,
                "runs": args.runs,
                "load_average": load_averages,
                "pages": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
