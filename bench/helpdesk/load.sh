#!/usr/bin/env bash
# django-helpdesk's side of the load comparison: gunicorn (as many sync workers as
# bench/load.sh gives SupportDesk) serving bench/helpdesk/hdproject from bench/helpdesk/.venv
# on the database load.py made, and locust driving bench/helpdesk/locustfile.py against it
# (locust from SupportDesk's .venv: it is only the load generator). Same arguments and
# variables as bench/load.sh:
#
#   bench/helpdesk/load.sh [users] [seconds]            one run: var/load-helpdesk/stats*
#   LOAD_STEPS="5 10 20 40" bench/helpdesk/load.sh 0 60 one run per user count: step_<users>*
#
# HELPDESK_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sd_helpdesk_bench),
# LOAD_PORT (8766), LOAD_WORKERS (4), LOAD_OUT (var/load-helpdesk), VENV (.venv, for locust).
# Needs bash bench/helpdesk/setup.sh and bench/helpdesk/load.py first.
set -euo pipefail
cd "$(dirname "$0")/../.."
USERS=${1:-30}
SECONDS_=${2:-60}
PORT=${LOAD_PORT:-8766}
OUT=${LOAD_OUT:-var/load-helpdesk}
VENV=${VENV:-.venv}
HD=bench/helpdesk/.venv
STEPS=${LOAD_STEPS:-}
mkdir -p "$OUT"
[[ -x "$HD/bin/gunicorn" ]] || { echo "no $HD/bin/gunicorn: run bash bench/helpdesk/setup.sh" >&2; exit 1; }

"$HD"/bin/python bench/helpdesk/load_people.py > "$OUT/people.json"

pids=()
# The server in its own process group, so that stopping it stops its workers too.
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -m
(cd bench/helpdesk && exec .venv/bin/gunicorn hdproject.wsgi -b "127.0.0.1:$PORT" \
  -w "${LOAD_WORKERS:-4}" --access-logfile /dev/null --error-logfile "../../$OUT/gunicorn.log") &
pids+=($!)
set +m
for _ in $(seq 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/login/" && break
  sleep 0.2
done

run_step() { # users csv-prefix
  LOAD_PEOPLE="$OUT/people.json" LOAD_USERS="$1" LOAD_MEASURE_SECONDS="$SECONDS_" \
    LOAD_SUMMARY="$2.json" "$VENV"/bin/locust -f bench/helpdesk/locustfile.py --headless \
    -H "http://127.0.0.1:$PORT" -u "$1" -r "$1" -t "$((SECONDS_ + 240))s" --stop-timeout 120 \
    --csv "$2" --only-summary 2>&1 | tail -60 || true  # locust exits 1 when a request failed
  echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
if [[ -z "$STEPS" ]]; then
  run_step "$USERS" "$OUT/stats"
  echo "== measured once every user had signed in (bench/load_measure.py):"
  cat "$OUT/stats.json"
else
  for users in $STEPS; do
    echo "== step: $users users, ${SECONDS_} s"
    run_step "$users" "$OUT/step_$users"
  done
fi
