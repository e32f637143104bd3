#!/usr/bin/env bash
# Failure test 5 of the collection issue: "A client with no certificate, a
# self-signed one, and a revoked one: all refused; garbage and oversized
# frames on every port: the connection is closed, the server keeps serving
# the others." While an enrolled agent streams 20,000 lines (in chunks):
#   (a) a TLS client without a certificate (an enrolment attempt) sends a
#       HELLO-shaped frame and random bytes: the server closes the connection
#   (b) a self-signed client certificate: the handshake is refused
#   (c) an agent enrolled, then revoked (`vigil agents revoke`): refused, its
#       log says so, none of its lines is archived
#   (d) garbage and oversized frames on every port: raw bytes and a 2 GiB
#       frame header (valid agent certificate) on the agent port; a line over
#       64 KiB and a bad octet count on syslog TCP; plain text on syslog TLS;
#       raw bytes and a huge Content-Length on the API; garbage over UDP.
# Each refusal is counted (metrics, per probe; the stop summary). Then every
# line of the legitimate agent is archived exactly once, its one connection
# was never disturbed, a syslog message sent afterwards arrives and the
# server is alive.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in jq openssl curl; do command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }; done
LINES=${LINES:-20000}
T=$(mktemp -d)
WRITER=
B_PID=
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -n "$B_PID" ] && kill -KILL "$B_PID" 2>/dev/null
	[ -n "$WRITER" ] && kill -KILL "$WRITER" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"

D=$T/server
mkdir -p "$T/logs"
: >"$T/logs/app.log"
: >"$T/logs/b.log"
cat >"$T/agent.yml" <<YML
send:
  backoff_min: 100ms
  backoff_max: 500ms
heartbeat_interval: 1h
YML
REFUSED=vigil_agent_refused_total

WITH_SYSLOG_TLS=1 start_server "$D"
LOG=$T/server.log
# the legitimate agent
TOKEN=$("$VIGIL" agents token --data "$D")
start_agent "$T/agent-a" web-1 -c "$T/agent.yml" --enroll "$TOKEN" --tail "$T/logs/app.log"
A_PID=$AGENT_PID
check "legitimate agent connected" wait_log "$T/agent-web-1.log" "connected to" 15

writer() { # LINES lines, chunks of 200, ~15 s in all
	local i=1 to
	while [ $i -le "$LINES" ]; do
		to=$((i + 199))
		[ $to -gt "$LINES" ] && to=$LINES
		awk -v from=$i -v to=$to 'BEGIN { for (n = from; n <= to; n++)
			printf "Nov 21 12:00:00 web-1 app[4242]: order processed seq=%d payload=abcdefghijklmnopqrstuvwxyz\n", n }' \
			>>"$T/logs/app.log"
		i=$((to + 1))
		sleep 0.15
	done
}
writer &
WRITER=$!

# probe NAME SECONDS: was the connection closed by the server (not by our timeout)?
closed_by_server() { test "$1" != 124; }

# (a) no certificate: an enrolment attempt with a HELLO-shaped frame of the
# agent protocol and random bytes (not an enrolment message) -> closed
r0=$(metric $REFUSED)
set +e
{ printf '\x00\x00\x00\x15\x01\x01\x06web-01\x0bvigil 0.4.0'; head -c 512 /dev/urandom; sleep 1; } |
	timeout 12 openssl s_client -connect "127.0.0.1:$AGENT_PORT" -tls1_3 -quiet -CAfile "$D/pki/ca.crt" \
		>"$T/a.out" 2>&1
rc=$?
set -e
check "(a) no certificate + garbage: closed by the server" closed_by_server "$rc"
check "(a) enrolment refusal logged" wait_log "$LOG" "enrolment from 127.0.0.1:[0-9]* refused: " 5
check "(a) enrolment refusal counted in $REFUSED" metric_settles $REFUSED $((r0 + 1))

# (b) a self-signed certificate -> the handshake is refused (TLS 1.3: the
# client learns it at its first read, hence stdin stays open a second)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/self.key" -out "$T/self.crt" \
	-subj /CN=web-1 -days 1 2>/dev/null
r0=$(metric $REFUSED)
set +e
{ printf 'hello'; sleep 1; } | timeout 12 openssl s_client -connect "127.0.0.1:$AGENT_PORT" -tls1_3 -quiet \
	-CAfile "$D/pki/ca.crt" -cert "$T/self.crt" -key "$T/self.key" >"$T/b.out" 2>&1
rc=$?
set -e
check "(b) self-signed: s_client fails" test "$rc" != 0 -a "$rc" != 124
check "(b) self-signed: alert unknown ca" grep -q "alert unknown ca\|alert bad certificate" "$T/b.out"
check "(b) self-signed: counted" metric_settles $REFUSED $((r0 + 1))

# garbage: fixed leading bytes that are no TLS record header (random ones may
# start a plausible record, and the server rightly waits for the rest of it
# until its timeout), then random bytes
garbage() { printf 'GARBAGE \x01\x02\xff\x00\r\n'; head -c 4096 /dev/urandom; }

# (d) agent port: raw TCP garbage -> closed
r0=$(metric $REFUSED)
set +e
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$AGENT_PORT"; garbage >&3
  timeout 12 cat <&3 >/dev/null ) 2>/dev/null
rc=$?
set -e
check "(d) agent port, raw garbage: closed by the server" closed_by_server "$rc"
check "(d) agent port, raw garbage: counted" metric_settles $REFUSED $((r0 + 1))

# (d) agent port, a valid agent certificate (a probe agent, enrolled then
# stopped): HELLO, then a frame header announcing 2 GiB -> ERROR, closed
TOKEN=$("$VIGIL" agents token --data "$D")
"$VIGIL" agent --server "127.0.0.1:$AGENT_PORT" --data "$T/probe" --hostname probe -c "$T/agent.yml" \
	--enroll "$TOKEN" 2>"$T/probe.log" &
P=$!
wait_log "$T/probe.log" "connected to" 15 || true
kill -TERM $P 2>/dev/null || true
wait $P 2>/dev/null || true
check "probe agent enrolled" test -s "$T/probe/agent.crt"
r0=$(metric $REFUSED)
set +e
{ printf '\x00\x00\x00\x15\x01\x01\x06web-01\x0bvigil 0.4.0'; sleep 0.5
  printf '\x80\x00\x00\x00\x02'; head -c 1000 /dev/zero; sleep 1; } |
	timeout 12 openssl s_client -connect "127.0.0.1:$AGENT_PORT" -tls1_3 -quiet -CAfile "$D/pki/ca.crt" \
		-cert "$T/probe/agent.crt" -key "$T/probe/agent.key" >"$T/d.out" 2>&1
rc=$?
set -e
check "(d) agent port, 2 GiB frame: closed by the server" closed_by_server "$rc"
check "(d) agent port, 2 GiB frame: ERROR 'frame too large'" grep -aq "frame too large" "$T/d.out"
check "(d) agent port, 2 GiB frame: counted" metric_settles $REFUSED $((r0 + 1))

# (d) syslog TCP: a line over 64 KiB without a newline, a bad octet count
f0=$(metric vigil_syslog_frame_errors_total)
set +e
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
  { printf '<34>1 - web-1 sshd 1 - - OVERSIZED'; head -c 70000 /dev/zero | tr '\0' 'A'; } >&3
  timeout 12 cat <&3 >/dev/null ) 2>/dev/null
rc1=$?
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"; printf '12x BADCOUNT garbage\n' >&3
  timeout 12 cat <&3 >/dev/null ) 2>/dev/null
rc2=$?
set -e
check "(d) syslog TCP, oversized line: closed by the server" closed_by_server "$rc1"
check "(d) syslog TCP, bad octet count: closed by the server" closed_by_server "$rc2"
check "(d) syslog TCP: 2 framing errors counted" metric_settles vigil_syslog_frame_errors_total $((f0 + 2))

# (d) syslog TLS: plain text -> the handshake fails, closed
h0=$(metric vigil_syslog_tls_handshake_failures_total)
set +e
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_TLS_PORT"; printf '<34>1 - web-1 sshd 1 - - PLAINTEXT on TLS\n' >&3
  timeout 12 cat <&3 >/dev/null ) 2>/dev/null
rc=$?
set -e
check "(d) syslog TLS, plain text: closed by the server" closed_by_server "$rc"
check "(d) syslog TLS, plain text: counted" metric_settles vigil_syslog_tls_handshake_failures_total $((h0 + 1))

# (d) API: raw garbage -> closed; a huge Content-Length with a valid ingest
# token -> 413 at once (the body is never read)
set +e
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$API_PORT"; garbage >&3
  timeout 12 cat <&3 >/dev/null ) 2>/dev/null
rc=$?
set -e
check "(d) API, raw garbage: closed by the server" closed_by_server "$rc"
printf 'correct horse battery staple\n' | "$VIGIL" users add ingester --role admin --data "$D" 2>/dev/null
ITOKEN=$("$VIGIL" users token ingester --scope ingest --data "$D" 2>/dev/null)
x0=$(metric 'vigil_http_requests_total{code="4xx"}')
code=$(printf '{"message":"HUGE body"}\n' | curl -s -o "$T/huge.out" -w '%{http_code}' --max-time 15 \
	--cacert "$D/pki/ca.crt" -H "Authorization: Bearer $ITOKEN" -H 'Content-Type: application/x-ndjson' \
	-H 'Content-Length: 5000000000' --data-binary @- "https://127.0.0.1:$API_PORT/api/v1/events" || true)
check "(d) API, Content-Length 5 GB: 413 (got $code)" test "$code" = 413
check "(d) API, 413 names the limit" grep -q '"code":"body_too_large"' "$T/huge.out"
check "(d) API, 413 counted" metric_settles 'vigil_http_requests_total{code="4xx"}' $((x0 + 1))

# (d) UDP garbage: one datagram (kept as a raw event, as any unparsed text)
head -c 2000 /dev/urandom >"/dev/udp/127.0.0.1/$SYSLOG_PORT"

# (c) an agent enrolled, then revoked -> refused at its next handshake
TOKEN=$("$VIGIL" agents token --data "$D")
"$VIGIL" agent --server "127.0.0.1:$AGENT_PORT" --data "$T/agent-b" --hostname web-2 -c "$T/agent.yml" \
	--enroll "$TOKEN" --tail "$T/logs/b.log" 2>"$T/agent-b.log" &
B_PID=$!
check "(c) second agent connected" wait_log "$T/agent-b.log" "connected to" 15
kill -TERM "$B_PID" 2>/dev/null || true
wait "$B_PID" 2>/dev/null || true
B_PID=
B_ID=$(sed -n 's/.*enrolled with .* as agent \([0-9a-f]*\).*/\1/p' "$T/agent-b.log" | head -1)
check "(c) second agent has an id" test -n "$B_ID"
set +e
"$VIGIL" agents revoke "$B_ID" --data "$D" >"$T/revoke.out" 2>&1
rc=$?
set -e
check "(c) revoke exits 0" test "$rc" = 0
r0=$(metric $REFUSED)
for i in 1 2 3 4 5; do echo "Nov 21 12:00:00 web-2 app[1]: REVOKED-AGENT line $i" >>"$T/logs/b.log"; done
"$VIGIL" agent --server "127.0.0.1:$AGENT_PORT" --data "$T/agent-b" --hostname web-2 -c "$T/agent.yml" \
	--tail "$T/logs/b.log" 2>>"$T/agent-b.log" &
B_PID=$!
check "(c) revoked agent: its log says it was refused" wait_log "$T/agent-b.log" "refused: .*certificate revoked" 15
check "(c) revoked agent: refusals counted" wait_metric $REFUSED -gt "$r0" 15
kill -TERM "$B_PID" 2>/dev/null || true
wait "$B_PID" 2>/dev/null || true
B_PID=

# the legitimate agent's stream: every line exactly once
wait "$WRITER"
WRITER=
check "all $LINES lines archived" wait_for_count "$D" "order processed seq=" "$LINES" 120
"$VIGIL" events export --data "$D" >"$T/events.ndjson"
jq -r '.message // empty' "$T/events.ndjson" | grep -ao 'order processed seq=[0-9]*' | sort >"$T/seqs" || true
check "exactly $LINES distinct lines" test "$(sort -u "$T/seqs" | wc -l)" = "$LINES"
check "no line archived twice" test -z "$(uniq -d "$T/seqs" | head -5)"
check "the legitimate agent's lines come from it" \
	test "$(jq -r 'select(.message // "" | startswith("order processed")) | .agent.name + " " + .vigil.input' "$T/events.ndjson" | sort -u)" = "web-1 agent"
check "the legitimate agent connected once (never disturbed)" test "$(grep -c "connected to" "$T/agent-web-1.log")" = 1
check "none of the revoked agent's lines archived" test "$(grep -ac 'REVOKED-AGENT' "$T/events.ndjson" || true)" = 0
check "nothing of the refused syslog/API frames archived" \
	test "$(grep -ac 'OVERSIZED\|BADCOUNT\|PLAINTEXT\|HUGE body' "$T/events.ndjson" || true)" = 0

# still serving: a syslog message over TCP afterwards arrives
m="Accepted password for alice from 198.51.100.7 port 44000 ssh2 AFTER-REFUSALS"
exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
printf '<38>1 2026-11-21T12:00:00Z web-1 sshd 77 - - %s\n' "$m" >&3
exec 3>&-
check "a syslog message sent afterwards arrives" wait_for_count "$D" "AFTER-REFUSALS" 1 15
check "server alive" kill -0 "$SRV"
check "one agent connected at the end" metric_settles vigil_agents_connected 1
refused_final=$(metric $REFUSED)

kill -TERM "$A_PID" 2>/dev/null || true
wait "$A_PID" 2>/dev/null || true
AGENT_PID=
stop_server TERM
check "SIGTERM exits 0" test "$SRV_RC" = 0
S=$(grep "vigil server: stopping:" "$STOPPED_LOG" || true)
check "summary: udp 1 datagram" grep -q "udp 1 datagrams" <<<"$S"
check "summary: 3 tcp connections, 2 framing errors" grep -q "tcp 3 connections (0 refused, 2 framing errors)" <<<"$S"
check "summary: 1 tls connection, its handshake failed" \
	grep -q "tls 1 connections (1 handshakes failed, 0 of them timed out; 0 TLS errors)" <<<"$S"
check "summary: agent refusals as in the metrics ($refused_final)" grep -q "connections ($refused_final refused or failed)" <<<"$S"
check "summary: 3 agents enrolled" grep -q ", 3 enrolled" <<<"$S"

echo "test_fail_refusals: $pass passed, $fails failed"
if [ "$fails" != 0 ]; then
	echo "--- server log"; tail -30 "$STOPPED_LOG" 2>/dev/null || tail -30 "$LOG" || true
	echo "--- agent logs"; tail -n 5 "$T/agent-web-1.log" "$T/agent-b.log" || true
fi
[ "$fails" = 0 ]
