#!/usr/bin/env bash
# make serve: action server (5055) and Rasa server (5005, REST channel) in the foreground;
# Ctrl-C stops both and waits until their ports are free again.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

.venv/bin/python -m actions.store init
pids=()
stop() {
    trap - INT TERM EXIT
    echo "Stopping..."
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

SANIC_HOST=127.0.0.1 .venv/bin/rasa run actions --actions actions --port 5055 > var/actions.log 2>&1 &
pids+=($!)
.venv/bin/rasa run --model models/assistant.tar.gz --endpoints endpoints.yml --credentials credentials.yml \
    --interface 127.0.0.1 --port 5005 > var/rasa.log 2>&1 &
pids+=($!)

echo "Loading the model (about 30 s). Logs: var/actions.log, var/rasa.log"
until curl -sf http://127.0.0.1:5005/ > /dev/null; do
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || { echo "a server exited; see var/*.log" >&2; exit 1; }
    done
    sleep 1
done
echo "Ready: POST http://127.0.0.1:5005/webhooks/rest/webhook  {\"sender\": \"me\", \"message\": \"你好\"}"
echo "Press Ctrl-C to stop."
wait -n "${pids[@]}"
