#!/usr/bin/env bash
# Creates bench/helpdesk/.venv: django-helpdesk 2.6.1 on Django 5.2 and Python 3.11, in its own
# virtual environment so that nothing of it reaches SupportDesk's. Idempotent: a stamp file
# records the installed pins, and a second run with the same pins does nothing.
#
# Run: bash bench/helpdesk/setup.sh        (PYTHON=/path/to/python3.11 to choose the interpreter)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3.11}"
# The versions this comparison was measured with; django-helpdesk's own dependencies are
# pinned too, so that a later release of one of them cannot change the figures unnoticed.
pins=(
    "django-helpdesk==2.6.1"
    "Django>=5.2,<5.3"
    "psycopg[binary]==3.3.9"
    "djangorestframework==3.18.3"
    "django-model-utils==5.0.0"
    "django-cleanup==9.0.0"
    "email-reply-parser==0.5.12"
    "Markdown==3.11.3"
    "beautifulsoup4==4.15.0"
    "nh3==0.3.8"
    "requests==2.34.2"
    "requests-oauthlib==2.0.0"
    "oauthlib==4.0.1"
    # The load comparison's server (bench/helpdesk/load.sh): the version SupportDesk's uses.
    "gunicorn==27.0.1"
)
stamp="$venv/.installed"
wanted="$(printf '%s\n' "${pins[@]}")"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    echo "bench/helpdesk/.venv is up to date ($(head -1 "$stamp"))"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
        || { echo "need Python 3.11 (set PYTHON=...)" >&2; exit 1; }
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${pins[@]}"
"$venv/bin/python" -c 'import django, helpdesk, psycopg; print("Django", django.get_version())'
printf '%s\n' "$wanted" >"$stamp"
echo "installed: $("$venv/bin/python" -m pip freeze | grep -i -E "^(django|django-helpdesk|psycopg)==" | tr "\n" " ")"
