# server.bash — helpers for integration tests that run `vigil server` and
# `vigil agent` on loopback. Source it after setting VIGIL and T (a temp dir).
#   start_server DIR [ARGS...]  start on random free ports (retries); sets
#                               SRV (pid), SRV_DIR, SYSLOG_PORT, AGENT_PORT,
#                               API_PORT; with WITH_SYSLOG_TLS=1 also
#                               --listen-syslog-tls on SYSLOG_TLS_PORT
#   wait_server_up LOG          wait until the server says it is listening
#   stop_server [SIGNAL]        signal (default TERM) and wait; the exit status
#                               in SRV_RC, the moved log's path in STOPPED_LOG
#   start_agent DIR NAME [ARGS...]  sets AGENT_PID (log in $T/agent-NAME.log)
#   archived_count DIR PATTERN  lines of `vigil events export` matching PATTERN
#   wait_for_count DIR PATTERN N TIMEOUT_S   until archived_count >= N
#   wait_log FILE PATTERN TIMEOUT_S      until FILE has a line matching PATTERN
#   metrics                     GET /metrics (the server's CA verified)
#   metric SERIES               its value ("" if absent), e.g.
#                               metric 'vigil_events_received_total{input="agent"}'
#   wait_metric SERIES OP N TIMEOUT_S    until the value satisfies OP (-ge, -eq...)
#   metric_settles SERIES N     until it reaches N, then after a further
#                               refresh (metrics lag ~1 s) it is still exactly N

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
		grep -qs "listening for syslog" "$1" && return 0
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
			SYSLOG_TLS_PORT=$((base + 3))
		fi
		local tls=()
		[ -n "${WITH_SYSLOG_TLS:-}" ] && tls=(--listen-syslog-tls "127.0.0.1:$SYSLOG_TLS_PORT")
		"$VIGIL" server --data "$dir" --listen-syslog "127.0.0.1:$SYSLOG_PORT" \
			--listen-agents "127.0.0.1:$AGENT_PORT" --listen-api "127.0.0.1:$API_PORT" ${tls[@]+"${tls[@]}"} "$@" \
			2>>"$log" &
		SRV=$!
		SRV_DIR=$dir
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
	SRV_RC=0
	wait "$SRV" 2>/dev/null || SRV_RC=$?
	SRV=
	# the next start must not find the old log's "listening" line
	STOPPED_LOG=$T/server.log.$RANDOM
	[ -f "$T/server.log" ] && mv "$T/server.log" "$STOPPED_LOG"
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
	"$VIGIL" events export --data "$1" 2>/dev/null | grep -ac -- "$2" || true
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

wait_log() { # FILE PATTERN TIMEOUT_S
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -q -- "$2" "$1" 2>/dev/null
}

metrics() {
	curl -sS --fail --max-time 10 --cacert "$SRV_DIR/pki/ca.crt" "https://127.0.0.1:$API_PORT/metrics"
}

metric() { # SERIES: its value, "" when absent (or the scrape failed)
	metrics 2>/dev/null | awk -v s="$1" '$1 == s { print $2; exit }' || true
}

wait_metric() { # SERIES OP N TIMEOUT_S
	local end=$((SECONDS + $4)) v=
	while :; do
		v=$(metric "$1")
		[ -n "$v" ] && [ "${v%.*}" "$2" "$3" ] && return 0
		[ $SECONDS -ge $end ] && break
		sleep 0.2
	done
	echo "$1 is ${v:-absent}, wanted $2 $3"
	return 1
}

metric_settles() { # SERIES N: reaches N within 15 s and stays N after another refresh
	wait_metric "$1" -ge "$2" 15 || return 1
	sleep 1.2
	local v
	v=$(metric "$1")
	[ "${v%.*}" = "$2" ] && return 0
	echo "$1 is $v, wanted exactly $2"
	return 1
}
