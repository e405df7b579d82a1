#!/usr/bin/env bash
# make shell: the action server in the background, `rasa shell` in the foreground.
# Leaving the shell (/stop, Ctrl-C, closing the terminal) stops the action server too.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

source scripts/common.sh
require_free_ports 5005 5055

.venv/bin/python -m actions.store init
SANIC_HOST=127.0.0.1 "${with_parent[@]}" .venv/bin/rasa run actions --actions actions --port 5055 > var/actions.log 2>&1 &
actions_pid=$!
stop_actions() {
    trap - EXIT INT TERM HUP
    kill "$actions_pid" 2>/dev/null || true
    wait "$actions_pid" 2>/dev/null || true
}
# bash runs no EXIT trap when a signal kills it, so the signals are trapped too. Ctrl-C
# reaches rasa shell directly; a closed terminal (HUP) or TERM must stop it here.
trap stop_actions EXIT
trap 'stop_actions; exit 130' INT
trap 'stop_actions; kill -TERM 0 2>/dev/null; exit 143' TERM HUP

for _ in $(seq 1 120); do
    curl -sf http://127.0.0.1:5055/health > /dev/null && break
    kill -0 "$actions_pid" 2>/dev/null || { echo "The action server failed to start; see var/actions.log" >&2; exit 1; }
    sleep 0.5
done
echo "Loading the model (about 30 s). Server logs go to var/shell.log and var/actions.log."
echo "When the bot shows buttons, pick one with the arrow keys and Enter, or choose"
echo "\"Type out your own message...\". Type /stop to leave."
status=0
"${with_parent[@]}" .venv/bin/rasa shell --quiet --model models/assistant.tar.gz --endpoints endpoints.yml \
    --credentials credentials.yml 2> var/shell.log || status=$?
if [ "$status" -ne 0 ]; then
    echo "rasa shell stopped with status $status; the end of var/shell.log:" >&2
    tail -n 20 var/shell.log >&2
fi
exit "$status"
