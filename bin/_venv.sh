# Sourced by bin/serve and bin/test: makes .venv with Python 3.11 and installs the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python_bin=${PYTHON:-}
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python_bin=$candidate; break; fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi
extras=${1:-}
stamp=.venv/.installed${extras:+-$extras}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "Installing dependencies${extras:+ ($extras)} …"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
