#!/usr/bin/env bash
# Sharing under failure, end to end: the real `vigil server` raises alerts
# from syslog lines (the pack's "new user" rule, one alert per line) and
# shares them through a destination configured with `vigil sharing dest add`
# (HTTPS NDJSON, batch 10) to a receiver this test controls
# (lib/share_receiver.bash) and, for the first scenario, also to a real
# rsyslog over TLS. After each scenario: every alert of DIR/vigil.db arrived
# once by id (first arrivals equal the alerts in seq order, seq 1..N without
# gaps), duplicates carry the same seq, and the counts are exact.
#  1. the receiver is down for a while during a steady stream, then back;
#  2. the receiver dies in the middle of a batch (after half the body), and
#     after storing a batch without answering (duplicates, same id and seq);
#  4. the receiver answers 500 (retried with back-off), 413 (halves, down to
#     what it accepts), 429 with Retry-After (the retry waits at least that);
#  3. `kill -9` of the server with 100 items in the outbox: after the restart
#     the outbox drains, each item once; a second destination bounded to 50
#     items (max_items) refuses the other 50 loudly (OUTBOX FULL, dropped,
#     gaps, vigil_share_dropped_total) and delivers exactly seq 1..50;
#  5. the receiver presents a certificate from another CA: nothing is sent,
#     `vigil sharing status` and GET /api/v1/sharing/status name the
#     certificate problem, /metrics shows the backlog.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in openssl jq sqlite3 python3 curl; do
	command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }
done
"$VIGIL" help sharing >/dev/null 2>&1 || { echo "SKIP: this vigil has no sharing command"; exit 0; }

T=$(mktemp -d)
SRV=
RS=
RECV=
RECV2=
cleanup() {
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "$RECV" ] && kill -KILL "$RECV" 2>/dev/null
	[ -n "$RECV2" ] && kill -KILL "$RECV2" 2>/dev/null
	[ -n "$RS" ] && kill -KILL "$RS" 2>/dev/null
	exec 3>&- 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
LIB=$(dirname "$0")/lib
. "$LIB/server.bash"
. "$LIB/share_receiver.bash"
fails=0
pass=0

P=$T/pki
R=$T/recv
D=$T/data
share_pki "$P"
mkdir -p "$R" "$D"
head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$R/token"

# rsyslog over TLS (as in test_share_syslog.sh), when installed
GTLS=$(find /usr/lib /usr/lib64 -name lmnsd_gtls.so 2>/dev/null | head -1 || true)
RP=
rs_start() {
	local tries=20
	[ -n "$RP" ] && tries=1
	for _ in $(seq 1 $tries); do
		[ "$tries" = 1 ] || RP=$((20000 + RANDOM % 40000))
		mkdir -p "$T/rs"
		cat >"$T/rs/conf" <<-CONF
		global(workDirectory="$T/rs" maxMessageSize="64k"
		       DefaultNetstreamDriverCAFile="$P/ca.crt"
		       DefaultNetstreamDriverCertFile="$P/recv.crt" DefaultNetstreamDriverKeyFile="$P/recv.key")
		module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="x509/certvalid")
		input(type="imtcp" port="$RP" address="127.0.0.1" gnutlsPriorityString="NORMAL:-VERS-ALL:+VERS-TLS1.3")
		template(name="raw" type="string" string="%rawmsg%\n")
		action(type="omfile" file="$T/rs/out" template="raw")
		CONF
		rsyslogd -n -f "$T/rs/conf" -i "$T/rs/pid" 2>>"$T/rs/err" &
		RS=$!
		for _ in $(seq 1 100); do
			(exec 4<>"/dev/tcp/127.0.0.1/$RP") 2>/dev/null && return 0
			kill -0 "$RS" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$RS" 2>/dev/null || true
		wait "$RS" 2>/dev/null || true
		RS=
		[ "$tries" = 1 ] && sleep 0.5
	done
	echo "FAIL: rsyslogd did not start"; cat "$T/rs/err"; exit 1
}
rs_stop() {
	kill -TERM "$RS"
	wait "$RS" 2>/dev/null || true
	RS=
}

# --- the server, its API user, the destinations ---
printf '%s\n' 'share failures admin pw' | "$VIGIL" users add root --role admin --data "$D" >/dev/null 2>&1
TOK=$("$VIGIL" users token root --data "$D" 2>/dev/null)
recv_start https "$R" "$P/recv.crt" "$P/recv.key"
HP=$RECV_PORT
"$VIGIL" sharing dest add --data "$D" nmc \
	"{\"sink\":\"https\",\"url\":\"https://localhost:$HP/intake\",\"ca\":\"$P/ca.crt\",\"token_file\":\"$R/token\",\"batch\":10,\"timeout_ms\":3000}" \
	'{"streams":["alerts"]}' >/dev/null
WITH_RS=
if command -v rsyslogd >/dev/null && [ -n "$GTLS" ]; then
	WITH_RS=1
	rs_start
	"$VIGIL" sharing dest add --data "$D" rs \
		"{\"sink\":\"syslog\",\"format\":\"json\",\"address\":\"127.0.0.1:$RP\",\"server_name\":\"localhost\",\"ca\":\"$P/ca.crt\",\"cert\":\"$P/vigil.crt\",\"key\":\"$P/vigil.key\",\"batch\":10}" \
		'{"streams":["alerts"]}' >/dev/null
else
	echo "note: rsyslog with gtls not installed: the syslog-TLS destination is left out"
fi
start_server "$D"
exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"

# send FROM TO [DELAY]: one "new user" line per number, DELAY s apart
send() {
	local i
	for i in $(seq "$1" "$2"); do
		printf '<86>1 %s web-1 useradd 77 - - new user: name=u%d, UID=%d, GID=100, home=/home/u%d, shell=/bin/bash, from=/dev/pts/0\n' \
			"$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)" "$i" "$((2000 + i))" "$i" >&3
		[ -z "${3:-}" ] || sleep "$3"
	done
}
# a wait's timeout, cut to 5 s once the test has run 900 s (ctest's limit
# is 1200 s; on a server that stalls, every wait would time out in full)
budget() { if [ $SECONDS -gt 900 ]; then echo 5; else echo "$1"; fi; }
db_count() { sqlite3 "$D/vigil.db" "SELECT COUNT(*) FROM alerts" 2>/dev/null || echo 0; }
wait_db() { # N TIMEOUT_S: until the server stored N alerts
	local end=$((SECONDS + $(budget "$2")))
	while [ "$(db_count)" -lt "$1" ]; do
		[ $SECONDS -ge $end ] && { echo "only $(db_count) of $1 alerts stored"; return 1; }
		sleep 0.1
	done
}
received() { awk -F'\t' '!s[$2]++' "$R/items.log" 2>/dev/null | wc -l; }
wait_received() { # N TIMEOUT_S: until N distinct ids arrived
	local end=$((SECONDS + $(budget "$2")))
	while [ "$(received)" -lt "$1" ]; do
		[ $SECONDS -ge $end ] && { echo "only $(received) of $1 items arrived"; return 1; }
		sleep 0.2
	done
}
status() { "$VIGIL" sharing status --json --data "$D" 2>/dev/null; }
dest() { # NAME JQ: a member of destination NAME's status
	status | jq -r --arg n "$1" ".destinations[] | select(.name == \$n) | $2"
}
wait_dest() { # NAME JQ-CONDITION TIMEOUT_S
	local end=$((SECONDS + $(budget "$3")))
	until [ "$(dest "$1" "$2")" = true ]; do
		[ $SECONDS -ge $end ] && { echo "$1: $2 is not true after $3 s: $(dest "$1" . | jq -c .)"; return 1; }
		sleep 0.5
	done
}
wait_gone() { # PID: the receiver died by itself
	local i
	for i in $(seq 1 300); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
		sleep 0.05
	done
	return 1
}
# want: "alert-ID SEQ" of every stored alert, in id order (seq = rank: the
# outbox selects in alerts.id order and the destinations exist from the start)
want() { sqlite3 "$D/vigil.db" "SELECT 'alert-' || id FROM alerts ORDER BY id" | awk '{ print $1, NR }'; }
firsts() { awk -F'\t' '!s[$2]++ { print $2, $3 }' "$R/items.log"; }
dups() { awk -F'\t' 's[$2]++' "$R/items.log" | wc -l; }
# duplicates with a seq other than their first arrival's
dup_seq_mismatch() { awk -F'\t' '($2 in s) && s[$2] != $3 { b++ } { s[$2] = $3 } END { print b + 0 }' "$R/items.log"; }
nreq() { wc -l <"$R/requests.log"; }
# reqs FROM: "status lines" of the requests after line FROM of requests.log
reqs() { tail -n +"$(($1 + 1))" "$R/requests.log" | jq -r '"\(.status) \(.lines)"' | tr '\n' ' ' | sed 's/ $//'; }
# gap FROM A B: seconds between requests A and B (1-based) after line FROM
gap() { tail -n +"$(($1 + 1))" "$R/requests.log" | jq -s -r --argjson a "$2" --argjson b "$3" '.[$b - 1].t - .[$a - 1].t'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

verify_all() { # NAME DUPS: every stored alert arrived, once by id, in seq order; DUPS duplicates
	local n
	n=$(db_count)
	want >"$T/want"
	firsts >"$T/got"
	check "$1: all $n alerts arrived once by id, in seq order (seq 1..$n)" cmp -s "$T/want" "$T/got"
	[ "$fails" = 0 ] || diff "$T/want" "$T/got" | head -5 || true
	check "$1: exactly $2 duplicate deliveries (got $(dups))" test "$(dups)" = "$2"
	check "$1: duplicates carry their first seq" test "$(dup_seq_mismatch)" = 0
}

# --- 1. receiver down for a while during a steady stream ---
send 1 40 0.05
check "1: the first 40 alerts are stored" wait_db 40 45
check "1: and arrive while the receiver is up" wait_received 40 45
recv_stop
[ -n "$WITH_RS" ] && rs_stop
send 41 100 0.05
check "1: alerts 41..100 stored while the receiver is down" wait_db 100 45
check "1: the backlog grows while it is down" wait_dest nmc '.backlog > 0' 20
check "1: last_error names the unreachable receiver" \
	wait_dest nmc "(.last_error // \"\") | test(\"localhost:$HP.*(connect|Connection refused)\"; \"i\")" 20
check "1: /metrics shows the backlog" wait_metric 'vigil_share_backlog{destination="nmc"}' -gt 0 10
check "1: nothing arrived while down" test "$(received)" = 40
recv_start https "$R" "$P/recv.crt" "$P/recv.key" "$HP"
[ -n "$WITH_RS" ] && rs_start
send 101 150 0.05
check "1: 150 alerts stored" wait_db 150 45
check "1: everything arrives after the receiver is back" wait_received 150 60
check "1: backlog back to 0" wait_dest nmc '.backlog == 0 and .acked_seq == 150 and .last_seq == 150' 20
verify_all "1" 0
check "1: every request carried the signature headers' item count" \
	test "$(jq -s '[.[] | select(.status == 200 and .items != .lines)] | length' "$R/requests.log")" = 0
check "1: the bearer token was right on every request" test "$(jq -s '[.[] | select(.auth_ok | not)] | length' "$R/requests.log")" = 0
if [ -n "$WITH_RS" ]; then
	rs_ok() { # the syslog destination drained too: 150 distinct ids, in order
		wait_dest rs '.backlog == 0 and .acked_seq == 150' 60 || return 1
		sed -n 's/.*\[vigil@32473 id="\([^"]*\)" seq="\([0-9]*\)"\].*/\1 \2/p' "$T/rs/out" | awk '!s[$1]++' >"$T/rs.got"
		cmp -s "$T/want" "$T/rs.got"
	}
	check "1: rsyslog over TLS got the same 150 alerts once by id, in seq order" rs_ok
fi

# --- 2. the receiver dies in the middle of a batch ---
echo "die-mid 1" >"$R/mode"
r0=$(nreq)
send 151 180
check "2: the receiver died reading half a batch" wait_gone "$RECV"
RECV=
check "2: it had read part of the batch (a request with status 0, die-mid)" \
	test "$(tail -n +$((r0 + 1)) "$R/requests.log" | jq -s '[.[] | select(.status == 0 and .mode == "die-mid")] | length')" = 1
recv_start https "$R" "$P/recv.crt" "$P/recv.key" "$HP"
check "2: after its restart all 180 arrive" wait_received 180 60
verify_all "2 (die mid-batch)" 0
# stored, then died before answering: the batch comes again, same ids and seqs
echo "die-after 1" >"$R/mode"
r0=$(nreq)
send 181 200
check "2: the receiver died after storing a batch" wait_gone "$RECV"
RECV=
K=$(tail -n +$((r0 + 1)) "$R/requests.log" | jq -s '[.[] | select(.mode == "die-after")][0].lines')
recv_start https "$R" "$P/recv.crt" "$P/recv.key" "$HP"
check "2: after its restart all 200 arrive" wait_received 200 60
check "2: the unanswered batch had items ($K)" test "$K" -gt 0
verify_all "2 (die after storing)" "$K"
check "2: status counts each item sent once (sent_1h 200)" wait_dest nmc '.sent_1h == 200 and .backlog == 0' 20

# --- 4. 500, 413, 429 ---
# 500 twice: retried with back-off (1 s, then 2 s), then delivered
echo "500 2" >"$R/mode"
r0=$(nreq)
send 201 210
check "4/500: all 210 arrive" wait_received 210 60
got=$(reqs "$r0")
check "4/500: answers were 500, 500 then 200s (got: $got)" \
	test "$(tail -n +$((r0 + 1)) "$R/requests.log" | jq -s -r '[.[].status] | .[0:3] | map(tostring) | join(" ")')" = "500 500 200"
check "4/500: the first retry waited >= 1 s (back-off)" ge "$(gap "$r0" 1 2)" 0.95
check "4/500: the second retry waited >= 2 s (doubled)" ge "$(gap "$r0" 2 3)" 1.95
le=$(dest nmc .last_error)
check "4/500: last_error shows the answer ($le)" grep -q "HTTP 500" <<<"$le"
verify_all "4/500" "$K"

# 413: a batch of 10 refused above 3 items is halved until accepted:
# 10 -> 5 -> 2 + 3, 5 -> 2 + 3
recv_stop
send 211 220
check "4/413: 10 alerts wait in the outbox" wait_dest nmc '.backlog == 10' 45
echo "413 3" >"$R/mode"
r0=$(nreq)
recv_start https "$R" "$P/recv.crt" "$P/recv.key" "$HP"
check "4/413: all 220 arrive" wait_received 220 60
got=$(reqs "$r0")
check "4/413: requests (status lines) 413 10, 413 5, 200 2, 200 3, 413 5, 200 2, 200 3 (got: $got)" \
	test "$got" = "413 10 413 5 200 2 200 3 413 5 200 2 200 3"
verify_all "4/413" "$K"
echo accept >"$R/mode"

# 429 once with Retry-After: 3 -> the retry comes no sooner than 3 s later
echo "429 3 1" >"$R/mode"
r0=$(nreq)
send 221 230
check "4/429: all 230 arrive" wait_received 230 60
got=$(reqs "$r0")
check "4/429: answers 429 then 200 (got: $got)" \
	test "$(tail -n +$((r0 + 1)) "$R/requests.log" | jq -s -r '[.[].status] | .[0:2] | map(tostring) | join(" ")')" = "429 200"
g=$(gap "$r0" 1 2)
check "4/429: the retry honoured Retry-After: 3 (waited $g s)" ge "$g" 2.95
le=$(dest nmc .last_error)
check "4/429: last_error shows HTTP 429 ($le)" grep -q "HTTP 429" <<<"$le"
verify_all "4/429" "$K"

# --- 3. kill -9 of the server with a full outbox ---
# a second destination, added while the server runs, bounded to 50 items,
# whose receiver (R2) is down until after the restart
R2=$T/recv2
mkdir -p "$R2"
cp "$R/token" "$R2/token"
main_recv=$RECV
recv_start https "$R2" "$P/recv.crt" "$P/recv.key" # only to find a free port
HP2=$RECV_PORT
recv_stop
RECV=$main_recv
"$VIGIL" sharing dest add --data "$D" small \
	"{\"sink\":\"https\",\"url\":\"https://localhost:$HP2/intake\",\"ca\":\"$P/ca.crt\",\"token_file\":\"$R2/token\",\"batch\":10,\"max_items\":50}" \
	'{"streams":["alerts"]}' >/dev/null
recv_stop
send 231 330
check "3: 100 alerts wait in the outbox" wait_dest nmc '.backlog == 100 and .last_seq == 330' 45
check "3: /metrics shows backlog 100" wait_metric 'vigil_share_backlog{destination="nmc"}' -eq 100 10
check "3: the bounded destination holds 50 and refused 50 (seq 51..100 are gaps)" \
	wait_dest small '.backlog == 50 and .last_seq == 100 and .dropped == 50 and .gaps == 50 and .last_drop_at != null' 30
check "3: the refusal is loud (OUTBOX FULL on stderr)" \
	grep -q "destination small: OUTBOX FULL (50 unsent items, max_items 50): refused" "$T/server.log"
exec 3>&-
stop_server KILL
check "3: the server died by SIGKILL" test "$SRV_RC" = 137
recv_start https "$R" "$P/recv.crt" "$P/recv.key" "$HP"
main_recv2=$RECV
start_server "$D"
exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
check "3: after the restart the outbox drains: all 330 arrive" wait_received 330 60
check "3: backlog 0, acked 330, no gaps, nothing dropped" \
	wait_dest nmc '.backlog == 0 and .acked_seq == 330 and .gaps == 0 and .dropped == 0' 20
verify_all "3" "$K"
recv_start https "$R2" "$P/recv.crt" "$P/recv.key" "$HP2"
RECV2=$RECV
RECV=$main_recv2
small_ok() { # R2 got alerts 231..280 as seq 1..50, once each, and nothing more
	local end=$((SECONDS + 60))
	while [ "$(awk -F'\t' '!s[$2]++' "$R2/items.log" 2>/dev/null | wc -l)" -lt 50 ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
	sleep 1
	seq 231 280 | awk '{ print "alert-" $1, NR }' >"$T/want2"
	awk -F'\t' '{ print $2, $3 }' "$R2/items.log" >"$T/got2"
	cmp -s "$T/want2" "$T/got2"
}
check "3: the bounded destination delivers exactly its 50 items (seq 1..50)" small_ok
check "3: /metrics counts its 50 refused items" metric_settles 'vigil_share_dropped_total{destination="small"}' 50
check "3: sent_1h counts 330 (each item once, across the restart)" wait_dest nmc '.sent_1h == 330' 10
check "3: /metrics sent_last_hour 330" metric_settles 'vigil_share_sent_last_hour{destination="nmc"}' 330

# --- 5. the receiver presents a certificate from another CA ---
recv_stop
recv_start https "$R" "$P/fake.crt" "$P/fake.key" "$HP"
n_items=$(wc -l <"$R/items.log")
r0=$(nreq)
send 331 335
check "5: 335 alerts stored" wait_db 335 45
check "5: status names the certificate problem" \
	wait_dest nmc '(.last_error // "") | test("certificate"; "i")' 30
check "5: the 5 new items wait in the outbox" wait_dest nmc '.backlog == 5 and .failures >= 1' 10
"$VIGIL" sharing status --data "$D" >"$T/status.txt"
check "5: vigil sharing status (text) shows the error" grep -qi "certificate" "$T/status.txt"
# the API shows the service's snapshot of its last finished round
api_status() { # JQ-CONDITION on destination nmc, polled for up to 15 s
	local end=$((SECONDS + 15))
	while :; do
		curl -sS --max-time 10 --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $TOK" \
			"https://127.0.0.1:$API_PORT/api/v1/sharing/status" >"$T/api.json" 2>/dev/null || true
		jq -e ".destinations[] | select(.name == \"nmc\") | $1" "$T/api.json" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge $end ] && { echo "API: $1 is not true: $(head -c 600 "$T/api.json")"; return 1; }
		sleep 0.5
	done
}
check "5: GET /api/v1/sharing/status shows last_error naming the certificate" \
	api_status '.last_error | test("certificate"; "i")'
check "5: GET /api/v1/sharing/status shows backlog 5, acked 330" api_status '.backlog == 5 and .acked_seq == 330'
check "5: /metrics shows backlog 5" wait_metric 'vigil_share_backlog{destination="nmc"}' -eq 5 10
check "5: the impostor received no request" test "$(nreq)" = "$r0"
check "5: and no item" test "$(wc -l <"$R/items.log")" = "$n_items"
recv_stop

echo "counts: $(db_count) alerts; $(received) distinct ids received, $(dups) duplicates, $(nreq) requests"
echo "test_share_failures: $pass passed, $fails failed"
[ "$fails" = 0 ]
