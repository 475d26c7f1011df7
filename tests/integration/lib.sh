# lib.sh - helpers for integration tests (sourced, not run).
# Starts infbench's built-in server on an ephemeral loopback port and
# cleans up on exit. Env: INFBENCH (binary under test).
: "${INFBENCH:=./infbench}"
TMP=$(mktemp -d)
SERVER_PIDS=""
cleanup() {
	for p in $SERVER_PIDS; do kill "$p" 2>/dev/null; done
	for p in $SERVER_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# start_server NAME ARGS... : runs `infbench serve ARGS --port 0
# --port-file`, sets PORT_<NAME> and URL_<NAME>.
start_server() {
	name=$1; shift
	pf="$TMP/$name.port"
	"$INFBENCH" serve "$@" --host 127.0.0.1 --port 0 --port-file "$pf" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" &
	SERVER_PIDS="$SERVER_PIDS $!"
	i=0
	while [ ! -s "$pf" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && { cat "$TMP/$name.err" >&2; fail "server $name did not start"; }
		sleep 0.05
	done
	port=$(cat "$pf")
	eval "PORT_$name=$port"
	eval "URL_$name=http://127.0.0.1:$port"
}

# json_get FILE FILTER: one value via jq (installed by scripts/deps.sh).
json_get() {
	jq -r "$2" "$1"
}
