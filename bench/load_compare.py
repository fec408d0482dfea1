"""Load, side by side: SupportDesk (bench/load.sh, LOAD_MIX=compare) and django-helpdesk
(bench/helpdesk/load.sh) with the same mix on the same data, stepping the number of users.

Run (after bench/generate.py, bench/helpdesk/setup.sh and bench/helpdesk/load.py --drop):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/load_compare.py [--steps 5 10 20 40] [--seconds 60]

For each side: its servers start once (gunicorn with the same number of sync workers; on
SupportDesk's side also its Celery worker and beat, as in production), then one locust run
per step. A step's figures are those of the --seconds after every simulated user has signed
in (bench/load_measure.py), sign-ins excluded and shown in their own line. The mix
(bench/locustfile.py's `compare`, bench/helpdesk/locustfile.py): as many staff as customers;
staff open the queue (3), a case from it (3), reply to the customer on it (1); customers open
their dashboard or helpdesk's public home (5), a case (4), and file one (1).

Prints, ready to paste: a table of every step (req/s, p50/p95/p99, errors, load average), per
side the highest throughput at which p95 < --p95 ms (300) with zero errors, the ratio
SupportDesk / helpdesk of those, the sign-ins, and per request name the best step's figures.
Locust's own CSV stats (whole run, sign-ins included) stay in var/load-compare/<side>/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "load-compare"
SIDES = {
    "SupportDesk": ("bench/load.sh", "supportdesk", {"LOAD_MIX": "compare"}),
    "django-helpdesk": ("bench/helpdesk/load.sh", "helpdesk", {}),
}


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run_side(name: str, steps: list[int], seconds: int, workers: int) -> list[dict]:
    script, folder, extra = SIDES[name]
    out = OUT / folder
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("step_*"):
        old.unlink()
    env = {
        **os.environ,
        **extra,
        "LOAD_OUT": str(out.relative_to(ROOT)),
        "LOAD_STEPS": " ".join(map(str, steps)),
        "LOAD_WORKERS": str(workers),
    }
    log = out / "run.log"
    print(f"{name}: {len(steps)} steps of {seconds} s; load average before {load_average()}")
    print(f"  (output in {log.relative_to(ROOT)})", flush=True)
    started = time.monotonic()
    with log.open("w") as stream:
        done = subprocess.run(  # noqa: S603 (our own scripts)
            ["/usr/bin/env", "bash", script, "0", str(seconds)],
            cwd=ROOT,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    print(
        f"{name}: done in {time.monotonic() - started:.0f} s (exit {done.returncode}); "
        f"load average after {load_average()}",
        flush=True,
    )
    results = []
    for users in steps:
        summary = out / f"step_{users}.json"
        if summary.exists():
            results.append(json.loads(summary.read_text(encoding="utf-8")))
        else:
            results.append({"users": users, "missing": True})
    return results


def best(results: list[dict], p95_limit: float) -> dict | None:
    passing = [
        r
        for r in results
        if not r.get("missing")
        and r["requests"]
        and r["failures"] == 0
        and r["p95_ms"] is not None
        and r["p95_ms"] < p95_limit
    ]
    return max(passing, key=lambda r: r["rps"], default=None)


def report(figures: dict[str, list[dict]], p95_limit: float, seconds: int) -> None:
    print("\n| side | users | req/s | p50 ms | p95 ms | p99 ms | errors | load avg (end) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for side, results in figures.items():
        for r in results:
            if r.get("missing"):
                print(f"| {side} | {r['users']} | no summary (see run.log) | | | | | |")
                continue
            load = " / ".join(f"{x:.2f}" for x in r["load_average_end"])
            print(
                f"| {side} | {r['users']} | {r['rps']:.1f} | {r['p50_ms']} | {r['p95_ms']} "
                f"| {r['p99_ms']} | {r['failures']} of {r['requests']} | {load} |"
            )
    print(f"\n(each step: {seconds} s measured after every user signed in; sign-ins excluded)")
    tops = {side: best(results, p95_limit) for side, results in figures.items()}
    print(f"\nHighest throughput with p95 < {p95_limit:.0f} ms and zero errors:")
    for side, top in tops.items():
        if top is None:
            print(f"- {side}: none of the steps")
        else:
            print(
                f"- {side}: **{top['rps']:.1f} req/s** at {top['users']} users "
                f"(p95 {top['p95_ms']} ms)"
            )
    ours, theirs = tops.get("SupportDesk"), tops.get("django-helpdesk")
    if ours and theirs:
        print(f"- ratio SupportDesk / django-helpdesk: **{ours['rps'] / theirs['rps']:.1f}×**")
    elif ours:
        print("- ratio: not defined, django-helpdesk met the limit at no step")
    print("\nSign-ins, measured apart (every step together):")
    for side, results in figures.items():
        signs = [r["sign_ins"] for r in results if not r.get("missing")]
        count = sum(s["requests"] for s in signs)
        failed = sum(s["failures"] for s in signs)
        p95s = [s["p95_ms"] for s in signs if s["p95_ms"] is not None]
        worst = max((s["max_ms"] for s in signs if s["max_ms"] is not None), default=None)
        print(
            f"- {side}: {count} sign-in requests, {failed} failed; p95 per step "
            f"{', '.join(str(p) for p in p95s) or '-'} ms; slowest {worst} ms"
        )
    for side, results in figures.items():
        top = tops[side] or max(
            (r for r in results if not r.get("missing")), key=lambda r: r["rps"], default=None
        )
        if top is None:
            continue
        print(f"\n{side}, per request at {top['users']} users:")
        print("| request | count | errors | p50 ms | p95 ms |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for name, row in top["by_name"].items():
            print(
                f"| {name} | {row['requests']} | {row['failures']} | {row['p50_ms']} "
                f"| {row['p95_ms']} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--seconds", type=int, default=60, help="measured seconds per step")
    parser.add_argument("--p95", type=float, default=300.0, help="the p95 limit, ms")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers, both sides")
    parser.add_argument(
        "--sides",
        nargs="+",
        choices=["supportdesk", "helpdesk"],
        default=["supportdesk", "helpdesk"],
    )
    parser.add_argument(
        "--report-only", action="store_true", help="print the table of the last run's summaries"
    )
    args = parser.parse_args()
    if "supportdesk" in args.sides and not args.report_only:
        for variable in ("DATABASE_URL", "REDIS_URL"):
            if not os.environ.get(variable):
                sys.exit(f"set {variable} (see bench/load.sh)")
    names = [n for n in SIDES if SIDES[n][1] in args.sides]
    figures: dict[str, list[dict]] = {}
    for name in names:
        if args.report_only:
            folder = OUT / SIDES[name][1]
            figures[name] = [
                json.loads(p.read_text(encoding="utf-8"))
                if (p := folder / f"step_{u}.json").exists()
                else {"users": u, "missing": True}
                for u in args.steps
            ]
        else:
            figures[name] = run_side(name, args.steps, args.seconds, args.workers)
    report(figures, args.p95, args.seconds)


if __name__ == "__main__":
    main()
