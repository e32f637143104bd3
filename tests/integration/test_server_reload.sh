#!/usr/bin/env bash
# "Rules are reloaded on SIGHUP without losing events or correlation state of
# unchanged rules." The server runs with -r on a copy of the rule pack; sshd
# failures from one source arrive over syslog TCP around each reload:
#   1. a clean reload: 6 failures before, 6 after -> the SSH brute-force
#      correlation (>= 10 in 5 min per source.ip) fires exactly once, with a
#      count >= 10: its state survived the reload
#   2. a reload after the brute-force rule itself was changed: its state is
#      not carried (5 + 5 failures of a new source do not fire; 5 more do),
#      the other correlations' state is
#   3. a reload after one rule file (web_sqli.yml) was made invalid: the
#      rejection is logged with the file, the other rules load, correlation
#      state is kept (5 + 5 failures of a second source fire), the broken
#      rule no longer fires while the rest of the web rules still do
#   4. a reload that fails (the rule directory is gone): logged, the current
#      rules and their state stay (5 + 5 failures of a third source fire)
# and every line sent is archived exactly once.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
SRC=${VG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BRUTE=be57ed61-fa18-403d-a898-74ba3a94fdb8
SQLI=d3f7f396-885e-4d58-949b-2a8e73ab24f0
SCANNER=99b1be8d-f9d1-497b-835c-212336f9d074

D=$T/server
cp -r "$SRC/rules" "$T/rules"
NRULES=$(grep -rh --include='*.yml' '^title:' "$T/rules" | wc -l)
NCORR=$(grep -rh --include='*.yml' '^correlation:' "$T/rules" | wc -l)
check "the brute-force rule is in the pack" grep -q "^id: $BRUTE" "$T/rules/linux/ssh_bruteforce.yml"
check "the pack has correlation rules" test "$NCORR" -ge 1

start_server "$D" -r "$T/rules"
LOG=$T/server.log
check "all $NRULES rules loaded" grep -q "vigil server: $NRULES rules loaded, 0 rejected" "$LOG"

# send LINE...: one TCP connection, LF framing; each line is remembered
send() {
	exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
	local l
	for l in "$@"; do
		printf '%s\n' "$l" >&3
		printf '%s\n' "$l" >>"$T/expected"
	done
	exec 3>&-
}
sent=0
# failures IP FIRST_PORT N: N sshd failures from IP, timestamped now
failures() {
	local lines=() p ts
	ts=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	for p in $(seq "$2" $(($2 + $3 - 1))); do
		lines+=("<38>1 $ts web-1 sshd 4242 - - Failed password for root from $1 port $p ssh2")
	done
	send "${lines[@]}"
	sent=$((sent + $3))
}
# sqli TAG: a raw access-log line (no syslog header) with SQL injection and a
# scanner user agent; after a syslog line, as the first byte of a connection
# chooses its framing (a digit: octet counting)
sqli() {
	send "<14>1 $(date -u +%Y-%m-%dT%H:%M:%S.000Z) web-1 app 1 - - marker before $1" \
		"198.51.100.7 - - [21/Nov/2026:12:00:00 +0000] \"GET /item.php?id=1%27%20UNION%20SELECT%20password%20FROM%20users--+$1 HTTP/1.1\" 200 512 \"-\" \"sqlmap/1.7\""
	sent=$((sent + 2))
}
all_archived() { wait_for_count "$D" '"vigil":{' "$sent" 20; }
# alerts RULE [SELECTOR]: the rule's alerts in the database matching a jq selector
alerts() {
	"$VIGIL" alerts export --data "$D" --rule "$1" | jq -c "select(${2:-true})" | wc -l
}
# one_alert RULE SELECTOR: exactly one alert appears (and no second follows)
one_alert() {
	local n=0
	for _ in $(seq 1 100); do
		n=$(alerts "$1" "$2")
		[ "$n" -ge 1 ] && break
		sleep 0.1
	done
	sleep 0.5 # a second one would be committed by now
	n=$(alerts "$1" "$2")
	[ "$n" = 1 ] && return 0
	echo "$n alerts of $1 matching $2, wanted 1"
	return 1
}
reloads() { grep -c "rules reloaded" "$LOG" || true; }

# 1. a clean reload between 6 and 6 failures
failures 203.0.113.50 40001 6
check "first 6 failures archived before the reload" all_archived
check "no brute-force alert after 6 failures" test "$(alerts $BRUTE)" = 0
kill -HUP "$SRV"
check "reload 1 logged" wait_log "$LOG" "rules reloaded" 15
check "reload 1 reloads all rules" test "$(grep -c "vigil server: $NRULES rules loaded, 0 rejected" "$LOG")" = 2
check "reload 1 keeps the state of all $NCORR correlation rules" \
	grep -q "rules reloaded; state of $NCORR correlation rule(s) kept" "$LOG"
failures 203.0.113.50 40007 6
sqli SQLI-BEFORE
check "lines after reload 1 archived" all_archived
check "brute force fires once across the reload (6 + 6 failures)" one_alert $BRUTE '.source.ip == "203.0.113.50"'
check "its correlation count is >= 10" \
	test "$("$VIGIL" alerts export --data "$D" --rule $BRUTE | jq -r 'select(.source.ip == "203.0.113.50") | .correlation.count')" -ge 10
check "the SQL injection rule fires before reload 3" one_alert $SQLI '.event.original | test("SQLI-BEFORE")'

# 2. the brute-force rule itself changed (timespan 5m -> 6m): its state is
# not carried, the other correlations' is
failures 203.0.113.53 43001 5
check "5 failures of another source archived" all_archived
sed -i 's/^    timespan: 5m$/    timespan: 6m/' "$T/rules/linux/ssh_bruteforce.yml"
check "the rule file was changed" grep -q '^    timespan: 6m$' "$T/rules/linux/ssh_bruteforce.yml"
kill -HUP "$SRV"
for _ in $(seq 1 150); do [ "$(reloads)" -ge 2 ] && break; sleep 0.1; done
check "reload 2 done" test "$(reloads)" = 2
check "reload 2 keeps the state of the $((NCORR - 1)) unchanged correlation rules" \
	grep -q "rules reloaded; state of $((NCORR - 1)) correlation rule(s) kept" "$LOG"
failures 203.0.113.53 43006 5
check "5 more failures archived" all_archived
sleep 0.5
check "the changed rule started empty: no alert for 5 + 5 failures around reload 2" \
	test "$(alerts $BRUTE '.source.ip == "203.0.113.53"')" = 0
failures 203.0.113.53 43011 5
check "the changed rule fires after 10 failures of its own" one_alert $BRUTE '.source.ip == "203.0.113.53"'

# 3. one rule file made invalid: rejected and named, the rest reloaded
failures 203.0.113.51 41001 5
check "5 failures of a second source archived" all_archived
printf 'title: broken\nid: [unclosed\ndetection: {\n' >"$T/rules/web/web_sqli.yml"
kill -HUP "$SRV"
for _ in $(seq 1 150); do [ "$(reloads)" -ge 3 ] && break; sleep 0.1; done
check "reload 3 done" test "$(reloads)" = 3
check "reload 3 names the broken file" grep -q "vigil server: $T/rules/web/web_sqli.yml: .*YAML syntax error" "$LOG"
check "reload 3: $((NRULES - 1)) rules loaded, 1 rejected" grep -q "vigil server: $((NRULES - 1)) rules loaded, 1 rejected" "$LOG"
check "reload 3 keeps the state of the $NCORR correlation rules" \
	test "$(grep -c "rules reloaded; state of $NCORR correlation rule(s) kept" "$LOG")" = 2
failures 203.0.113.51 41006 5
sqli SQLI-AFTER
check "lines after reload 3 archived" all_archived
check "brute force of the second source fires once (5 + 5 failures around reload 3)" one_alert $BRUTE '.source.ip == "203.0.113.51"'
check "the other web rules still fire after reload 3" one_alert $SCANNER '.event.original | test("SQLI-AFTER")'
check "the rejected rule no longer fires" test "$(alerts $SQLI)" = 1
check "server alive after reload 3" kill -0 "$SRV"

# 4. a failing reload (no rule directory): the current rules and state stay
failures 203.0.113.52 42001 5
check "5 failures of a third source archived" all_archived
mv "$T/rules" "$T/rules.gone"
kill -HUP "$SRV"
check "reload 4 fails and says so" wait_log "$LOG" "reload failed; keeping the current rules" 15
check "reload 4 names the missing directory" grep -q "vigil server: $T/rules: cannot read rules: No such file or directory" "$LOG"
check "reload 4 did not switch rules" test "$(reloads)" = 3
failures 203.0.113.52 42006 5
check "lines after reload 4 archived" all_archived
check "brute force of a third source fires once (5 + 5 failures around a failed reload)" one_alert $BRUTE '.source.ip == "203.0.113.52"'
check "four brute-force alerts in all" test "$(alerts $BRUTE)" = 4
check "server alive after reload 4" kill -0 "$SRV"

stop_server TERM
check "SIGTERM exits 0" test "$SRV_RC" = 0
check "the summary counts $sent events and 4 correlation alerts" \
	grep -q "stopping: $sent events (.*), [0-9]* alerts, 4 correlation alerts" "$STOPPED_LOG"
"$VIGIL" events export --data "$D" | jq -r '.event.original' | sort >"$T/got"
sort "$T/expected" >"$T/want"
check "every line archived exactly once ($sent)" cmp -s "$T/got" "$T/want"
[ "$fails" = 0 ] || diff "$T/want" "$T/got" | head -20 || true

echo "test_server_reload: $pass passed, $fails failed"
if [ "$fails" != 0 ]; then
	echo "--- server log"; tail -n 30 "$STOPPED_LOG" 2>/dev/null || tail -n 30 "$LOG" || true
fi
[ "$fails" = 0 ]
