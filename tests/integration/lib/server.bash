# server.bash — helpers for integration tests that run `vigil server` and
# `vigil agent` on loopback. Source it after setting VIGIL and T (a temp dir).
#   start_server DIR [ARGS...]  start on random free ports (retries); sets
#                               SRV (pid), SYSLOG_PORT, AGENT_PORT, API_PORT
#   wait_server_up LOG          wait until the server says it is listening
#   stop_server [SIGNAL]        signal (default TERM) and wait
#   start_agent DIR NAME [ARGS...]  sets AGENT_PID (log in $T/agent-NAME.log)
#   archived_count DIR PATTERN  lines of `vigil events export` matching PATTERN
#   wait_for_count DIR PATTERN N TIMEOUT_S   until archived_count >= N

SRV=
AGENT_PID=
fails=${fails:-0}
pass=${pass:-0}

check() { # check NAME COMMAND...
	local name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else
		echo "FAIL: $name"
		fails=$((fails + 1))
	fi
}

wait_server_up() { # LOG PID
	local i
	for i in $(seq 1 200); do
		grep -q "listening for syslog" "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_server DIR [ARGS...]: reuses SYSLOG_PORT/AGENT_PORT/API_PORT if set
# (a restart), else picks random ones.
start_server() {
	local dir=$1
	shift
	local try log=$T/server.log
	for try in $(seq 1 20); do
		if [ -z "${KEEP_PORTS:-}" ]; then
			local base=$((20000 + RANDOM % 40000))
			SYSLOG_PORT=$base
			AGENT_PORT=$((base + 1))
			API_PORT=$((base + 2))
		fi
		"$VIGIL" server --data "$dir" --listen-syslog "127.0.0.1:$SYSLOG_PORT" \
			--listen-agents "127.0.0.1:$AGENT_PORT" --listen-api "127.0.0.1:$API_PORT" "$@" \
			2>>"$log" &
		SRV=$!
		if wait_server_up "$log" "$SRV"; then
			KEEP_PORTS=1
			return 0
		fi
		wait "$SRV" 2>/dev/null || true
		SRV=
		if [ -n "${KEEP_PORTS:-}" ]; then sleep 0.2; fi # restart: the old socket may linger
	done
	echo "FAIL: server did not start"
	tail -20 "$log"
	return 1
}

stop_server() {
	[ -n "$SRV" ] || return 0
	kill -"${1:-TERM}" "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
	# the next start must not find the old log's "listening" line
	[ -f "$T/server.log" ] && mv "$T/server.log" "$T/server.log.$RANDOM"
	return 0
}

start_agent() { # DIR NAME ARGS...
	local dir=$1 name=$2
	shift 2
	"$VIGIL" agent --server "127.0.0.1:$AGENT_PORT" --data "$dir" --hostname "$name" "$@" \
		2>>"$T/agent-$name.log" &
	AGENT_PID=$!
}

archived_count() { # DIR PATTERN
	"$VIGIL" events export --data "$1" 2>/dev/null | grep -c -- "$2" || true
}

wait_for_count() { # DIR PATTERN N TIMEOUT_S
	local end=$((SECONDS + $4)) n=0
	while [ $SECONDS -lt $end ]; do
		n=$(archived_count "$1" "$2")
		[ "$n" -ge "$3" ] && return 0
		sleep 1
	done
	echo "only $n of $3 archived after $4 s"
	return 1
}
