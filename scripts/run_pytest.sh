#!/usr/bin/env bash
# pytest, where "no tests collected" (exit 5) is a failure: it means the suite is gone.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "error: pytest collected no tests from: $*" >&2
fi
exit "$status"
