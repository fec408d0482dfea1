#!/usr/bin/env bash
# The load test: gunicorn on 127.0.0.1, a Celery worker and beat (periodic tasks every
# AUTOMATION_INTERVAL seconds) on Redis, and locust driving contacts, engineers and API
# integrations against it; prints locust's summary and writes var/load/stats_*.csv.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_hard_bench \
#   REDIS_URL=redis://127.0.0.1:6379/7 bench/load.sh [users] [seconds]
#
# Needs the data of bench/generate.py and the bench extra (pip install -e '.[bench]').
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-30}
SECONDS_=${2:-60}
PORT=${LOAD_PORT:-8765}
OUT=var/load
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

.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python bench/load_people.py > "$OUT/people.json"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

.venv/bin/gunicorn supportdesk.wsgi -b "127.0.0.1:$PORT" -w "${LOAD_WORKERS:-4}" \
  --access-logfile /dev/null --error-logfile "$OUT/gunicorn.log" &
pids+=($!)
.venv/bin/celery -A supportdesk worker -l WARNING -c 2 --logfile "$OUT/worker.log" &
pids+=($!)
.venv/bin/celery -A supportdesk beat -l WARNING -s "$OUT/beat-schedule" --logfile "$OUT/beat.log" &
pids+=($!)
for _ in $(seq 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/status/" && break
  sleep 0.2
done

LOAD_PEOPLE="$OUT/people.json" .venv/bin/locust -f bench/locustfile.py --headless \
  -H "http://127.0.0.1:$PORT" -u "$USERS" -r "$USERS" -t "${SECONDS_}s" \
  --csv "$OUT/stats" --only-summary 2>&1 | tail -60
echo "== periodic task runs during the test (worker log):"
grep -c "succeeded" "$OUT/worker.log" || echo "(the worker logs successes at INFO only)"
