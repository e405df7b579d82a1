#!/usr/bin/env bash
# make serve: the action server (5055), the Rasa server (5005: REST and socketio, HTTP API
# with a token) and, on 8080, the mall page with the chat widget and the agent console
# (/agent). Ctrl-C stops all three and waits for them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

source scripts/common.sh
require_free_ports 5005 5055 8080
pids=()
stop() {
    trap - INT TERM HUP EXIT
    echo "Stopping..."
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Rasa's HTTP API (used by the agent console) is never on without a token.
RASA_TOKEN=${RASA_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
if [ -z "${AGENT_SECRET:-}" ]; then
    AGENT_SECRET=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(9))')
    generated_secret=1
fi
export RASA_TOKEN AGENT_SECRET

.venv/bin/python -m actions.store init
SANIC_HOST=127.0.0.1 "${with_parent[@]}" .venv/bin/rasa run actions --actions actions --port 5055 \
    > var/actions.log 2>&1 &
pids+=($!)
# CORS admits the page's origins only (the socket.io handshake needs it).
"${with_parent[@]}" .venv/bin/rasa run --model models/assistant.tar.gz --endpoints endpoints.yml \
    --credentials credentials.yml --interface 127.0.0.1 --port 5005 \
    --cors "http://localhost:8080" "http://127.0.0.1:8080" \
    --enable-api --auth-token "$RASA_TOKEN" > var/rasa.log 2>&1 &
pids+=($!)
"${with_parent[@]}" .venv/bin/python -m webapp --port 8080 --rasa-port 5005 > var/web.log 2>&1 &
pids+=($!)

echo "Loading the model (about 30 s). Logs: var/actions.log, var/rasa.log, var/web.log"
until curl -sf http://127.0.0.1:5005/ > /dev/null; do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "A server exited; see var/*.log" >&2; exit 1; }
    done
    sleep 1
done
echo "Ready: open http://localhost:8080 (Ctrl-C stops everything)."
echo "Agent console: http://localhost:8080/agent"
if [ -n "${generated_secret:-}" ]; then
    echo "  sign-in secret for this run: $AGENT_SECRET (set AGENT_SECRET to choose your own)"
fi
wait -n "${pids[@]}" || true
echo "A server exited; see var/*.log" >&2
