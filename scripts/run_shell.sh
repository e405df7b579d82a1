#!/usr/bin/env bash
# make shell: the action server in the background, `rasa shell` in the foreground.
# Leaving the shell (Ctrl-C, /stop, Ctrl-D) stops the action server too.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

.venv/bin/python -m actions.store init
SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port 5055 > var/actions.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null; wait "$actions_pid" 2>/dev/null' EXIT

for _ in $(seq 1 60); do
    curl -sf http://127.0.0.1:5055/health > /dev/null && break
    kill -0 "$actions_pid" 2>/dev/null || { echo "action server failed, see var/actions.log" >&2; exit 1; }
    sleep 0.5
done
echo "Action server ready (log: var/actions.log). Loading the model, this takes ~30 s..."
.venv/bin/rasa shell --model models/assistant.tar.gz --endpoints endpoints.yml --credentials credentials.yml
