#!/usr/bin/env bash
# vigil scan / rules check / help / --version: the command-line contract,
# driven through the real binary on real logs (Loghub) and rules written here.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}" "${VG_CORPUS:?path to the shared corpus}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() { # check NAME CONDITION...
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }

LOGHUB=$VG_CORPUS/loghub
mkdir -p "$T/rules/sub" "$T/bad"
cat >"$T/rules/ssh_failed.yml" <<'Y'
title: SSH failed password (test)
id: 5f0c1d1e-0000-4000-8000-000000000001
status: test
level: low
tags: [attack.credential-access, attack.t1110]
logsource: {product: linux, service: sshd}
detection:
  keywords: ['Failed password']
  condition: keywords
Y
cat >"$T/rules/sub/apache_error.yml" <<'Y'
title: Apache mod_jk child in error state (test)
id: 5f0c1d1e-0000-4000-8000-000000000002
level: medium
logsource: {service: apache}
detection:
  sel:
    message|contains: 'error state'
  condition: sel
Y
cp "$T/rules/ssh_failed.yml" "$T/bad/good.yml"
cat >"$T/bad/broken.yml" <<'Y'
title: broken on purpose
id: 5f0c1d1e-0000-4000-8000-000000000003
logsource: {product: linux}
detection:
  sel:
    field|nosuchmodifier: x
  condition: sel
Y

# --version, help
check "--version exit 0" test "$(status "$VIGIL" --version)" = 0
check "--version text" grep -Eq '^vigil [0-9]+\.[0-9]+\.[0-9]+$' "$T/out"
check "help scan exit 0" test "$(status "$VIGIL" help scan)" = 0
check "help scan usage" grep -q 'usage: vigil scan' "$T/out"
check "help unknown exit 2" test "$(status "$VIGIL" help nosuch)" = 2

# `vigil` runs scan and rules itself and every other command through the
# executable next to it; help and usage errors come from the command either way
check "help exit 0" test "$(status "$VIGIL" help)" = 0
check "help lists every command" test "$(grep -cE '^  (scan|rules|events|alerts|server|agents|agent|users|systems|units|coverage|incidents|report|roster|assessments|notify|sharing) ' "$T/out")" = 17
# every command listed reaches the executable that runs it (main.c's table
# and vigil-ops' must name the same commands)
for c in $(sed -n 's/^  \([a-z]*\) .*/\1/p' "$T/out" | grep -vx help); do
	check "help $c exit 0" test "$(status "$VIGIL" help "$c")" = 0
	check "help $c usage" grep -q "usage: vigil $c" "$T/out"
done
check "help server (vigil-ops)" test "$(status "$VIGIL" help server)" = 0
check "help server usage" grep -q 'usage: vigil server' "$T/out"
check "help agent (vigil-agent)" test "$(status "$VIGIL" help agent)" = 0
check "help agent usage" grep -q 'usage: vigil agent' "$T/out"
check "vigil-ops usage error exit 2" test "$(status "$VIGIL" alerts --nosuch)" = 2
check "vigil-ops usage error named" grep -q 'nosuch' "$T/err"
# the scan executable links none of the server's libraries (start-up cost)
check "scan links no server library" test -z "$(readelf -d "$VIGIL" | grep -E 'NEEDED.*(curl|microhttpd|sqlite|pango|cairo|argon2|systemd)')"
# without its sibling, a handed-on command fails clearly; scan still runs
mkdir -p "$T/alone"
cp "$VIGIL" "$T/alone/vigil"
check "no vigil-ops: exit 2" test "$(status "$T/alone/vigil" server --help)" = 2
check "no vigil-ops: named" grep -q "cannot run $T/alone/vigil-ops" "$T/err"
check "no vigil-ops: scan runs" test "$(status "$T/alone/vigil" scan -q -r "$T/rules" "$LOGHUB/OpenSSH_2k.log")" = 0

# usage errors: exit 2 with a message
check "scan no path" test "$(status "$VIGIL" scan)" = 2
check "scan -j 0" test "$(status "$VIGIL" scan -j 0 "$LOGHUB/OpenSSH_2k.log")" = 2
check "scan bad format" test "$(status "$VIGIL" scan --format nope "$LOGHUB/OpenSSH_2k.log")" = 2
check "bad format named" grep -q "nope" "$T/err"
check "missing file exit 2" test "$(status "$VIGIL" scan -r "$T/rules" "$T/nonexistent.log" "$LOGHUB/OpenSSH_2k.log")" = 2
check "missing file named" grep -q "nonexistent.log" "$T/err"
check "other file still scanned" test "$(wc -l <"$T/out")" -gt 0

# every Loghub line is an event; the right formats are detected
check "loghub scan exit 0" test "$(status "$VIGIL" scan -r "$T/rules" "$LOGHUB/OpenSSH_2k.log" "$LOGHUB/Linux_2k.log" "$LOGHUB/Apache_2k.log")" = 0
check "6000 events" grep -q ' 6000 events' "$T/err"
check "formats" grep -Eq 'formats:.*apache_error=2000.*syslog=4000' "$T/err"
cp "$T/out" "$T/plain.ndjson"
# alert count equals an independent count of the raw lines
want=$(grep -c 'Failed password' "$LOGHUB/OpenSSH_2k.log")
check "ssh alerts = grep count ($want)" test "$(jq -r 'select(.rule.id=="5f0c1d1e-0000-4000-8000-000000000001") | .log.file.line' "$T/plain.ndjson" | wc -l)" = "$want"
want=$(grep -c 'error state' "$LOGHUB/Apache_2k.log")
check "apache alerts = grep count ($want)" test "$(jq -r 'select(.rule.id=="5f0c1d1e-0000-4000-8000-000000000002") | .log.file.line' "$T/plain.ndjson" | wc -l)" = "$want"
# alert document shape
first=$(head -n 1 "$T/plain.ndjson")
check "alert has event.original" test "$(jq -r '.event.original | length > 0' <<<"$first")" = true
check "alert has log.file.path" test "$(jq -r '.log.file.path' <<<"$first")" = "$LOGHUB/OpenSSH_2k.log"
check "alert line matches raw (CR stripped)" test "$(jq -r '.event.original' <<<"$first")" = "$(sed -n "$(jq -r '.log.file.line' <<<"$first")p" "$LOGHUB/OpenSSH_2k.log" | tr -d '\r')"
check "alert rule object" test "$(jq -r '[.rule.id,.rule.title,.rule.level,(.rule.tags|length)]|join("|")' <<<"$first")" = "5f0c1d1e-0000-4000-8000-000000000001|SSH failed password (test)|low|2"
check "alert @timestamp" jq -e '."@timestamp" | test("^[0-9]{4}-12-10T06:5[0-9]:[0-9]{2}\\.[0-9]{6}Z$")' <<<"$first"

# -j 2 gives exactly the alerts of -j 1, in the same order
"$VIGIL" scan -q -j 2 -r "$T/rules" "$LOGHUB/OpenSSH_2k.log" "$LOGHUB/Linux_2k.log" "$LOGHUB/Apache_2k.log" >"$T/j2.ndjson"
check "-j 2 identical" cmp -s "$T/plain.ndjson" "$T/j2.ndjson"

# many more batches than ring slots (deadlock and ordering check): 20x Loghub
for i in $(seq 1 20); do cat "$LOGHUB/OpenSSH_2k.log" "$LOGHUB/Apache_2k.log"; done >"$T/big.log"
"$VIGIL" scan -q -j 1 -r "$T/rules" "$T/big.log" >"$T/big1.ndjson"
for j in 2 3; do
	timeout 120 "$VIGIL" scan -q -j $j -r "$T/rules" "$T/big.log" >"$T/big$j.ndjson"
	check "big -j $j identical" cmp -s "$T/big1.ndjson" "$T/big$j.ndjson"
done
check "big alert count" test "$(jq -r 'select(.rule.id=="5f0c1d1e-0000-4000-8000-000000000001")|1' "$T/big1.ndjson" | wc -l)" = "$(grep -c 'Failed password' "$T/big.log")"

# a directory is read recursively in sorted order; gzip is read directly
mkdir -p "$T/logs/b" "$T/logs/a"
cp "$LOGHUB/OpenSSH_2k.log" "$T/logs/a/ssh.log"
gzip -c "$LOGHUB/OpenSSH_2k.log" >"$T/logs/b/ssh.log.gz"
"$VIGIL" scan -q -r "$T/rules" "$T/logs" >"$T/dir.ndjson"
n=$(grep -c 'Failed password' "$LOGHUB/OpenSSH_2k.log")
check "dir: plain file alerts" test "$(jq -r 'select(.log.file.path|endswith("a/ssh.log"))|1' "$T/dir.ndjson" | wc -l)" = "$n"
check "dir: gzip file alerts" test "$(jq -r 'select(.log.file.path|endswith("b/ssh.log.gz"))|1' "$T/dir.ndjson" | wc -l)" = "$n"
check "dir: sorted order" test "$(jq -r '.log.file.path' "$T/dir.ndjson" | uniq | tr '\n' ' ')" = "$T/logs/a/ssh.log $T/logs/b/ssh.log.gz "

# stdin
"$VIGIL" scan -q -r "$T/rules" - <"$LOGHUB/OpenSSH_2k.log" >"$T/stdin.ndjson"
check "stdin alerts" test "$(wc -l <"$T/stdin.ndjson")" = "$n"
check "stdin path" test "$(jq -r '.log.file.path' "$T/stdin.ndjson" | sort -u)" = "-"

# with threads: a directory, stdin, a missing path and a file, in that order,
# give the alerts of -j 1; the missing path is named and counted
rc1=0 rc3=0
"$VIGIL" scan -j 1 -r "$T/rules" "$T/logs" - "$T/missing.log" "$LOGHUB/OpenSSH_2k.log" \
	<"$T/big.log" >"$T/mix1.ndjson" 2>"$T/mix1.err" || rc1=$?
timeout 120 "$VIGIL" scan -j 3 -r "$T/rules" "$T/logs" - "$T/missing.log" "$LOGHUB/OpenSSH_2k.log" \
	<"$T/big.log" >"$T/mix3.ndjson" 2>"$T/mix3.err" || rc3=$?
check "mixed: exit 2 (a path unreadable)" test "$rc1/$rc3" = 2/2
check "mixed -j 3 identical" cmp -s "$T/mix1.ndjson" "$T/mix3.ndjson"
check "mixed: input order" test "$(jq -r '.log.file.path' "$T/mix3.ndjson" | uniq | tr '\n' ' ')" = \
	"$T/logs/a/ssh.log $T/logs/b/ssh.log.gz - $LOGHUB/OpenSSH_2k.log "
check "mixed: missing named" grep -q "missing.log: No such file" "$T/mix3.err"
check "mixed: counts" grep -q "4 files (1 unreadable)" "$T/mix3.err"
# a write error ends every thread (no hang) with exit 2
if [ -w /dev/full ]; then
	check "-j 2 write error exit 2" test "$(timeout 120 "$VIGIL" scan -q -j 2 -r "$T/rules" "$T/big.log" >/dev/full 2>/dev/null; echo $?)" = 2
fi

# -o writes the file whole; a failing run leaves no file behind
check "-o exit 0" test "$(status "$VIGIL" scan -q -r "$T/rules" -o "$T/alerts.ndjson" "$LOGHUB/OpenSSH_2k.log")" = 0
check "-o content" test "$(wc -l <"$T/alerts.ndjson")" = "$n"
check "-o stdout empty" test ! -s "$T/out"
check "-o unwritable exit 2" test "$(status "$VIGIL" scan -q -r "$T/rules" -o "$T/nodir/alerts.ndjson" "$LOGHUB/OpenSSH_2k.log")" = 2
check "-o unwritable no file" test ! -e "$T/nodir/alerts.ndjson"

# -o to a device writes to it and leaves it a device (never renamed over)
mkfifo "$T/fifo"
(cat "$T/fifo" >"$T/fifo.out") &
reader=$!
check "-o fifo exit 0" test "$(status "$VIGIL" scan -q -r "$T/rules" -o "$T/fifo" "$LOGHUB/OpenSSH_2k.log")" = 0
wait "$reader"
check "-o fifo still a fifo" test -p "$T/fifo"
check "-o fifo content" test "$(wc -l <"$T/fifo.out")" = "$n"
check "-o fifo no temp left" test -z "$(ls "$T" | grep 'fifo.tmp')"

# the Hyperscan database cache: the second run loads what the first compiled,
# with the same alerts; an empty VIGIL_CACHE_DIR (as in every other test) is no cache
# (-j 1: with more threads, one waiting for a database may build a neighbour no event needs)
VIGIL_CACHE_DIR="$T/cache" "$VIGIL" scan -j 1 -r "$VG_SOURCE_DIR/rules" "$LOGHUB" >"$T/c1.ndjson" 2>"$T/c1.err"
VIGIL_CACHE_DIR="$T/cache" "$VIGIL" scan -j 1 -r "$VG_SOURCE_DIR/rules" "$LOGHUB" >"$T/c2.ndjson" 2>"$T/c2.err"
built=$(sed -n 's/.*: \([0-9]*\) compiled, 0 from the cache).*/\1/p' "$T/c1.err")
check "cache: first run compiles" test "${built:-0}" -gt 0
check "cache: second run loads them all" grep -q ": 0 compiled, $built from the cache)" "$T/c2.err"
check "cache: same alerts" cmp -s "$T/c1.ndjson" "$T/c2.ndjson"
check "cache: entries private" test "$(stat -c %a "$T/cache/hyperscan")" = 700
check "cache: one entry per database" test "$(ls "$T/cache/hyperscan" | grep -c '\.hsdb$')" = "$built"
VIGIL_CACHE_DIR="$T/cache" "$VIGIL" scan -j 2 -r "$VG_SOURCE_DIR/rules" "$LOGHUB" >"$T/c4.ndjson" 2>"$T/c4.err"
check "cache: -j 2 loads them" grep -q ", $built from the cache)" "$T/c4.err"
check "cache: -j 2 same alerts" cmp -s "$T/c1.ndjson" "$T/c4.ndjson"
"$VIGIL" scan -r "$VG_SOURCE_DIR/rules" "$LOGHUB" >"$T/c3.ndjson" 2>"$T/c3.err"
check "cache: off when empty" grep -q ": $built compiled, 0 from the cache)" "$T/c3.err"
check "cache: off, same alerts" cmp -s "$T/c1.ndjson" "$T/c3.ndjson"

# rules check: exit 0 all load, 1 some rejected (one line each), 2 I/O error
check "rules check ok" test "$(status "$VIGIL" rules check "$T/rules")" = 0
check "rules check ok summary" grep -q '^2 rules loaded, 0 rejected$' "$T/out"
check "rules check rejected" test "$(status "$VIGIL" rules check "$T/bad")" = 1
check "rules check reject line" grep -q "^$T/bad/broken.yml: .*nosuchmodifier" "$T/out"
check "rules check summary" grep -q '^1 rules loaded, 1 rejected$' "$T/out"
check "rules check missing path" test "$(status "$VIGIL" rules check "$T/nope")" = 2
check "rules check no subcommand" test "$(status "$VIGIL" rules)" = 2

echo "$pass passed, $fails failed"
test "$fails" = 0
