# Shared by run_servers.sh and run_shell.sh (sourced, not run).

# Exit with a clear message when one of the given loopback ports is taken.
require_free_ports() {
    local port
    for port in "$@"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "Port $port is already in use (is \`make serve\` or \`make shell\` running elsewhere?)." >&2
            exit 1
        fi
    done
}

# Prefix for server commands: they get SIGTERM when the calling script dies, however it
# dies (a closed terminal does not always deliver SIGHUP to them).
with_parent=()
if command -v setpriv > /dev/null; then
    with_parent=(setpriv --pdeathsig TERM)
fi
