#!/usr/bin/env bash
# agent_rss.sh — the agent's memory while shipping a steady stream: a generator
# (bench/gen_lines.c) appends RATE lines/s (default 10,000) for SECS s (default
# 60) to the file one agent tails; the agent ships them to a server over mutual
# TLS (durable queue on). VmRSS of the agent is sampled every second; reported:
# the largest sample, VmHWM (the kernel's peak), and the steady state (median of
# the samples of the second half). Issue target: RSS < 16 MB at 10,000 events/s.
#
# usage: bench/agent_rss.sh [RATE [SECS]]
# Environment: REPEAT=N (medians of the figures), and those of
# bench/lib_collect.bash (BUILD, SKIP_BUILD, VG_CORPUS, CORPUS_MB, SERVER_CPU,
# CLIENT_CPU, KEEP). The server runs vigil's built-in pack.
# Output: the Markdown report on stdout and in bench/data/agent-rss-results.md;
# the samples of the last run in bench/data/agent-rss-samples.tsv.
set -euo pipefail
# shellcheck source=bench/lib_collect.bash
. "$(dirname "${BASH_SOURCE[0]}")/lib_collect.bash"

RATE=${1:-${RATE:-10000}}
SECS=${2:-${SECS:-60}}
[[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 ]] || die "RATE must be a positive integer"
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 4 ]] || die "SECS must be an integer >= 4"

build_all
ensure_corpus
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
RESULT=()

one_run() {
	local samples=() i rss gen hwm cpu received written max steady
	new_run_dir agent-rss
	log "agent RSS: $(num "$RATE") lines/s for $SECS s; run dir $RUN"
	start_server "$RUN/server" "$RUN/server.log"
	enroll_agent "$RUN/server" "$RUN/agent" bench-rss
	mkdir -p "$RUN/in"
	: >"$RUN/in/app.log"
	start_agent "$RUN/agent" bench-rss "$RUN/agent.log" --tail "$RUN/in/*.log"
	local agent=$AGENT_PID
	for _ in $(seq 1 100); do grep -q "connected to" "$RUN/agent.log" && break; sleep 0.05; done
	taskset -c "$CLIENT_CPU" "$TOOLS/gen_lines" -r "$RATE" -d "$SECS" -o "$RUN/in/app.log" "${CORPUS_FILES[@]}" \
		2>"$RUN/gen.log" &
	gen=$!
	PIDS+=("$gen")
	: >"$DATA/agent-rss-samples.tsv"
	for ((i = 1; i <= SECS; i++)); do
		sleep 1
		rss=$(status_kb "$agent" VmRSS)
		samples+=("$rss")
		printf '%d\t%s\n' "$i" "$rss" >>"$DATA/agent-rss-samples.tsv"
	done
	wait "$gen" || die "the generator failed: $(cat "$RUN/gen.log")"
	forget_pid "$gen"
	GEN_SAID=$(cat "$RUN/gen.log")
	written=$(wc -l <"$RUN/in/app.log")
	# until the server holds every line (at most 30 s)
	for _ in $(seq 1 60); do
		received=$(metric 'vigil_events_received_total{input="agent"}')
		((received >= written)) && break
		sleep 0.5
	done
	hwm=$(status_kb "$agent" VmHWM)
	cpu=$(cpu_s "$agent")
	max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
	steady=$(printf '%s\n' "${samples[@]:SECS/2}" | median)
	stop_pid "$agent"
	stop_pid "$SRV"
	((received >= written)) || log "WARNING: the server holds $received of $written lines"
	RESULT+=("$max $steady $hwm $cpu $written $received")
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$RUN"
}

for ((r = 0; r < REPEAT; r++)); do one_run; done
col() { printf '%s\n' "${RESULT[@]}" | awk -v c="$1" '{ print $c }' | median; }
max_mb=$(div "$(col 1)" 1024 %.1f)
steady_mb=$(div "$(col 2)" 1024 %.1f)
hwm_mb=$(div "$(col 3)" 1024 %.1f)
worst=$(awk -v a="$max_mb" -v b="$hwm_mb" 'BEGIN { print (a > b ? a : b) }')
verdict=$(awk -v v="$worst" 'BEGIN { print (v + 0 < 16 ? "**met**" : "**not met**") }')

report() {
	cat <<EOF
# vigil agent memory while shipping — $(num "$RATE") lines/s for $SECS s

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(version_line)
- machine: $(machine_line); load average before: $load_before
- server (built-in pack) pinned to CPU $SERVER_CPU, agent and generator to CPU $CLIENT_CPU; loopback, mutual TLS, durable queue
- generator (last run): $GEN_SAID; REPEAT=$REPEAT (medians)

| lines/s | seconds | lines written | lines the server holds | agent RSS max of 1 s samples MB | steady state MB (median, 2nd half) | VmHWM MB | agent CPU s | CPU % of a core |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|
| $(num "$RATE") | $SECS | $(num "$(col 5)") | $(num "$(col 6)") | $max_mb | $steady_mb | $hwm_mb | $(col 4) | $(awk -v c="$(col 4)" -v s="$SECS" 'BEGIN { printf "%.1f", c / s * 100 }')% |

Target (from the issue): agent RSS < 16 MB while shipping 10,000 events/s: ${worst} MB (the larger of the max sample and VmHWM), $verdict.

Reproduce (from $ROOT):

\`\`\`sh
REPEAT=$REPEAT CORPUS_MB=$CORPUS_MB ${RUN_ROOT:+RUN_ROOT=$RUN_ROOT }bench/agent_rss.sh $RATE $SECS
\`\`\`
EOF
}
report | tee "$DATA/agent-rss-results.md"
