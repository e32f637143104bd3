#!/usr/bin/env bash
# vigil server's state database and `vigil alerts export`: real `logger`
# clients send sshd failures (the pack's brute-force correlation) and a few
# single-event alerts (useradd, sudo, su); while the server runs and after
# SIGTERM, the export equals DIR/alerts.ndjson line for line, and --rule,
# --level, --from, --to and --host return the right subsets.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v logger >/dev/null || { echo "SKIP: logger (bsdutils) not installed"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
T=$(mktemp -d)
SRV=
cleanup() {
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass=0
check() { # check NAME CONDITION...
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
D=$T/data
BRUTE=be57ed61-fa18-403d-a898-74ba3a94fdb8

# usage and missing-database errors
set +e
"$VIGIL" help alerts >"$T/help"; rc=$?
check "vigil help alerts" test "$rc" = 0
check "help names the options" grep -q -- "--level" "$T/help"
"$VIGIL" alerts export --data "$T/none" --from yesterday 2>"$T/uerr"; rc=$?
check "bad --from is a usage error" test "$rc" = 2
check "bad --from is named" grep -q "'yesterday' is not a time" "$T/uerr"
"$VIGIL" alerts frobnicate 2>/dev/null; rc=$?
check "unknown subcommand is a usage error" test "$rc" = 2
"$VIGIL" alerts export --data "$T/none" >/dev/null 2>"$T/nerr"; rc=$?
check "missing database: exit 2" test "$rc" = 2
check "missing database: named" grep -q "$T/none/vigil.db" "$T/nerr"
set -e

# start on a free port (random, with retries), as test_server_syslog.sh does
PORT=
for try in $(seq 1 20); do
	p=$((20000 + RANDOM % 40000))
	"$VIGIL" server --data "$D" --listen-syslog "127.0.0.1:$p" --listen-agents "127.0.0.1:$((p + 1))" --listen-api "127.0.0.1:$((p + 2))" 2>"$T/err" &
	SRV=$!
	for _ in $(seq 1 100); do
		grep -q "listening for syslog" "$T/err" && break
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.05
	done
	if grep -q "listening for syslog" "$T/err"; then PORT=$p; break; fi
	wait "$SRV" 2>/dev/null || true
	SRV=
done
[ -n "$PORT" ] || { echo "FAIL: server did not start"; cat "$T/err"; exit 1; }
check "vigil.db is 0600" test "$(stat -c %a "$D/vigil.db")" = 600

send() { logger --rfc5424 --tcp -n 127.0.0.1 -P "$PORT" "$@"; }

# batch A: single-event alerts and a first brute force
send -t useradd "new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0"
send -t sudo "mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/sh"
for i in $(seq 1 12); do
	send -t sshd "Failed password for root from 203.0.113.9 port $((41000 + i)) ssh2"
done
sleep 1.1
MID=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
sleep 0.1
# batch B: more single-event alerts, a second brute force from elsewhere
send -t useradd "new user: name=sysupd, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0"
send -t su "pam_unix(su:auth): authentication failure; logname=intern uid=1004 euid=0 tty=pts/3 ruser=intern rhost=  user=root"
for i in $(seq 1 12); do
	send -t sshd "Failed password for admin from 198.51.100.23 port $((42000 + i)) ssh2"
done
sleep 0.5

A=$D/alerts.ndjson
# while the server runs (WAL: a reader next to the writer); committed every 100 ms
"$VIGIL" alerts export --data "$D" >"$T/live.ndjson"
check "export while running equals alerts.ndjson" cmp -s "$T/live.ndjson" "$A"

kill -TERM "$SRV"
set +e
wait "$SRV"; rc=$?
set -e
SRV=
check "SIGTERM exits 0" test "$rc" = 0
check "no database errors" grep -q "(0 not stored in the database)" "$T/err"

"$VIGIL" alerts export --data "$D" >"$T/all.ndjson"
N=$(wc -l <"$A")
check "alerts were written" test "$N" -ge 6
check "export equals alerts.ndjson line for line" cmp -s "$T/all.ndjson" "$A"
check "export equals alerts.ndjson (jq -c)" cmp -s <(jq -c . "$T/all.ndjson") <(jq -c . "$A")
[ "$fails" = 0 ] || diff "$T/all.ndjson" "$A" | head -5 || true

# filters: the same subsets jq selects from alerts.ndjson
subset() { # subset NAME JQ-FILTER EXPORT-ARGS...
	local name=$1 filter=$2; shift 2
	"$VIGIL" alerts export --data "$D" "$@" | jq -c . >"$T/got"
	jq -c "select($filter)" "$A" >"$T/want"
	check "$name: $(wc -l <"$T/want") alerts" cmp -s "$T/got" "$T/want"
	[ -s "$T/want" ] || { echo "FAIL: $name: empty subset"; fails=$((fails + 1)); }
}
subset "--rule brute force" ".rule.id == \"$BRUTE\"" --rule "$BRUTE"
check "two brute-force correlations" test "$(wc -l <"$T/got")" = 2
subset "--level high" '.rule.level == "high"' --level high
subset "--level low" '.rule.level == "low"' --level low
subset "--from MID" ".\"@timestamp\" >= \"$MID\"" --from "$MID"
subset "--to MID" ".\"@timestamp\" < \"$MID\"" --to "$MID"
subset "--rule + --from" ".rule.id == \"$BRUTE\" and .\"@timestamp\" >= \"$MID\"" --rule "$BRUTE" --from "$MID"
check "--from MID: the second source" \
	test "$("$VIGIL" alerts export --data "$D" --rule "$BRUTE" --from "$MID" | jq -r .source.ip)" = 198.51.100.23
H=$(jq -r 'select(.rule.level == "high") | .host.hostname' "$A" | head -1)
# a correlation not grouped by host is stored with the host of the event that
# completed it: here every event comes from this machine
subset "--host $H" "(.host.hostname // \"\") == \"$H\" or .correlation != null" --host "$H"
check "--host other: nothing" test "$("$VIGIL" alerts export --data "$D" --host no.such.host | wc -c)" = 0
check "--rule nosuch: nothing, exit 0" test "$("$VIGIL" alerts export --data "$D" --rule nosuch | wc -c)" = 0

# a corrupt database is named, exit 2
printf 'garbage%.0s' $(seq 1 600) >"$D/vigil.db"
rm -f "$D/vigil.db-wal" "$D/vigil.db-shm"
set +e
"$VIGIL" alerts export --data "$D" >/dev/null 2>"$T/cerr"; rc=$?
set -e
check "corrupt database: exit 2" test "$rc" = 2
check "corrupt database: reason named" grep -q "vigil.db: file is not a database" "$T/cerr"

echo "test_alerts_export: $pass passed, $fails failed"
[ "$fails" = 0 ]
