#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 needs >=3.8,<3.11) from the pinned lock file.
# A venv is only marked usable after every package installed, so an interrupted run
# is rebuilt from scratch next time instead of being half there.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
    local candidate
    for candidate in "${PYTHON310:-}" python3.10 \
        "$(command -v pyenv >/dev/null && pyenv root)"/versions/3.10*/bin/python3.10 \
        "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
        [ -n "$candidate" ] || continue
        if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

python=$(find_python310) || {
    echo "error: Python 3.10 not found (Rasa 3.6 does not run on 3.11+). Install it, or set PYTHON310=/path/to/python3.10" >&2
    exit 1
}
echo "Creating .venv with $python ($("$python" --version))"
rm -rf .venv
"$python" -m venv .venv
pip_install() {
    # This machine's pip config lists index folders that may not exist: drop that noise.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
        | { grep -v "Location '.*' is ignored" || true; }
}
pip_install --upgrade pip==24.0 setuptools==70.3.0
pip_install -r requirements.txt
touch .venv/.installed
echo "Installed $(wc -l < requirements.txt) pinned packages into .venv"
