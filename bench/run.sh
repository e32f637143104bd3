#!/usr/bin/env bash
# run.sh — vigil's throughput benchmark: one run, one corpus, side by side with
# the floor (wc -l), a literal search (grep -c -F) and fail2ban-regex's sshd
# filter; plus peak RSS with the entire SigmaHQ set and the matcher ablation
# (what Hyperscan prefiltering and PCRE2 JIT each buy).
#
# usage: bench/run.sh [SIZE_MB]          (default 1024: a 1 GiB corpus)
# Environment (all optional):
#   REPEAT=N        rounds of every measurement (interleaved); the median wall time is reported (default 1)
#   F2B_LINES=N     syslog prefix fed to fail2ban-regex and to vigil (default 1000000;
#                   fail2ban-regex takes about 25 s per run on it)
#   F2B_CORPUS=0    skip fail2ban-regex over the whole corpus (the same log vigil scans;
#                   about 4-5 minutes per round at 1 GiB)
#   GAIN_ROUNDS=N   back-to-back -j 1 / -j 2 pairs for the per-pair -j 2 gain (default 10;
#                   about 5 s each at 1 GiB; 0 skips them)
#   SAMPLE_LINES=N  lines per file in the sample used for the ablation and for the
#                   entire-SigmaHQ scan (default 300000)
#   PERF=1          also perf stat / perf record the -j1 run on the sample
#   CALLGRIND=1     also count instructions per line (valgrind --tool=callgrind) of
#                   vigil scan -j 1: syslog, access and error lines, 50,000 each
#                   minus 1,000 each (so rule loading and database builds cancel
#                   out); stable under load, unlike the timings
#   SKIP_BUILD=1    reuse $BUILD/vigil as it is
#   BUILD=DIR       build directory (default build-bench)
#   VG_CORPUS=DIR   shared corpus: loghub + SigmaHQ (default ../shared/corpus)
# Output: the Markdown report on stdout and in bench/data/results.md; every
# command's output under bench/data/run-<SIZE>mb/.
set -euo pipefail
export LC_ALL=C

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
SIZE_MB=${1:-${SIZE_MB:-1024}}
REPEAT=${REPEAT:-1}
F2B_LINES=${F2B_LINES:-1000000}
SAMPLE_LINES=${SAMPLE_LINES:-300000}
GAIN_ROUNDS=${GAIN_ROUNDS:-10}
SEED=20240301
VG_CORPUS=$(cd "${VG_CORPUS:-$ROOT/../shared/corpus}" && pwd)
SIGMA=$VG_CORPUS/sigma
BUILD=${BUILD:-$ROOT/build-bench}
VIGIL=$BUILD/vigil
DATA=$BENCH/data
CORPUS=$DATA/corpus-${SIZE_MB}mb
RUN=$DATA/run-${SIZE_MB}mb
FILES=(syslog.log access.log apache_error.log)
F2B_FILTER=/etc/fail2ban/filter.d/sshd.conf

die() { echo "run.sh: $*" >&2; exit 2; }
log() { echo "run.sh: $*" >&2; }

[[ $SIZE_MB =~ ^[0-9]+$ && $SIZE_MB -ge 1 ]] || die "SIZE_MB must be a positive integer"
[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -ge 1 ]] || die "REPEAT must be a positive integer"
[[ $GAIN_ROUNDS =~ ^[0-9]+$ ]] || die "GAIN_ROUNDS must be a non-negative integer"

# --- tools (Debian packages; installed when missing and we may) ---
need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing $2 (for $1)"
		apt-get install -y "$2" >/dev/null || die "apt-get install -y $2 failed"
	else
		die "$1 not found; install it: apt-get install -y $2"
	fi
}
need /usr/bin/time time
need fail2ban-regex fail2ban
need cmake cmake
[[ -r $F2B_FILTER ]] || die "$F2B_FILTER not found (Debian's fail2ban package)"
for d in rules/linux rules/web rules/network rules rules-emerging-threats rules-threat-hunting; do
	[[ -d $SIGMA/$d ]] || die "$SIGMA/$d not found (set VG_CORPUS)"
done

# --- build (Release) ---
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
	log "building vigil (Release) in $BUILD"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
	mkdir -p "$DATA"
	cmake --build "$BUILD" -j2 --target vigil vigil_matcher_ablation >"$DATA/build.log" 2>&1 || {
		tail -30 "$DATA/build.log" >&2
		die "build failed (full log: $DATA/build.log)"
	}
fi
for b in "$VIGIL" "$BUILD/vigil_matcher_ablation"; do # both, before ten minutes of measuring
	[[ -x $b ]] || die "$b not built (cmake --build $BUILD --target vigil vigil_matcher_ablation, or drop SKIP_BUILD=1)"
done

# --- corpus (rebuilt when missing, incomplete, or made by another generator/size) ---
mkdir -p "$DATA"
gen_sum=$(sha256sum "$BENCH/gen_corpus.c" | cut -c1-16)
tmpl_sum=$(cat "$VG_CORPUS/loghub/OpenSSH_2k.log" "$VG_CORPUS/loghub/Linux_2k.log" "$VG_CORPUS/loghub/Apache_2k.log" |
	sha256sum | cut -c1-16)
want="size_mb=$SIZE_MB seed=$SEED gen=$gen_sum templates=$tmpl_sum"
if [[ ! -f $CORPUS/corpus.stamp || $(cut -d' ' -f1-4 "$CORPUS/corpus.stamp") != "$want" ]]; then
	"$BENCH/make_corpus.sh" "$SIZE_MB" "$CORPUS" "$SEED" >&2
fi
CFILES=()
for f in "${FILES[@]}"; do CFILES+=("$CORPUS/$f"); done

rm -rf "$RUN"
mkdir -p "$RUN/prefix" "$RUN/sample" "$RUN/empty"
head -n "$F2B_LINES" "$CORPUS/syslog.log" >"$RUN/prefix/syslog.log"
SFILES=()
for f in "${FILES[@]}"; do
	head -n "$SAMPLE_LINES" "$CORPUS/$f" >"$RUN/sample/$f"
	SFILES+=("$RUN/sample/$f")
done
: >"$RUN/empty/syslog.log"
# vigil's Hyperscan database cache (docs/usage.md): a private one for this run.
# The -cold measurements switch it off (every database compiled, as on a first
# run); the others run after a warm-up scan, as every later run does.
export VIGIL_CACHE_DIR=$RUN/cache

# --- rule sets ---
RULES=(-r "$SIGMA/rules/linux" -r "$SIGMA/rules/web" -r "$SIGMA/rules/network")
PACK_NOTE="vigil's own pack (rules/) loaded"
if find "$ROOT/rules" -name '*.yml' -print -quit 2>/dev/null | grep -q .; then
	RULES+=(-r "$ROOT/rules")
else
	PACK_NOTE="rules/ holds no .yml yet: vigil's own pack NOT loaded"
fi
ALL_SIGMA_DIRS=("$SIGMA/rules" "$SIGMA/rules-emerging-threats" "$SIGMA/rules-threat-hunting")
ALL_SIGMA=()
for d in "${ALL_SIGMA_DIRS[@]}"; do ALL_SIGMA+=(-r "$d"); done

# --- measuring ---
declare -A W M C L B RC CMD T
KEYS=()
bytes_of() { cat "$@" | wc -c; }
lines_of() { cat "$@" | wc -l; }
quote() { local s; s=$(printf '%q ' "$@"); s=${s% }; echo "${s//$ROOT\//}"; } # paths relative to ROOT

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR > 0) print a[int((NR + 1) / 2)] }'; }
# the tool's own timer, when it has one: vigil's scan "elapsed", fail2ban-regex's "processed in"
# (summed over the files when one measurement ran it once per file)
own_secs() {
	sed -n 's/^  elapsed: \([0-9.][0-9.]*\) s.*/\1/p; s/^\[processed in \([0-9.][0-9.]*\) sec\]/\1/p' \
		"$RUN/$1.err" "$RUN/$1.out" | awk '{ s += $1; n++ } END { if (n) printf "%.3f", s }'
}

# measure KEY LINES BYTES CMD...: one run of CMD, its stdout to $RUN/KEY.out,
# stderr to $RUN/KEY.err; the wall time, own timer, peak RSS and CPU time
# (user + sys) kept. The runs go in rounds (every measurement once, then
# again, REPEAT times) so that a slow spell of this shared machine hits all of
# them alike; summarise then gives the medians of wall time, own timer and CPU
# time, and the largest peak RSS.
declare -A WALLS OWNS CPUS
WARM=() # the files the next measurements read
measure() {
	local key=$1 lines=$2 bytes=$3 t0 t1 rc=0 r u s
	shift 3
	log "measuring $key (round $((round + 1)) of $REPEAT)"
	# this VM pages cold file pages out within minutes (DAMON reclaim), so
	# the inputs are read into the page cache again right before the clock
	((${#WARM[@]} == 0)) || cat "${WARM[@]}" >/dev/null
	# the previous run's output is dropped before the clock starts:
	# freeing its pages is not the cost of the command measured
	rm -f "$RUN/$key.out" "$RUN/$key.err"
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M %U %S' -o "$RUN/$key.time" "$@" >"$RUN/$key.out" 2>"$RUN/$key.err" || rc=$?
	t1=$EPOCHREALTIME
	if [[ -z ${L[$key]+x} ]]; then
		KEYS+=("$key")
		M[$key]=0
	fi
	WALLS[$key]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }') "
	OWNS[$key]+="$(own_secs "$key") "
	read -r r u s < <(tail -1 "$RUN/$key.time")
	if ((r > ${M[$key]})); then M[$key]=$r; fi
	CPUS[$key]+="$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') "
	L[$key]=$lines B[$key]=$bytes RC[$key]=$rc
	CMD[$key]=$(quote "$@")
}
summarise() {
	local key
	for key in "${KEYS[@]}"; do
		W[$key]=$(printf '%s\n' ${WALLS[$key]} | median)
		C[$key]=$(printf '%s\n' ${CPUS[$key]} | median)
		T[$key]=$(printf '%s\n' ${OWNS[$key]} | grep . | median || true)
	done
}

# from vigil's summary on stderr (n/a when the summary changes shape)
vsum() { # vsum KEY events|alerts|elapsed|loaded|rejected
	local v
	case $2 in
	events) v=$(sed -n 's/^vigil scan: .* \([0-9][0-9]*\) events, .*/\1/p' "$RUN/$1.err") ;;
	alerts) v=$(sed -n 's/^  alerts: \([0-9][0-9]*\).*/\1/p' "$RUN/$1.err") ;;
	elapsed) v=${T[$1]:-} ;;
	build) v=$(sed -n 's/^  elapsed: .*(+ \([0-9.][0-9.]*\) s building.*/\1/p' "$RUN/$1.err") ;;
	loaded) v=$(sed -n 's/^  rules: \([0-9][0-9]*\) loaded.*/\1/p; s/^\([0-9][0-9]*\) rules loaded.*/\1/p' "$RUN/$1.err" "$RUN/$1.out") ;;
	rejected) v=$(sed -n 's/^  rules: [0-9]* loaded, \([0-9][0-9]*\) rejected.*/\1/p; s/^[0-9]* rules loaded, \([0-9][0-9]*\) rejected.*/\1/p' "$RUN/$1.err" "$RUN/$1.out") ;;
	esac
	echo "${v:-n/a}" | head -1
}
f2b_secs() { echo "${T[$1]:-n/a}"; }
num() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); n = length(s); o = ""
	for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," } print o }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b + 0 > 0 && a != "n/a") printf f, a / b; else printf "n/a" }'; }
vigil_check() { # a vigil scan that failed makes the whole report meaningless
	[[ ${RC[$1]} == 0 ]] || { tail -5 "$RUN/$1.err" >&2; die "$1 failed (exit ${RC[$1]}); see $RUN/$1.err"; }
}

# --- the runs: every one on the same files, one after the other ---
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cat "${CFILES[@]}" >/dev/null # page cache warm for everyone (the corpus fits in RAM)
CL=$(lines_of "${CFILES[@]}") CB=$(bytes_of "${CFILES[@]}")
PL=$(lines_of "$RUN/prefix/syslog.log") PB=$(bytes_of "$RUN/prefix/syslog.log")
SL=$(lines_of "${SFILES[@]}") SB=$(bytes_of "${SFILES[@]}")

log "warming the database cache"
"$VIGIL" scan -q -j 2 "${RULES[@]}" "${CFILES[@]}" >/dev/null
for ((round = 0; round < REPEAT; round++)); do
	WARM=("${CFILES[@]}")
	measure wc "$CL" "$CB" wc -l "${CFILES[@]}"
	measure grep "$CL" "$CB" grep -c -F 'Failed password' "${CFILES[@]}"
	# the cache switched off: every database compiled (the cache is left as it is)
	measure vigil-j1-cold "$CL" "$CB" env VIGIL_CACHE_DIR= "$VIGIL" scan -j 1 "${RULES[@]}" "${CFILES[@]}"
	vigil_check vigil-j1-cold
	measure vigil-j2-cold "$CL" "$CB" env VIGIL_CACHE_DIR= "$VIGIL" scan -j 2 "${RULES[@]}" "${CFILES[@]}"
	vigil_check vigil-j2-cold
	measure vigil-j1 "$CL" "$CB" "$VIGIL" scan -j 1 "${RULES[@]}" "${CFILES[@]}"
	vigil_check vigil-j1
	measure vigil-j2 "$CL" "$CB" "$VIGIL" scan -j 2 "${RULES[@]}" "${CFILES[@]}"
	vigil_check vigil-j2
	# what two cores of this machine give when nothing is shared: two
	# independent -j 1 scans of the corpus at once (twice the lines). The VM's
	# two vCPUs share the host's last-level cache and memory bandwidth with
	# each other and with other guests; this is the ceiling for -j 2.
	# shellcheck disable=SC2016 # for the inner shell
	measure vigil-pair "$((2 * CL))" "$((2 * CB))" sh -c '"$@" >/dev/null 2>&1 & p=$!; "$@"; r=$?; wait $p && exit $r' \
		sh "$VIGIL" scan -j 1 "${RULES[@]}" "${CFILES[@]}"
	vigil_check vigil-pair
	WARM=()
	measure vigil-startup 0 0 "$VIGIL" scan -j 1 "${RULES[@]}" "$RUN/empty/syslog.log"
	measure sigma-all-check 0 0 "$VIGIL" rules check "${ALL_SIGMA_DIRS[@]}"
	WARM=("${SFILES[@]}")
	measure sigma-all-scan "$SL" "$SB" "$VIGIL" scan -j 2 "${ALL_SIGMA[@]}" "${SFILES[@]}"
	WARM=("$RUN/prefix/syslog.log")
	measure f2b "$PL" "$PB" fail2ban-regex -r --print-no-missed --print-no-ignored "$RUN/prefix/syslog.log" "$F2B_FILTER"
	measure f2b-first "$PL" "$PB" fail2ban-regex -r --no-check-all --print-no-missed --print-no-ignored \
		"$RUN/prefix/syslog.log" "$F2B_FILTER"
	measure vigil-prefix "$PL" "$PB" "$VIGIL" scan -j 1 "${RULES[@]}" "$RUN/prefix/syslog.log"
	vigil_check vigil-prefix
	measure vigil-prefix-j2 "$PL" "$PB" "$VIGIL" scan -j 2 "${RULES[@]}" "$RUN/prefix/syslog.log"
	vigil_check vigil-prefix-j2
	if [[ ${F2B_CORPUS:-1} != 0 ]]; then
		WARM=()
		# the same log vigil scanned: fail2ban-regex takes one file, so once per file
		# shellcheck disable=SC2016 # for the inner shell
		measure f2b-corpus "$CL" "$CB" sh -c 'f=$1; shift; for l; do fail2ban-regex -r --no-check-all --print-no-missed --print-no-ignored "$l" "$f" || exit; done' \
			sh "$F2B_FILTER" "${CFILES[@]}"
	fi
done
summarise

# the -j 2 gain pair by pair: this machine's speed drifts by up to a quarter
# within minutes (other guests), so a -j 1 and a -j 2 measured minutes apart
# can differ by that much; a -j 1 followed at once by a -j 2 shares the
# machine's state. The median of the per-pair ratios, with their range.
GAINS=() GCPUS=()
for ((g = 0; g < GAIN_ROUNDS; g++)); do
	log "-j 1 / -j 2 pair $((g + 1)) of $GAIN_ROUNDS"
	cat "${CFILES[@]}" >/dev/null
	pair=()
	for j in 1 2; do
		t0=$EPOCHREALTIME
		/usr/bin/time -f '%U %S' -o "$RUN/gain.time" "$VIGIL" scan -q -j $j "${RULES[@]}" "${CFILES[@]}" >/dev/null
		t1=$EPOCHREALTIME
		read -r u s <"$RUN/gain.time"
		pair+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')")
	done
	GAINS+=("$(div "${pair[0]}" "${pair[2]}" %.3f)") GCPUS+=("$(div "${pair[3]}" "${pair[1]}" %.3f)")
done
gain_med=n/a gain_range="" gcpu_med=n/a
gain_row() { # the pairs' row of the targets table, when there were pairs
	((GAIN_ROUNDS > 0)) || return 0
	echo "| near-linear gain from -j 2, pair by pair (-j 1 then at once -j 2, $GAIN_ROUNDS pairs) | ${gain_med}x median (range ${gain_range}; CPU time over -j 1's: ${gcpu_med}x) | $(verdict "$gain_med" 1.8 ">=") | | | | |"
}
if ((GAIN_ROUNDS > 0)); then
	gain_med=$(printf '%s\n' "${GAINS[@]}" | median | xargs printf %.2f)
	gcpu_med=$(printf '%s\n' "${GCPUS[@]}" | median | xargs printf %.2f)
	gain_range=$(printf '%s\n' "${GAINS[@]}" | sort -g | sed -n '1p;$p' | xargs printf '%.2f–%.2f')
fi

# matcher ablation, on the sample: the same parsed events matched with the
# Hyperscan pre-filter and/or the PCRE2 JIT switched off (bench/matcher_ablation.c)
ABL_CMD=("$BUILD/vigil_matcher_ablation" "${RULES[@]}" "${SFILES[@]}")
ABL_OUT=$("${ABL_CMD[@]}")
if [[ ${PERF:-0} == 1 ]] && command -v perf >/dev/null; then
	# DWARF call graphs: the Release build keeps no frame pointers
	log "perf on vigil -j 1 over the sample"
	perf stat -e task-clock,context-switches,page-faults -o "$RUN/perf-stat.txt" -- \
		"$VIGIL" scan -j 1 "${RULES[@]}" "${SFILES[@]}" >/dev/null 2>&1 || true
	perf record -e cpu-clock -F 499 --call-graph dwarf,16384 -o "$RUN/perf.data" -- \
		"$VIGIL" scan -j 1 "${RULES[@]}" "${SFILES[@]}" >/dev/null 2>"$RUN/perf-record.err" || true
	{
		echo "# inclusive (children), named symbols only"
		perf report -i "$RUN/perf.data" --stdio --children --sort symbol -g none --percent-limit 2 2>/dev/null |
			grep -E '^ +[0-9]' | grep -v '\] 0x' | awk '{ $NF = ""; $(NF - 1) = ""; print }' | head -40
		echo "# self time"
		perf report -i "$RUN/perf.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 1 2>/dev/null |
			grep -E '^ +[0-9]' | awk '{ $NF = ""; $(NF - 1) = ""; print }' | head -20
	} >"$RUN/perf-top.txt" || true
fi
# instructions per line: deterministic, so comparable across runs on a busy machine
CG_OUT=""
if [[ ${CALLGRIND:-0} == 1 ]] && command -v valgrind >/dev/null; then
	mkdir -p "$RUN/cg"
	cg_instr() { # cg_instr FILE: instructions of vigil scan -j 1 over FILE
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$VIGIL" scan -j 1 "${RULES[@]}" "$1" \
			2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
	}
	CG_OUT="| input (first lines of) | instructions per line |"$'\n'"|---|--:|"
	for f in "${FILES[@]}"; do
		log "callgrind on $f"
		head -n 1000 "$CORPUS/$f" >"$RUN/cg/1k-$f"
		head -n 51000 "$CORPUS/$f" >"$RUN/cg/51k-$f"
		# under valgrind the CPU looks different, so the database cache holds
		# other entries: one untimed run fills them, and both runs then load
		# the same databases (builds would not cancel out: the longer input
		# may need more of them)
		cg_instr "$RUN/cg/51k-$f" >/dev/null
		a=$(cg_instr "$RUN/cg/1k-$f") b=$(cg_instr "$RUN/cg/51k-$f")
		CG_OUT+=$'\n'"| $f | $(num "$(div "$((b - a))" 50000 %.0f)") |"
	done
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- the report ---
row() { # row KEY WHAT INPUT NOTES
	local k=$1 wall=${W[$1]} lines=${L[$1]} bytes=${B[$1]} lps="—" mbs="—" lcol="—" mbcol="—"
	if ((lines > 0)); then
		lps=$(num "$(div "$lines" "$wall" %.0f)") mbs=$(div "$bytes" "$(awk -v w="$wall" 'BEGIN { print w * 1e6 }')" %.1f)
		lcol=$(num "$lines") mbcol=$(div "$bytes" 1e6 %.1f)
	fi
	printf '| %s | %s | %s | %s | %.2f | %s | %s | %s | %s | %s |\n' "$2" "$3" "$lcol" "$mbcol" "$wall" "$lps" "$mbs" \
		"${C[$k]}" "$(div "${M[$k]}" 1024 %.1f)" "$4"
}
scanonly() { # lines/s from vigil's own elapsed (read+parse+match, no rule loading)
	local e; e=$(vsum "$1" elapsed)
	[[ $e == n/a ]] && { echo n/a; return; }
	num "$(div "${L[$1]}" "$e" %.0f)"
}

j1=vigil-j1 j2=vigil-j2
j1_lps=$(div "$CL" "${W[$j1]}" %.0f)
speedup=$(div "${W[$j1]}" "${W[$j2]}")
# the pair's throughput over -j 1's: what two cores give with nothing shared
ceiling=$(div "$(div "$((2 * CL))" "${W[vigil-pair]}" %.0f)" "$j1_lps")
of_ceiling=$(div "$(div "$speedup" "$ceiling" %.4f)" 0.01 %.0f)
busy=$(div "${C[$j2]}" "${W[$j2]}") # cores -j 2 keeps busy: median CPU time / median wall
inflate2=$(div "${C[$j2]}" "${C[$j1]}") inflatep=$(div "${C[vigil-pair]}" "$(awk -v c="${C[$j1]}" 'BEGIN { print 2 * c }')")
speedup_scan=$(div "$(vsum $j1 elapsed)" "$(vsum $j2 elapsed)")
same_alerts=no
cmp -s "$RUN/$j1.out" "$RUN/$j2.out" && cmp -s "$RUN/$j1.out" "$RUN/vigil-j1-cold.out" &&
	cmp -s "$RUN/$j1.out" "$RUN/vigil-j2-cold.out" && same_alerts=yes
f2b_lps=$(div "$PL" "${W[f2b-first]}" %.0f)
vp_lps=$(div "$PL" "${W[vigil-prefix]}" %.0f)
f2b_self=$(f2b_secs f2b-first)
ratio_wall=$(div "$vp_lps" "$f2b_lps" %.0f)
ratio_steady=$(div "$(div "$PL" "$(vsum vigil-prefix elapsed)" %.0f)" "$(div "$PL" "${f2b_self:-n/a}" %.0f)" %.0f)
vp2_lps=$(div "$PL" "${W[vigil-prefix-j2]}" %.0f)
ratio2_wall=$(div "$vp2_lps" "$f2b_lps" %.0f)
ratio2_steady=$(div "$(div "$PL" "$(vsum vigil-prefix-j2 elapsed)" %.0f)" "$(div "$PL" "${f2b_self:-n/a}" %.0f)" %.0f)
f2b_all_lps=$(div "$PL" "${W[f2b]}" %.0f)
j1c=vigil-j1-cold j2c=vigil-j2-cold
j1c_lps=$(div "$CL" "${W[$j1c]}" %.0f)
speedup_cold=$(div "${W[$j1c]}" "${W[$j2c]}")
all_rss=$(div "${M[sigma-all-scan]}" 1024 %.1f)
fc_lps=n/a
[[ -n ${W[f2b-corpus]:-} ]] && fc_lps=$(div "$CL" "${W[f2b-corpus]}" %.0f)
f2b_corpus_rows() { # the comparison on the corpus, the same log vigil scans
	[[ $fc_lps == n/a ]] && return 0
	local fs r1 r2 s1 s2
	fs=$(div "$CL" "$(f2b_secs f2b-corpus)" %.0f)
	r1=$(div "$j1_lps" "$fc_lps" %.0f) r2=$(div "$(div "$CL" "${W[$j2]}" %.0f)" "$fc_lps" %.0f)
	s1=$(div "$(div "$CL" "$(vsum $j1 elapsed)" %.0f)" "$fs" %.0f) s2=$(div "$(div "$CL" "$(vsum $j2 elapsed)" %.0f)" "$fs" %.0f)
	echo "| ≥ 100x fail2ban-regex's lines/s (corpus: the same log), vigil -j 1 | ${r1}x ($(num "$j1_lps") vs $(num "$fc_lps") lines/s) | $(verdict "$r1" 100 ">=") | | | ${s1}x | $(verdict "$s1" 100 ">=") |"
	echo "| ≥ 100x fail2ban-regex's lines/s (corpus: the same log), vigil -j 2 (the machine's 2 cores) | ${r2}x ($(num "$(div "$CL" "${W[$j2]}" %.0f)") lines/s) | $(verdict "$r2" 100 ">=") | | | ${s2}x | $(verdict "$s2" 100 ">=") |"
}
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "n/a") print "n/a"; else if ((op == ">=" && v + 0 >= t) || (op == "<" && v + 0 < t)) print "**met**"; else print "**not met**" }'; }

report() {
	cat <<EOF
# vigil benchmark — ${SIZE_MB} MiB corpus

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); vigil $("$VIGIL" --version 2>/dev/null | awk '{print $2}') at commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (working tree modified)')
- machine: $(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, Linux $(uname -r); load average before/after: $load_before / $load_after
- libraries: Hyperscan $(pkg-config --modversion libhs 2>/dev/null || echo ?), PCRE2 $(pkg-config --modversion libpcre2-8 2>/dev/null || echo ?); $(fail2ban-regex --version 2>/dev/null | head -1); $(grep --version | head -1)
- corpus: $CORPUS ($(cat "$CORPUS/corpus.stamp")): $(num "$CL") lines, $(div "$CB" 1e6 %.1f) MB; inputs read into the page cache right before each measurement; LC_ALL=C; REPEAT=$REPEAT (medians of wall and own timers)
- inputs: corpus = the three files; syslog prefix = the first $(num "$PL") lines of syslog.log; sample = the first $SAMPLE_LINES lines of each file ($(num "$SL") lines)
- rules: SigmaHQ linux + web + network, and $PACK_NOTE: $(vsum $j1 loaded) loaded, $(vsum $j1 rejected) rejected

| measurement | input | lines | MB | wall s | lines/s | MB/s | CPU s | peak RSS MB | notes |
|---|---|--:|--:|--:|--:|--:|--:|--:|---|
$(row wc "wc -l (the floor: reading lines)" "corpus" "")
$(row grep "grep -c -F 'Failed password'" "corpus" "")
$(row $j1c "vigil scan -j 1, no database cache" "corpus" "$(vsum $j1c events) events, $(vsum $j1c alerts) alerts; every database compiled: $(vsum $j1c build) s")
$(row $j2c "vigil scan -j 2, no database cache" "corpus" "speedup over -j 1: ${speedup_cold}x wall; compiling: $(vsum $j2c build) s")
$(row $j1 "vigil scan -j 1" "corpus" "$(vsum $j1 events) events, $(vsum $j1 alerts) alerts; scan only: $(scanonly $j1) lines/s (+ $(vsum $j1 build) s loading databases)")
$(row $j2 "vigil scan -j 2" "corpus" "speedup over -j 1: ${speedup}x wall, ${speedup_scan}x scan only; alerts identical to -j 1 and to the cold runs: $same_alerts")
$(row vigil-pair "two vigil scan -j 1 at once (independent)" "corpus, twice" "this machine's ceiling for 2 cores: ${ceiling}x the lines/s of one -j 1")
$(row vigil-startup "vigil scan, empty input" "—" "rule loading + compiling alone")
$(row sigma-all-check "vigil rules check, entire SigmaHQ" "—" "$(vsum sigma-all-check loaded) loaded, $(vsum sigma-all-check rejected) rejected")
$(row sigma-all-scan "vigil scan -j 2, entire SigmaHQ" "sample" "$(vsum sigma-all-scan loaded) rules loaded, $(vsum sigma-all-scan alerts) alerts")
$(row f2b "fail2ban-regex sshd (checks every regex)" "syslog prefix" "own timer: $(f2b_secs f2b) s")
$(row f2b-first "fail2ban-regex sshd --no-check-all" "syslog prefix" "own timer: ${f2b_self:-n/a} s (first match wins, as the daemon does)")
$(row vigil-prefix "vigil scan -j 1" "syslog prefix" "$(vsum vigil-prefix alerts) alerts; scan only: $(scanonly vigil-prefix) lines/s (+ $(vsum vigil-prefix build) s loading databases)")
$(row vigil-prefix-j2 "vigil scan -j 2" "syslog prefix" "scan only: $(scanonly vigil-prefix-j2) lines/s")
$(if [[ -n ${W[f2b-corpus]:-} ]]; then row f2b-corpus "fail2ban-regex sshd --no-check-all, once per file" "corpus" "own timers: $(f2b_secs f2b-corpus) s"; fi)
EOF
	cat <<EOF

Matcher ablation: matching alone (parsing subtracted), same events and rules, each mode
compiled fresh with every database built before timing; the match counts must agree.
Command: \`${ABL_CMD[*]}\`

$ABL_OUT
EOF
	cat <<EOF

Targets (from the issue). End to end: wall time, rule loading included, with the database cache
warm (as on every run after the first with these rules); cold: the cache off, every Hyperscan
database compiled on first use (as on the very first run). Steady state: vigil's own scan timer
(read, parse, match, correlate, write; rule loading and database builds excluded) and
fail2ban-regex's own timer. fail2ban-regex is single-threaded; its faster mode (--no-check-all)
is the one compared. Two inputs: the syslog prefix (sshd-heavy lines, the filter's own ground,
where fail2ban-regex is fastest) and the whole corpus (the same log vigil scans, as the issue
words it; fail2ban-regex is slower on its web lines).

| target | end to end | | end to end, cold | | steady state | |
|---|---|---|---|---|---|---|
| ≥ 1,000,000 lines/s on one core (-j 1, these rules, corpus) | $(num "$j1_lps") lines/s | $(verdict "$j1_lps" 1000000 ">=") | $(num "$j1c_lps") lines/s | $(verdict "$j1c_lps" 1000000 ">=") | $(scanonly $j1) lines/s | $(verdict "$(div "$CL" "$(vsum $j1 elapsed)" %.0f)" 1000000 ">=") |
| ≥ 100x fail2ban-regex's lines/s (syslog prefix), vigil -j 1 | ${ratio_wall}x ($(num "$vp_lps") vs $(num "$f2b_lps") lines/s; $(div "$vp_lps" "$f2b_all_lps" %.0f)x its default mode) | $(verdict "$ratio_wall" 100 ">=") | | | ${ratio_steady}x | $(verdict "$ratio_steady" 100 ">=") |
| ≥ 100x fail2ban-regex's lines/s (syslog prefix), vigil -j 2 (the machine's 2 cores) | ${ratio2_wall}x ($(num "$vp2_lps") lines/s; $(div "$vp2_lps" "$f2b_all_lps" %.0f)x its default mode) | $(verdict "$ratio2_wall" 100 ">=") | | | ${ratio2_steady}x | $(verdict "$ratio2_steady" 100 ">=") |
$(f2b_corpus_rows)
| near-linear gain from -j 2 (taken as ≥ 1.8x) | ${speedup}x | $(verdict "$speedup" 1.8 ">=") | ${speedup_cold}x | $(verdict "$speedup_cold" 1.8 ">=") | ${speedup_scan}x | $(verdict "$speedup_scan" 1.8 ">=") |
$(gain_row)
| -j 2 against this machine's own ceiling (two independent -j 1 at once: ${ceiling}x) | ${of_ceiling}% of it | | | | | |
| peak RSS < 256 MB with the entire SigmaHQ set loaded | $all_rss MB (-j 2 scan of the sample, largest of the runs, the first one cold) | $(verdict "$all_rss" 256 "<") | | | | |
EOF
	cat <<EOF

Where -j 2's gain goes (CPU time: user + sys, median of the rounds; cores busy: CPU time / wall):
-j 2 keeps ${busy} of 2 cores busy and spends ${inflate2}x the CPU time of -j 1 on the same work;
two independent -j 1 processes at once spend ${inflatep}x it. CPU time that grows when both
cores run, with nothing shared between the processes, is the machine's: the two vCPUs share
the host's last-level cache and memory bandwidth (with each other and with other guests).
EOF
	if [[ -n $CG_OUT ]]; then
		printf '\nInstructions per line (callgrind; vigil scan -j 1 over the first 51,000 lines of each file\nminus the first 1,000, per line: rule loading and database builds cancel out):\n\n%s\n' "$CG_OUT"
	fi
	if [[ -s $RUN/perf-top.txt ]]; then
		printf '\nperf (vigil scan -j 1 on the sample, cpu-clock samples, DWARF call graphs; rule compiling included):\n\n```\n'
		cat "$RUN/perf-top.txt"
		printf '```\n'
	fi
	printf '\nCommands, exactly as run (from %s):\n\n```sh\n' "$ROOT"
	printf 'REPEAT=%s GAIN_ROUNDS=%s F2B_LINES=%s SAMPLE_LINES=%s PERF=%s CALLGRIND=%s bench/run.sh %s\n' "$REPEAT" "$GAIN_ROUNDS" \
		"$F2B_LINES" "$SAMPLE_LINES" "${PERF:-0}" "${CALLGRIND:-0}" "$SIZE_MB"
	local c=${CORPUS#"$ROOT"/} r=${RUN#"$ROOT"/} k
	printf 'bench/make_corpus.sh %s %s %s\n' "$SIZE_MB" "$c" "$SEED"
	printf 'head -n %s %s/syslog.log > %s/prefix/syslog.log\n' "$F2B_LINES" "$c" "$r"
	# shellcheck disable=SC2016 # $f is for the reader's shell
	printf 'for f in %s; do head -n %s %s/$f > %s/sample/$f; done\n' "${FILES[*]}" "$SAMPLE_LINES" "$c" "$r"
	printf 'export VIGIL_CACHE_DIR=%s/cache\n' "$r"
	printf '%s scan -q -j 2 %s >/dev/null  # warming the cache\n' "$(quote "$VIGIL")" "$(quote "${RULES[@]}" "${CFILES[@]}")"
	printf '# then, %s rounds of:\n' "$REPEAT"
	for k in "${KEYS[@]}"; do
		printf '/usr/bin/time -f "%%M %%U %%S" %s >%s/%s.out 2>%s/%s.err\n' "${CMD[$k]}" "$r" "$k" "$r" "$k"
	done
	((GAIN_ROUNDS > 0)) && printf '# then, %s pairs of (the -j 2 gain pair by pair):\n' "$GAIN_ROUNDS"
	for k in 1 2; do
		((GAIN_ROUNDS > 0)) || break
		printf '/usr/bin/time -f "%%U %%S" %s scan -q -j %s %s >/dev/null\n' "$(quote "$VIGIL")" "$k" "$(quote "${RULES[@]}" "${CFILES[@]}")"
	done
	printf '```\n'
}
report | tee "$DATA/results.md" "$RUN/results.md"
