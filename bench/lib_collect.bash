# lib_collect.bash — shared by the collection benchmarks (bench/e2e_agents.sh,
# bench/agent_rss.sh, bench/syslog_vs_rsyslog.sh): build, bench tools, corpus,
# starting `vigil server` / `vigil agent` pinned to CPUs on loopback, reading
# /proc and /metrics, and cleaning up every process it started. Source it after
# `set -euo pipefail`; it sets BENCH, ROOT, BUILD, VIGIL, TOOLS, SIGMA, CORPUS.
# Environment: BUILD=DIR (default build-bench), SKIP_BUILD=1, VG_CORPUS=DIR,
# CORPUS_MB (size of the bench/make_corpus.sh corpus the lines come from,
# default 100; gen_lines cycles it), SERVER_CPU (default 0), CLIENT_CPU
# (default 1: agents, generators, senders), KEEP=1 (keep the run directories),
# RUN_ROOT=DIR (where run directories, with the server's and agents' data, go:
# default bench/data; e.g. /dev/shm to take the disk's fsync out), SERVER_ARGS
# (extra `vigil server` arguments, split at blanks, e.g. "-c FILE").
# shellcheck disable=SC2034 # variables for the scripts that source this file
export LC_ALL=C

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
VIGIL=$BUILD/vigil
DATA=$BENCH/data
TOOLS=$DATA/tools
VG_CORPUS=$(cd "${VG_CORPUS:-$ROOT/../shared/corpus}" && pwd)
SIGMA=$VG_CORPUS/sigma
CORPUS_MB=${CORPUS_MB:-100}
CORPUS=$DATA/corpus-${CORPUS_MB}mb
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
REPEAT=${REPEAT:-1}
SEED=20240301
ME=$(basename "$0")
read -ra SERVER_ARGV <<<"${SERVER_ARGS:-}" # extra `vigil server` arguments, split at blanks
PIDS=() # every background process we started, killed on exit
TMPDIRS=()

die() { echo "$ME: $*" >&2; exit 2; }
log() { echo "$ME: $*" >&2; }

[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -ge 1 ]] || die "REPEAT must be a positive integer"

cleanup_all() {
	local p d
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	if [[ ${KEEP:-0} != 1 ]]; then
		for d in "${TMPDIRS[@]}"; do rm -rf "$d"; done
	fi
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

forget_pid() { # remove $1 from PIDS (it was stopped and reaped)
	local keep=() p
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

stop_pid() { # stop_pid PID [SIGNAL]: signal, wait, forget
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	forget_pid "$1"
}

need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing $2 (for $1)"
		apt-get install -y "$2" >/dev/null || die "apt-get install -y $2 failed"
	else
		die "$1 not found; install it: apt-get install -y $2"
	fi
}

# --- build: vigil (Release) and the bench tools (cc -O2, like gen_corpus) ---
build_all() {
	need cmake cmake
	need taskset util-linux
	need curl curl
	if [[ ${SKIP_BUILD:-0} != 1 ]]; then
		log "building vigil (Release) in $BUILD"
		mkdir -p "$DATA"
		cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
		cmake --build "$BUILD" -j2 --target vigil >"$DATA/build-collect.log" 2>&1 || {
			tail -30 "$DATA/build-collect.log" >&2
			die "build failed (full log: $DATA/build-collect.log)"
		}
	fi
	[[ -x $VIGIL ]] || die "$VIGIL not built"
	mkdir -p "$TOOLS"
	local t
	for t in gen_lines latency_probe; do
		if [[ ! -x $TOOLS/$t || $BENCH/$t.c -nt $TOOLS/$t ]]; then
			${CC:-cc} -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$TOOLS/$t" "$BENCH/$t.c" ||
				die "cannot compile $BENCH/$t.c"
		fi
	done
}

# --- the corpus the lines come from (bench/make_corpus.sh, as bench/run.sh) ---
ensure_corpus() {
	local gen_sum tmpl_sum want
	gen_sum=$(sha256sum "$BENCH/gen_corpus.c" | cut -c1-16)
	tmpl_sum=$(cat "$VG_CORPUS/loghub/OpenSSH_2k.log" "$VG_CORPUS/loghub/Linux_2k.log" \
		"$VG_CORPUS/loghub/Apache_2k.log" | sha256sum | cut -c1-16)
	want="size_mb=$CORPUS_MB seed=$SEED gen=$gen_sum templates=$tmpl_sum"
	if [[ ! -f $CORPUS/corpus.stamp || $(cut -d' ' -f1-4 "$CORPUS/corpus.stamp") != "$want" ]]; then
		"$BENCH/make_corpus.sh" "$CORPUS_MB" "$CORPUS" "$SEED" >&2
	fi
	CORPUS_FILES=("$CORPUS/syslog.log" "$CORPUS/access.log" "$CORPUS/apache_error.log")
}

# The SigmaHQ selection of bench/run.sh (linux + web + network) and vigil's pack.
sigma_rules() {
	local d
	SIGMA_RULES=()
	for d in rules/linux rules/web rules/network; do
		[[ -d $SIGMA/$d ]] || die "$SIGMA/$d not found (set VG_CORPUS)"
		SIGMA_RULES+=(-r "$SIGMA/$d")
	done
	SIGMA_RULES+=(-r "$ROOT/rules")
}

new_run_dir() { # new_run_dir NAME: sets RUN (under RUN_ROOT, removed on exit unless KEEP=1)
	mkdir -p "${RUN_ROOT:-$DATA}"
	RUN=$(mktemp -d "${RUN_ROOT:-$DATA}/vgbench-$1.XXXXXX")
	TMPDIRS+=("$RUN")
}

# --- server and agents ---
# start_server DIR LOG [ARGS...]: random free loopback ports (retries), pinned
# to SERVER_CPU; sets SRV, SYSLOG_PORT, AGENT_PORT, API_PORT.
start_server() {
	local dir=$1 slog=$2 base
	shift 2
	for _ in $(seq 1 20); do
		base=$((20000 + RANDOM % 40000))
		SYSLOG_PORT=$base AGENT_PORT=$((base + 1)) API_PORT=$((base + 2))
		: >"$slog"
		taskset -c "$SERVER_CPU" "$VIGIL" server --data "$dir" --listen-syslog "127.0.0.1:$SYSLOG_PORT" \
			--listen-agents "127.0.0.1:$AGENT_PORT" --listen-api "127.0.0.1:$API_PORT" "$@" 2>>"$slog" &
		SRV=$!
		PIDS+=("$SRV")
		for _ in $(seq 1 600); do
			grep -q "listening for syslog" "$slog" && return 0
			kill -0 "$SRV" 2>/dev/null || break
			sleep 0.05
		done
		stop_pid "$SRV" KILL
		grep -q "address already in use\|Address already in use\|EADDRINUSE" "$slog" || break
	done
	tail -20 "$slog" >&2
	die "the server did not start (log: $slog)"
}

# enroll_agent SRVDIR AGENTDIR NAME: redeem a token, then stop (the next start
# reads its files from the start).
enroll_agent() {
	local token apid alog=$2.enroll.log
	token=$("$VIGIL" agents token --data "$1") || die "vigil agents token failed"
	mkdir -p "$2"
	"$VIGIL" agent --server "127.0.0.1:$AGENT_PORT" --data "$2" --hostname "$3" --enroll "$token" \
		--tail "$2/nothing-here/*.log" 2>"$alog" &
	apid=$!
	PIDS+=("$apid")
	for _ in $(seq 1 200); do
		grep -q "connected to" "$alog" && break
		kill -0 "$apid" 2>/dev/null || break
		sleep 0.05
	done
	grep -q "connected to" "$alog" || { cat "$alog" >&2; die "agent $3 did not enrol"; }
	stop_pid "$apid"
}

# start_agent AGENTDIR NAME LOG [ARGS...]: pinned to CLIENT_CPU; sets AGENT_PID
start_agent() {
	local dir=$1 name=$2 alog=$3
	shift 3
	taskset -c "$CLIENT_CPU" "$VIGIL" agent --server "127.0.0.1:$AGENT_PORT" --data "$dir" --hostname "$name" \
		"$@" 2>>"$alog" &
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
}

metrics() { curl -sk --max-time 5 "https://127.0.0.1:$API_PORT/metrics"; }
metric() { # metric NAME[{labels}]: its value, or 0
	metrics | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# --- /proc ---
CLK_TCK=$(getconf CLK_TCK)
cpu_s() { # cpu_s PID: user + system CPU seconds so far (all threads)
	local st rest f
	st=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	rest=${st##*) }
	read -ra f <<<"$rest"
	awk -v u="${f[11]}" -v s="${f[12]}" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", (u + s) / hz }'
}
status_kb() { # status_kb PID FIELD (VmHWM, VmRSS): kB
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# --- figures ---
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR > 0) print a[int((NR + 1) / 2)]; else print "n/a" }'; }
num() { awk -v x="$1" 'BEGIN { if (x == "n/a") { print x; exit } s = sprintf("%.0f", x); n = length(s); o = ""
	for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," } print o }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b + 0 > 0 && a != "n/a") printf f, a / b; else printf "n/a" }'; }
kv() { sed -n "s/^$1=//p" "$2" | head -1; } # kv KEY FILE: from latency_probe's output
machine_line() {
	echo "$(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
}
version_line() {
	echo "vigil $("$VIGIL" --version 2>/dev/null | awk '{print $2}') at commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (working tree modified)')"
}
