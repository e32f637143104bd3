#!/usr/bin/env bash
# The events stream of sharing, end to end, with the real `vigil server`: a
# destination (HTTPS NDJSON, to a receiver of this test that keeps every
# line it is sent) whose policy selects the raw events of one layer and
# dataset ("host", the sshd program) and pseudonymises user.name, plus the
# alerts. Syslog lines arrive with `logger --tcp --rfc5424`: sshd lines
# (selected) and cron / useradd lines (not selected; the useradd line raises
# an alert). Then:
#  1. the receiver got exactly the sshd events, once each by id, in the
#     order they were sent, seq 1..N without gaps, user.name replaced by the
#     installation's pseudonym (HMAC-SHA256 with DIR/share/pseudonym.key,
#     recomputed here with openssl), and the alert; nothing else;
#  2. `kill -9` of the server while the receiver is down, with selected
#     events waiting in the outbox; after the restart (and the receiver's)
#     every selected event arrives, once;
#  3. the policy is changed while the server runs (events dropped from its
#     streams): the next sshd lines are not shared.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in openssl jq python3 logger xxd; do
	command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }
done
logger --help 2>&1 | grep -q -- --rfc5424 || { echo "SKIP: logger without --rfc5424"; exit 0; }
"$VIGIL" help sharing >/dev/null 2>&1 || { echo "SKIP: this vigil has no sharing command"; exit 0; }

T=$(mktemp -d)
SRV=
RECV=
cleanup() {
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "$RECV" ] && { kill -KILL "$RECV"; wait "$RECV"; } 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
LIB=$(dirname "$0")/lib
. "$LIB/server.bash"
. "$LIB/share_receiver.bash" # share_pki
fails=0
pass=0

P=$T/pki
R=$T/recv
D=$T/data
share_pki "$P"
mkdir -p "$R" "$D"
head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$R/token"

# A receiver that keeps every body line (R/lines.ndjson) of each request
# whose bearer token is right, and answers 200.
cat >"$T/recv.py" <<'PY'
import os, ssl, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
rdir, cert, key, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
token = open(os.path.join(rdir, "token")).read().strip()
out = open(os.path.join(rdir, "lines.ndjson"), "ab", buffering=0)
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Authorization") != "Bearer " + token:
            self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
        out.write(body if body.endswith(b"\n") else body + b"\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
srv = ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(os.path.join(rdir, "ready"), "w").close()
srv.serve_forever()
PY
HP=
recv_up() { # [PORT]
	local try
	for try in $(seq 1 20); do
		HP=${1:-$((20000 + RANDOM % 40000))}
		rm -f "$R/ready"
		python3 "$T/recv.py" "$R" "$P/recv.crt" "$P/recv.key" "$HP" 2>>"$T/recv.err" &
		RECV=$!
		for _ in $(seq 1 100); do
			[ -f "$R/ready" ] && return 0
			kill -0 "$RECV" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$RECV" 2>/dev/null || true
		wait "$RECV" 2>/dev/null || true
		RECV=
		sleep 0.2
	done
	echo "FAIL: the receiver did not start"
	cat "$T/recv.err"
	exit 1
}
recv_down() {
	kill -KILL "$RECV" 2>/dev/null || true
	wait "$RECV" 2>/dev/null || true
	RECV=
}

recv_up
"$VIGIL" sharing dest add --data "$D" nmc \
	"{\"sink\":\"https\",\"url\":\"https://localhost:$HP/intake\",\"ca\":\"$P/ca.crt\",\"token_file\":\"$R/token\",\"batch\":4,\"timeout_ms\":3000}" \
	'{"streams":["alerts","events"],"events":{"layers":["host"],"datasets":["sshd"],"max_per_second":1000},"fields":{"user.name":"pseudonymise"}}' \
	>/dev/null
pol=$("$VIGIL" sharing policy show --data "$D" nmc)
check "the canonical policy shows the events selection ($pol)" \
	test "$(jq -c .events <<<"$pol")" = '{"layers":["host"],"datasets":["sshd"],"categories":[],"outcomes":[],"max_per_second":1000}'
start_server "$D"

# ssh N USER: a failed sshd login; the port number N orders them (and a
# source address per line keeps the SSH correlation rules quiet)
ssh_line() {
	logger --tcp --rfc5424 -n 127.0.0.1 -P "$SYSLOG_PORT" -t sshd -p auth.info --id=4242 \
		"Failed password for $2 from 203.0.113.$(($1 - 50000)) port $1 ssh2"
}
cron_line() {
	logger --tcp --rfc5424 -n 127.0.0.1 -P "$SYSLOG_PORT" -t CRON -p cron.info --id=77 \
		"(root) CMD (run-parts /etc/cron.hourly $1)"
}
useradd_line() {
	logger --tcp --rfc5424 -n 127.0.0.1 -P "$SYSLOG_PORT" -t useradd -p authpriv.info --id=78 \
		"new user: name=$1, UID=2001, GID=100, home=/home/$1, shell=/bin/bash, from=/dev/pts/0"
}
lines() { cat "$R/lines.ndjson" 2>/dev/null || true; }
count_ids() { lines | jq -r .id | sort -u | wc -l; }
wait_ids() { # N TIMEOUT_S: until N distinct ids arrived
	local end=$((SECONDS + $2))
	while [ "$(count_ids)" -lt "$1" ]; do
		[ $SECONDS -ge $end ] && { echo "only $(count_ids) of $1 items arrived"; return 1; }
		sleep 0.2
	done
}
status() { "$VIGIL" sharing status --json --data "$D" 2>/dev/null; }
wait_status() { # JQ-CONDITION on nmc, TIMEOUT_S
	local end=$((SECONDS + $2))
	until [ "$(status | jq -r ".destinations[] | select(.name == \"nmc\") | $1")" = true ]; do
		[ $SECONDS -ge $end ] && { echo "nmc: $1 is not true: $(status | jq -c .)"; return 1; }
		sleep 0.3
	done
}
# the installation's pseudonym of a value: "pn:" + HMAC-SHA256 (first 128 bits)
pseudo() {
	printf '%s' "$1" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(xxd -p -c 64 "$D/share/pseudonym.key")" |
		awk '{ print "pn:" substr($NF, 1, 32) }'
}

# --- 1. selected events and an alert ---
USERS=(root admin oracle root test)
for i in 0 1 2; do ssh_line $((50001 + i)) "${USERS[$i]}"; done
cron_line 1
useradd_line evuser
cron_line 2
for i in 3 4; do ssh_line $((50001 + i)) "${USERS[$i]}"; done
check "1: 5 events and 1 alert arrive" wait_ids 6 60
sleep 1.5 # anything else (it must not come) would arrive by now
lines >"$T/got1.ndjson"
check "1: exactly 6 items, each id once" test "$(wc -l <"$T/got1.ndjson")" = 6
check "1: kinds: 5 events and 1 alert, nothing else" \
	test "$(jq -r .kind "$T/got1.ndjson" | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" = "alert=1 event=5 "
check "1: seq 1..6 in arrival order" test "$(jq -r .seq "$T/got1.ndjson" | tr '\n' ' ')" = "1 2 3 4 5 6 "
ev_ports=$(jq -r 'select(.kind == "event") | .data.event.original' "$T/got1.ndjson" | sed -n 's/.* port \([0-9]*\) ssh2.*/\1/p' | tr '\n' ' ')
check "1: the events arrived in the order sent ($ev_ports)" test "$ev_ports" = "50001 50002 50003 50004 50005 "
check "1: event ids are event-<server start hex>-<n>, n increasing" \
	test "$(jq -r 'select(.kind == "event") | .id' "$T/got1.ndjson" | awk -F- '$1 == "event" && $2 ~ /^[0-9a-f]+$/ && $3 > last { ok++; last = $3 } END { print ok + 0 }')" = 5
want_users=""
for u in "${USERS[@]}"; do want_users+="$(pseudo "$u") "; done
got_users=$(jq -r 'select(.kind == "event") | .data.user.name' "$T/got1.ndjson" | tr '\n' ' ')
check "1: user.name is the installation's pseudonym of each user" test "$got_users" = "$want_users"
check "1: the same user, the same pseudonym" \
	test "$(jq -r 'select(.kind == "event") | .data.user.name' "$T/got1.ndjson" | sed -n '1p;4p' | uniq | wc -l)" = 1
check "1: the events are the sshd events of the host layer" \
	test "$(jq -r 'select(.kind == "event") | "\(.data.process.name) \(.data.vigil.layer) \(.data.event.outcome)"' "$T/got1.ndjson" | sort -u)" = "sshd host failure"
check "1: the source address is kept (no internal_ips rule)" \
	test "$(jq -r 'select(.kind == "event") | .data.source.ip' "$T/got1.ndjson" | tr '\n' ' ')" = "203.0.113.1 203.0.113.2 203.0.113.3 203.0.113.4 203.0.113.5 "
check "1: no cron or useradd line was shared as an event" \
	test "$(jq -r 'select(.kind == "event") | .data.event.original' "$T/got1.ndjson" | grep -c -E 'CMD|new user' || true)" = 0
check "1: the alert is the useradd rule's (alert-ID; user.target.name is not user.name)" \
	test "$(jq -r 'select(.kind == "alert") | "\(.id | test("^alert-[0-9]+$")) \(.data.rule.title) \(.data.user.target.name)"' "$T/got1.ndjson")" = "true Local User Account Created evuser"
check "1: status: backlog 0, acked 6, nothing throttled" \
	wait_status '.backlog == 0 and .acked_seq == 6 and .events_throttled == 0' 20
check "1: /metrics shows the destination's throttled events (0)" \
	wait_metric 'vigil_share_events_throttled_total{destination="nmc"}' -eq 0 15

# --- 2. kill -9 while the receiver is down ---
recv_down
for i in 5 6 7 8; do ssh_line $((50001 + i)) root; done
cron_line 3
check "2: 4 selected events wait in the outbox" wait_status '.backlog == 4 and .last_seq == 10' 30
stop_server KILL
check "2: the server died by SIGKILL" test "$SRV_RC" = 137
recv_up "$HP"
start_server "$D"
check "2: after the restart all 10 items arrive" wait_ids 10 60
sleep 1.5
lines >"$T/got2.ndjson"
check "2: each id once (10 lines)" test "$(wc -l <"$T/got2.ndjson")" = 10
check "2: the crash window's users are pseudonymised too" \
	test "$(jq -r 'select(.kind == "event") | .data.user.name' "$T/got2.ndjson" | tail -4 | sort -u)" = "$(pseudo root)"
check "2: seq 1..10 in order" test "$(jq -r .seq "$T/got2.ndjson" | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 10 "
ev_ports=$(jq -r 'select(.kind == "event") | .data.event.original' "$T/got2.ndjson" | sed -n 's/.* port \([0-9]*\) ssh2.*/\1/p' | tail -4 | tr '\n' ' ')
check "2: the 4 events of the crash window, in order ($ev_ports)" test "$ev_ports" = "50006 50007 50008 50009 "
check "2: still only events and the one alert" \
	test "$(jq -r .kind "$T/got2.ndjson" | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" = "alert=1 event=9 "

# --- 3. the policy changes while the server runs ---
"$VIGIL" sharing policy set --data "$D" nmc '{"streams":["alerts"]}' >/dev/null
sleep 0.5
ssh_line 50100 late
useradd_line evuser2
check "3: the new alert arrives" wait_ids 11 60
sleep 1.5
lines >"$T/got3.ndjson"
check "3: and no event after the policy dropped the stream" \
	test "$(jq -r .kind "$T/got3.ndjson" | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" = "alert=2 event=9 "

stop_server TERM
check "the server stopped cleanly" test "$SRV_RC" = 0
echo "test_share_events: $pass passed, $fails failed"
[ "$fails" = 0 ]
