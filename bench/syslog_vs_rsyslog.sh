#!/usr/bin/env bash
# syslog_vs_rsyslog.sh — vigil's syslog TCP input against rsyslog receiving the
# same stream into a file on the same machine. The stream: LINES RFC 5424 lines
# (default 1,000,000) made from the corpus' syslog lines (Loghub OpenSSH + Linux
# templates), LF-framed, sent over one TCP connection as fast as possible (bash
# /dev/tcp + cat of a pre-generated file, pinned to CLIENT_CPU). The receivers,
# one after the other, pinned to SERVER_CPU:
#  (a) vigil server --listen-syslog, built-in pack: parse, match, archive,
#      fsync'd commits; done when the alert of the stream's last line (a
#      sentinel `sudo` "user NOT in sudoers" line) is in alerts.ndjson;
#  (b) rsyslogd -n -f CONF: imtcp on a port, omfile to one file
#      (RSYSLOG_TraditionalFileFormat, Debian's default; no fsync); done when
#      the file has every line (wc -l every 50 ms; imtcp may reorder lines).
# Wall time runs from the first byte sent. Reports events/s of each and the
# ratio vigil ÷ rsyslog, CPU s and peak RSS of each receiver.
#
# usage: bench/syslog_vs_rsyslog.sh [LINES]
# Environment: REPEAT=N (median wall time), SERVER_ARGS (extra `vigil server`
# arguments, e.g. "-c FILE"), and those of bench/lib_collect.bash.
# Output: the Markdown report on stdout and in bench/data/syslog-results.md.
set -euo pipefail
# shellcheck source=bench/lib_collect.bash
. "$(dirname "${BASH_SOURCE[0]}")/lib_collect.bash"

LINES=${1:-${LINES:-1000000}}
[[ $LINES =~ ^[0-9]+$ && $LINES -ge 1000 ]] || die "LINES must be an integer >= 1000"
need rsyslogd rsyslog
RSYSLOG_MODDIR=${RSYSLOG_MODDIR:-/usr/lib/x86_64-linux-gnu/rsyslog}

build_all
ensure_corpus
new_run_dir syslog
STREAM_DIR=$RUN
STREAM=$STREAM_DIR/stream.log
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the stream: corpus syslog lines as RFC 5424, cycled to LINES - 1, then the sentinel ---
log "making the stream: $(num "$LINES") RFC 5424 lines"
awk 'BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = i }
NF >= 6 && ($1 in mon) {
	tag = $5; rest = $0
	sub(/^[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ ?/, "", rest)
	app = tag; sub(/:$/, "", app); pid = "-"
	if (match(app, /\[[0-9]+\]$/)) { pid = substr(app, RSTART + 1, RLENGTH - 2); app = substr(app, 1, RSTART - 1) }
	if (app == "") app = "-"
	printf "<38>1 2024-%02d-%02dT%sZ %s %s %s - - %s\n", mon[$1], $2, $3, $4, app, pid, rest
}' "$CORPUS/syslog.log" >"$STREAM_DIR/templates.log"
[[ -s $STREAM_DIR/templates.log ]] || die "no syslog lines converted from $CORPUS/syslog.log"
"$TOOLS/gen_lines" -n $((LINES - 1)) -o "$STREAM" "$STREAM_DIR/templates.log" 2>/dev/null
echo "<85>1 2026-11-21T12:00:00Z benchhost sudo - - - alice : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/true vgbench_end=syslog" >>"$STREAM"
BYTES=$(wc -c <"$STREAM")
cat "$STREAM" >/dev/null # page cache warm

send() { # send PORT: the whole stream over one TCP connection, from CLIENT_CPU
	# shellcheck disable=SC2016 # expanded by the inner bash
	taskset -c "$CLIENT_CPU" bash -c 'exec cat "$1" >"/dev/tcp/127.0.0.1/$2"' _ "$STREAM" "$1"
}

# --- (a) vigil ---
vigil_run() {
	new_run_dir syslog-vigil
	start_server "$RUN/server" "$RUN/server.log" "${SERVER_ARGV[@]}"
	V_RULES=$(sed -n 's/.* \([0-9][0-9]*\) rules loaded.*/\1/p' "$RUN/server.log" | head -1)
	taskset -c "$CLIENT_CPU" "$TOOLS/latency_probe" -e 1 -t 1800 "$RUN/server/alerts.ndjson" >"$RUN/probe.out" &
	local probe=$! c0 t0 t_end received
	PIDS+=("$probe")
	c0=$(cpu_s "$SRV")
	t0=$EPOCHREALTIME
	send "$SYSLOG_PORT" || die "sending to vigil failed"
	wait "$probe" || die "vigil: the sentinel's alert never came (run dir $RUN)"
	forget_pid "$probe"
	t_end=$(kv end_syslog_us "$RUN/probe.out")
	V_CPU+=("$(awk -v a="$(cpu_s "$SRV")" -v b="$c0" 'BEGIN { printf "%.2f", a - b }')")
	V_HWM+=("$(status_kb "$SRV" VmHWM)")
	V_WALL+=("$(awk -v a="$t0" -v b="$t_end" 'BEGIN { printf "%.3f", b / 1e6 - a }')")
	sleep 1.2 # one metrics snapshot period
	received=$(metric 'vigil_events_received_total{input="syslog-tcp"}')
	[[ $received == 0 ]] && received=$(metrics | awk '$1 ~ /^vigil_events_received_total/ { s += $2 } END { print s + 0 }')
	V_RECV=$received
	((received >= LINES)) || log "WARNING: vigil counts $received events of $LINES"
	stop_pid "$SRV"
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$RUN"
}

# --- (b) rsyslog ---
rsyslog_run() {
	new_run_dir syslog-rsyslog
	local port conf=$RUN/rsyslog.conf out=$RUN/out.log pid c0 t0 t_end
	mkdir -p "$RUN/work"
	for _ in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		cat >"$conf" <<EOF
global(workDirectory="$RUN/work")
module(load="$RSYSLOG_MODDIR/imtcp.so")
input(type="imtcp" address="127.0.0.1" port="$port")
action(type="omfile" file="$out" template="RSYSLOG_TraditionalFileFormat")
EOF
		: >"$RUN/rsyslog.err"
		taskset -c "$SERVER_CPU" rsyslogd -n -f "$conf" -i "$RUN/rsyslogd.pid" 2>"$RUN/rsyslog.err" &
		pid=$!
		PIDS+=("$pid")
		for _ in $(seq 1 100); do
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
		stop_pid "$pid" KILL
		pid=
	done
	[[ -n $pid ]] || { cat "$RUN/rsyslog.err" >&2; die "rsyslogd did not start"; }
	sleep 0.3
	: >"$out" # the probe connections above logged nothing, but be sure
	c0=$(cpu_s "$pid")
	t0=$EPOCHREALTIME
	send "$port" || die "sending to rsyslog failed"
	t_end=
	# imtcp's worker threads may reorder lines: done when every line is in the file
	local n=0 last=-1 still=0
	while ((still < 200)); do # gives up after 10 s without progress
		n=$(wc -l <"$out")
		if ((n >= LINES)); then
			t_end=$EPOCHREALTIME
			break
		fi
		if ((n == last)); then still=$((still + 1)); else still=0; fi
		last=$n
		sleep 0.05
	done
	[[ -n $t_end ]] || die "rsyslog: only $n of $LINES lines arrived (run dir $RUN)"
	R_CPU+=("$(awk -v a="$(cpu_s "$pid")" -v b="$c0" 'BEGIN { printf "%.2f", a - b }')")
	R_HWM+=("$(status_kb "$pid" VmHWM)")
	R_WALL+=("$(awk -v a="$t0" -v b="$t_end" 'BEGIN { printf "%.3f", b - a }')")
	R_LINES=$(wc -l <"$out")
	((R_LINES >= LINES)) || log "WARNING: rsyslog wrote $R_LINES lines of $LINES"
	R_VER=$(rsyslogd -v 2>/dev/null | head -1 | awk '{ print $2 }')
	stop_pid "$pid"
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$RUN"
}

V_CPU=() V_HWM=() V_WALL=() R_CPU=() R_HWM=() R_WALL=()
for ((r = 0; r < REPEAT; r++)); do
	log "vigil run $((r + 1))/$REPEAT"
	vigil_run
	log "rsyslog run $((r + 1))/$REPEAT"
	rsyslog_run
done
med() { printf '%s\n' "$@" | median; }
vw=$(med "${V_WALL[@]}") rw=$(med "${R_WALL[@]}")
veps=$(div "$LINES" "$vw" %.0f) reps=$(div "$LINES" "$rw" %.0f)
ratio=$(div "$veps" "$reps" %.2f)

report() {
	cat <<EOF
# vigil syslog TCP input vs rsyslog — $(num "$LINES") lines

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(version_line); rsyslogd ${R_VER:-?}
- machine: $(machine_line); load average before: $load_before
- stream: $(num "$LINES") RFC 5424 lines, $(div "$BYTES" 1e6 %.1f) MB, LF framing, one TCP connection on loopback (cat of a pre-generated file, CPU $CLIENT_CPU); receivers pinned to CPU $SERVER_CPU, one after the other; REPEAT=$REPEAT (medians)

| receiver | what it does per line | wall s | events/s | CPU s | peak RSS MB | lines stored |
|---|---|--:|--:|--:|--:|--:|
| vigil server --listen-syslog (built-in pack${SERVER_ARGS:+, $SERVER_ARGS}) | parse, normalise, ${V_RULES:-?} rules + correlation, archive (zstd), fsync'd commits (ingest.sync_interval / sync_events) | $vw | $(num "$veps") | $(med "${V_CPU[@]}") | $(div "$(med "${V_HWM[@]}")" 1024 %.1f) | $(num "$V_RECV") |
| rsyslogd imtcp -> omfile | parse the header, format, append to a file (no fsync) | $rw | $(num "$reps") | $(med "${R_CPU[@]}") | $(div "$(med "${R_HWM[@]}")" 1024 %.1f) | $(num "$R_LINES") |

**Ratio vigil ÷ rsyslog (events/s): ${ratio}**

Reproduce (from $ROOT):

\`\`\`sh
${SERVER_ARGS:+SERVER_ARGS="$SERVER_ARGS" }REPEAT=$REPEAT CORPUS_MB=$CORPUS_MB ${RUN_ROOT:+RUN_ROOT=$RUN_ROOT }bench/syslog_vs_rsyslog.sh $LINES
\`\`\`
EOF
}
report | tee "$DATA/syslog-results.md"
