#!/usr/bin/env bash
# The load test: gunicorn on 127.0.0.1, a Celery worker and beat (periodic tasks every
# AUTOMATION_INTERVAL seconds) on Redis, and locust driving contacts, engineers and API
# integrations against it (bench/locustfile.py); prints locust's summary and writes
# var/load/stats_*.csv and var/load/summary.json (bench/load_measure.py: the figures once
# every user has signed in, sign-ins apart).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \
#   REDIS_URL=redis://127.0.0.1:6379/7 bench/load.sh [users] [seconds]
#
# LOAD_MIX=compare runs the mix of the comparison with django-helpdesk instead (staff queue,
# case page, reply; portal dashboard, case page, new case); LOAD_STEPS="5 10 20 40" runs one
# test per user count against the same servers, writing var/load/step_<users>*.csv and
# step_<users>.json (bench/load_compare.py does both). LOAD_PORT, LOAD_WORKERS (gunicorn
# sync workers, 4), LOAD_OUT (var/load) and VENV (.venv) can be set.
#
# Needs the data of bench/generate.py and the bench extra (pip install -e '.[bench]').
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-30}
SECONDS_=${2:-60}
PORT=${LOAD_PORT:-8765}
OUT=${LOAD_OUT:-var/load}
VENV=${VENV:-.venv}
STEPS=${LOAD_STEPS:-}
mkdir -p "$OUT"
: "${DATABASE_URL:?set DATABASE_URL to the bench database}"
: "${REDIS_URL:?set REDIS_URL (e.g. redis://127.0.0.1:6379/7)}"
export HTTPS=false DEBUG=false ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
export SECRET_KEY=load-test-secret-key-not-for-production-0123456789
export AUTOMATION_INTERVAL=${AUTOMATION_INTERVAL:-10}
# Every simulated client comes from 127.0.0.1: the per-address API limit is for the
# internet, not for one load generator.
export API_RATE_PER_ADDRESS=100000/minute API_RATE_PER_TOKEN=100000/minute
export EMAIL_DELIVERY_BACKEND=django.core.mail.backends.locmem.EmailBackend
export SUPPORTDESK_VAR_DIR="$PWD/$OUT"
# This checkout's code, also for the worker and beat (whose sys.path starts at the venv).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

"$VENV"/bin/python manage.py collectstatic --noinput -v0
"$VENV"/bin/python bench/load_people.py > "$OUT/people.json"

pids=()
# Each server in its own process group, so that stopping it stops its workers too.
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
set -m

"$VENV"/bin/gunicorn supportdesk.wsgi -b "127.0.0.1:$PORT" -w "${LOAD_WORKERS:-4}" \
  --access-logfile /dev/null --error-logfile "$OUT/gunicorn.log" &
pids+=($!)
"$VENV"/bin/celery -A supportdesk worker -l WARNING -c 2 --logfile "$OUT/worker.log" &
pids+=($!)
"$VENV"/bin/celery -A supportdesk beat -l WARNING -s "$OUT/beat-schedule" --logfile "$OUT/beat.log" &
pids+=($!)
for _ in $(seq 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/status/" && break
  sleep 0.2
done

set +m

# One locust run: the users for the seconds after every user has signed in (locust's -t is
# only a guard, for sign-ins that never end).
run_step() { # users csv-prefix
  LOAD_PEOPLE="$OUT/people.json" LOAD_USERS="$1" LOAD_MEASURE_SECONDS="$SECONDS_" \
    LOAD_SUMMARY="$2.json" "$VENV"/bin/locust -f bench/locustfile.py --headless \
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
    echo "== step: $users users, ${SECONDS_} s, mix ${LOAD_MIX:-full}"
    run_step "$users" "$OUT/step_$users"
  done
fi
echo "== periodic task runs during the test (worker log):"
grep -c "succeeded" "$OUT/worker.log" || echo "(the worker logs successes at INFO only)"
