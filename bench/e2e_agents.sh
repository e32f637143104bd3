#!/usr/bin/env bash
# e2e_agents.sh — collection end to end on loopback: agent(s) -> server over
# mutual TLS with durability on (the agent's disk queue; the server acks after
# its fsync'd commit). Two measurements:
#  1. throughput: LINES lines (realistic: Loghub templates + access logs with
#     ~1.5% attacks, bench/make_corpus.sh) split over 1 or 2 agents, each
#     tailing its file from the start; the server (one core, SERVER_CPU) runs
#     SigmaHQ linux + web + network and vigil's pack (bench/run.sh's selection).
#     Each file ends with a sentinel SQL-injection line; the run ends when the
#     last sentinel's alert appears in DIR/alerts.ndjson (commits are in order,
#     so every earlier line is stored). Reports events/s, CPU s per million
#     events on each side (/proc/PID/stat), peak RSS (VmHWM) of both.
#  2. latency: a generator appends lines at LAT_RATE lines/s for LAT_SECS s to
#     the file one agent tails; every LAT_EVERY-th line is an SQL-injection line
#     carrying its write time; bench/latency_probe.c follows alerts.ndjson and
#     takes now - write time at each marker's alert: p50/p90/p99/max.
#
# usage: bench/e2e_agents.sh [LINES]        (default 2000000)
# Environment (all optional):
#   AGENTS="1 2"     agent counts to measure (each splits LINES evenly)
#   REPEAT=N         runs per agent count; medians reported (default 1)
#   LAT_RATE=50000 LAT_SECS=40 LAT_EVERY=1000 LAT_WARMUP=5   the latency run
#   SKIP_THROUGHPUT=1 / SKIP_LATENCY=1
#   SERVER_ARGS="-c FILE"  extra `vigil server` arguments (e.g. ingest.sync_events)
#   PERF=1           perf record the server (DWARF call graphs) during the first
#                    throughput run with one agent; top functions in the report
#   plus those of bench/lib_collect.bash: BUILD, SKIP_BUILD, VG_CORPUS, CORPUS_MB,
#   SERVER_CPU, CLIENT_CPU, KEEP
# Output: the Markdown report on stdout and in bench/data/e2e-results.md.
set -euo pipefail
# shellcheck source=bench/lib_collect.bash
. "$(dirname "${BASH_SOURCE[0]}")/lib_collect.bash"

LINES=${1:-${LINES:-2000000}}
AGENTS=${AGENTS:-"1 2"}
LAT_RATE=${LAT_RATE:-50000}
LAT_SECS=${LAT_SECS:-40}
LAT_EVERY=${LAT_EVERY:-1000}
LAT_WARMUP=${LAT_WARMUP:-5}
[[ $LINES =~ ^[0-9]+$ && $LINES -ge 1000 ]] || die "LINES must be an integer >= 1000"
for v in LAT_RATE LAT_SECS LAT_EVERY LAT_WARMUP; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
done
((LAT_WARMUP < LAT_SECS)) || die "LAT_WARMUP must be below LAT_SECS"

build_all
ensure_corpus
sigma_rules
ROWS=()
PERF_TOP=
RULES_LINE=
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# throughput_run NAGENTS: one run; appends "wall ev/s srv_cpu ag_cpu srv_hwm ag_hwm alerts received" to RESULT
throughput_run() {
	local na=$1 k per tags=() t0 t_end srv_c0 ag_c=0 ag_hwm=0 c h received alerts perf_pid=
	new_run_dir "e2e-$na"
	log "throughput: $(num "$LINES") lines, $na agent(s), run dir $RUN"
	start_server "$RUN/server" "$RUN/server.log" "${SIGMA_RULES[@]}" "${SERVER_ARGV[@]}"
	RULES_LINE=$(grep -o '[0-9]* rules loaded, [0-9]* rejected' "$RUN/server.log" | head -1)
	per=$((LINES / na))
	local apids=()
	for ((k = 1; k <= na; k++)); do
		enroll_agent "$RUN/server" "$RUN/agent-$k" "bench-$k"
		local n=$per
		((k == na)) && n=$((LINES - per * (na - 1)))
		mkdir -p "$RUN/in-$k"
		# the three corpus files interleaved in proportion, in a different order per agent
		local files=("${CORPUS_FILES[@]:k-1}" "${CORPUS_FILES[@]:0:k-1}")
		"$TOOLS/gen_lines" -n "$n" -e "a$k" -o "$RUN/in-$k/app.log" "${files[@]}" 2>>"$RUN/gen.log"
		tags+=("a$k")
	done
	cat "$RUN"/in-*/app.log >/dev/null # page cache warm
	# the probe: exits when every sentinel's alert is in alerts.ndjson
	taskset -c "$CLIENT_CPU" "$TOOLS/latency_probe" -e "$na" -t 1800 "$RUN/server/alerts.ndjson" >"$RUN/probe.out" &
	local probe=$!
	PIDS+=("$probe")
	srv_c0=$(cpu_s "$SRV")
	if [[ ${PERF:-0} == 1 && $na == 1 && -z $PERF_TOP ]] && command -v perf >/dev/null; then
		perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -p "$SRV" -o "$RUN/perf.data" \
			>/dev/null 2>"$RUN/perf-record.err" &
		perf_pid=$!
		PIDS+=("$perf_pid")
		sleep 1
	fi
	t0=$EPOCHREALTIME
	for ((k = 1; k <= na; k++)); do
		start_agent "$RUN/agent-$k" "bench-$k" "$RUN/agent-$k.log" --tail "$RUN/in-$k/*.log"
		apids+=("$AGENT_PID")
	done
	wait "$probe" || { tail -5 "$RUN"/agent-*.log "$RUN/server.log" >&2; die "not every sentinel arrived (run dir $RUN)"; }
	forget_pid "$probe"
	t_end=$(sed -n 's/^end_.*_us=//p' "$RUN/probe.out" | sort -n | tail -1)
	c=$(cpu_s "$SRV")
	local srv_cpu srv_hwm wall
	srv_cpu=$(awk -v a="$c" -v b="$srv_c0" 'BEGIN { printf "%.2f", a - b }')
	srv_hwm=$(status_kb "$SRV" VmHWM)
	for k in "${apids[@]}"; do
		c=$(cpu_s "$k")
		h=$(status_kb "$k" VmHWM)
		ag_c=$(awk -v a="$ag_c" -v b="$c" 'BEGIN { printf "%.2f", a + b }')
		((h > ag_hwm)) && ag_hwm=$h
	done
	if [[ -n $perf_pid ]]; then
		stop_pid "$perf_pid" INT
		{
			echo "# self time (server process, cpu-clock)"
			perf report -i "$RUN/perf.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 1 2>/dev/null |
				grep -E '^ +[0-9]' | awk '{ $NF = ""; $(NF - 1) = ""; print }' | head -25
			echo "# inclusive (children), named symbols only"
			perf report -i "$RUN/perf.data" --stdio --children --sort symbol -g none --percent-limit 3 2>/dev/null |
				grep -E '^ +[0-9]' | grep -v '\] 0x' | awk '{ $NF = ""; $(NF - 1) = ""; print }' | head -30
		} >"$DATA/e2e-perf-top.txt" || true
		PERF_TOP=$DATA/e2e-perf-top.txt
	fi
	wall=$(awk -v a="$t0" -v b="$t_end" 'BEGIN { printf "%.3f", b / 1e6 - a }')
	sleep 1.2 # one metrics snapshot period: the counters are copied once a second
	received=$(metric 'vigil_events_received_total{input="agent"}')
	alerts=$(metric vigil_alerts_total)
	((received >= LINES)) || log "WARNING: the server counts $received events, fewer than the $LINES lines written"
	for k in "${apids[@]}"; do stop_pid "$k"; done
	stop_pid "$SRV"
	RESULT+=("$wall $(div "$LINES" "$wall" %.0f) $srv_cpu $ag_c $srv_hwm $ag_hwm $alerts $received")
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$RUN"
}

col() { printf '%s\n' "${RESULT[@]}" | awk -v c="$1" '{ print $c }' | median; }

if [[ ${SKIP_THROUGHPUT:-0} != 1 ]]; then
	for na in $AGENTS; do
		[[ $na =~ ^[12]$ ]] || die "AGENTS: 1 or 2 agents per run"
		RESULT=()
		for ((i = 0; i < REPEAT; i++)); do throughput_run "$na"; done
		wall=$(col 1) eps=$(col 2) scpu=$(col 3) acpu=$(col 4)
		ROWS+=("| $na | $(num "$LINES") | $wall | **$(num "$eps")** | $scpu | $(div "$scpu" "$(div "$LINES" 1e6 %.6f)") | $acpu | $(div "$acpu" "$(div "$LINES" 1e6 %.6f)") | $(div "$(col 5)" 1024 %.1f) | $(div "$(col 6)" 1024 %.1f) | $(num "$(col 7)") |")
		[[ $na == 1 ]] && EPS1=$eps
	done
fi

# --- latency at a steady rate ---
LAT=
if [[ ${SKIP_LATENCY:-0} != 1 ]]; then
	new_run_dir e2e-lat
	log "latency: $(num "$LAT_RATE") lines/s for $LAT_SECS s, a marker every $LAT_EVERY lines; run dir $RUN"
	start_server "$RUN/server" "$RUN/server.log" "${SIGMA_RULES[@]}" "${SERVER_ARGV[@]}"
	RULES_LINE=$(grep -o '[0-9]* rules loaded, [0-9]* rejected' "$RUN/server.log" | head -1)
	enroll_agent "$RUN/server" "$RUN/agent" bench-lat
	mkdir -p "$RUN/in"
	: >"$RUN/in/app.log"
	start_agent "$RUN/agent" bench-lat "$RUN/agent.log" --tail "$RUN/in/*.log"
	lat_agent=$AGENT_PID
	for _ in $(seq 1 100); do grep -q "connected to" "$RUN/agent.log" && break; sleep 0.05; done
	taskset -c "$CLIENT_CPU" "$TOOLS/latency_probe" -d $((LAT_SECS + 5)) -w "$LAT_WARMUP" \
		"$RUN/server/alerts.ndjson" >"$RUN/probe.out" &
	probe=$!
	PIDS+=("$probe")
	sc0=$(cpu_s "$SRV")
	taskset -c "$CLIENT_CPU" "$TOOLS/gen_lines" -r "$LAT_RATE" -d "$LAT_SECS" -m "$LAT_EVERY" -o "$RUN/in/app.log" \
		"${CORPUS_FILES[@]}" 2>"$RUN/gen.log"
	gen_said=$(cat "$RUN/gen.log")
	wait "$probe" || true
	forget_pid "$probe"
	sc1=$(cpu_s "$SRV")
	lat_srv_cpu=$(awk -v a="$sc1" -v b="$sc0" -v s="$LAT_SECS" 'BEGIN { printf "%.0f", (a - b) / (s + 5) * 100 }')
	lat_agent_cpu=$(awk -v a="$(cpu_s "$lat_agent")" -v s="$LAT_SECS" 'BEGIN { printf "%.0f", a / (s + 5) * 100 }')
	lat_agent_rss=$(div "$(status_kb "$lat_agent" VmHWM)" 1024 %.1f)
	expected=$(((LAT_SECS - LAT_WARMUP) * LAT_RATE / LAT_EVERY))
	P=$RUN/probe.out
	LAT="| $(num "$LAT_RATE") | $LAT_SECS s ($LAT_WARMUP s warm-up) | $(kv markers "$P") of ~$(num "$expected") | $(kv p50_ms "$P") | $(kv p90_ms "$P") | **$(kv p99_ms "$P")** | $(kv max_ms "$P") | ${lat_srv_cpu}% | ${lat_agent_cpu}% / $lat_agent_rss MB |"
	P99=$(kv p99_ms "$P")
	stop_pid "$lat_agent"
	stop_pid "$SRV"
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$RUN"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "" || v == "n/a") print "n/a"; else if ((op == ">=" && v + 0 >= t) || (op == "<" && v + 0 < t && v + 0 >= 0)) print "**met**"; else print "**not met**" }'; }

report() {
	cat <<EOF
# vigil collection benchmark — agent -> server (mutual TLS, durable)

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); $(version_line)
- machine: $(machine_line); load average before/after: $load_before / $load_after
- data dirs under ${RUN_ROOT:-bench/data}; server: \`vigil server\` defaults${SERVER_ARGS:+ and \`$SERVER_ARGS\`}, pinned to CPU $SERVER_CPU (taskset), agents, generator and probe to CPU $CLIENT_CPU; loopback
- rules: SigmaHQ linux + web + network and vigil's pack (rules/): ${RULES_LINE:-?}
- lines: bench/gen_lines.c cycling the ${CORPUS_MB} MiB corpus of bench/make_corpus.sh (syslog, access with ~1.5% attacks, Apache error, interleaved in proportion); REPEAT=$REPEAT (medians)
EOF
	if ((${#ROWS[@]} > 0)); then
		cat <<EOF

Throughput: each agent tails its own file from the start; wall time from the agents' start to the
last sentinel's alert in alerts.ndjson (every line committed, fsync'd, acked). CPU = user + system
of the whole process (/proc/PID/stat), the server's from the agents' start; RSS = VmHWM.

| agents | lines | wall s | events/s | server CPU s | server CPU s / M events | agent CPU s | agent CPU s / M events | server peak RSS MB | agent peak RSS MB | alerts |
|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|
$(printf '%s\n' "${ROWS[@]}")
EOF
	fi
	if [[ -n $LAT ]]; then
		cat <<EOF

Latency: ingest-to-alert (marker written to the tailed file -> its alert line read from
alerts.ndjson; alerts are written at the server's commit, ~100 ms cadence). Generator: $gen_said.
Server/agent CPU as % of one core over the run.

| lines/s | duration | markers | p50 ms | p90 ms | p99 ms | max ms | server CPU | agent CPU / peak RSS |
|--:|---|--:|--:|--:|--:|--:|--:|--:|
$LAT
EOF
	fi
	cat <<EOF

Targets (from the issue):

| target | measured | |
|---|---|---|
| ≥ 300,000 events/s into one server core (SigmaHQ linux+web loaded), 1 agent | $(num "${EPS1:-n/a}") events/s | $(verdict "${EPS1:-n/a}" 300000 ">=") |
| p99 ingest-to-alert < 1 s at 50,000 events/s | ${P99:-n/a} ms at $(num "$LAT_RATE") lines/s | $(verdict "${P99:-n/a}" 1000 "<") |
EOF
	if [[ -n $PERF_TOP && -s $PERF_TOP ]]; then
		printf '\nperf (server process, throughput run with 1 agent, cpu-clock, DWARF call graphs):\n\n```\n'
		cat "$PERF_TOP"
		printf '```\n'
	fi
	printf '\nReproduce (from %s):\n\n```sh\n' "$ROOT"
	printf '%s%sAGENTS="%s" REPEAT=%s LAT_RATE=%s LAT_SECS=%s LAT_EVERY=%s LAT_WARMUP=%s CORPUS_MB=%s PERF=%s bench/e2e_agents.sh %s\n' \
		"${SERVER_ARGS:+SERVER_ARGS=\"$SERVER_ARGS\" }" "${RUN_ROOT:+RUN_ROOT=$RUN_ROOT }" "$AGENTS" "$REPEAT" "$LAT_RATE" "$LAT_SECS" "$LAT_EVERY" "$LAT_WARMUP" \
		"$CORPUS_MB" "${PERF:-0}" "$LINES"
	printf '```\n'
}
report | tee "$DATA/e2e-results.md"
