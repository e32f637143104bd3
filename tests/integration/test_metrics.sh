#!/usr/bin/env bash
# GET /metrics of `vigil server` (docs/api.md), over HTTPS verified with
# DIR/pki/ca.crt, after controlled traffic: 6 datagrams over syslog UDP (one
# of them unparseable), 7 lines over syslog TCP, 12 sshd failures from one
# source among them (one correlation alert), and an enrolled agent shipping a
# file of 50 lines, 2 of them SQL injections (rule alerts). Each count is
# checked exactly against what was sent or archived (metrics are refreshed
# about once a second: polled); the agent gauge drops to 0 when it stops.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in jq curl; do command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }; done
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
SQLI=d3f7f396-885e-4d58-949b-2a8e73ab24f0
BRUTE=be57ed61-fa18-403d-a898-74ba3a94fdb8

D=$T/server
start_server "$D"

# TLS: the server's certificate chains to DIR/pki/ca.crt, and only to it
set +e
curl -sS -o /dev/null --max-time 10 "https://127.0.0.1:$API_PORT/metrics" 2>/dev/null
rc=$?
set -e
check "without the CA, curl refuses the certificate (rc 60, got $rc)" test "$rc" = 60
check "with the CA, /metrics answers" metrics >"$T/m0"
check "no events yet" test "$(grep -c '^vigil_events_received_total{' "$T/m0" || true)" = 0
ct=$(curl -sS -o /dev/null -w '%{content_type}' --cacert "$D/pki/ca.crt" "https://127.0.0.1:$API_PORT/metrics")
check "Prometheus text format 0.0.4 ($ct)" test "$ct" = "text/plain; version=0.0.4; charset=utf-8"

ts() { date -u +%Y-%m-%dT%H:%M:%S.000Z; }
fail_line() { echo "<38>1 $(ts) web-1 sshd 4242 - - Failed password for root from 203.0.113.77 port $1 ssh2"; }
# syslog UDP: 5 sshd failures, then one datagram of binary garbage (unparsed)
for p in 1 2 3 4 5; do
	fail_line "4000$p" >"/dev/udp/127.0.0.1/$SYSLOG_PORT"
	sleep 0.05
done
printf '\x01\x02\x03 \xff\xfe not syslog\n' >"/dev/udp/127.0.0.1/$SYSLOG_PORT"
# syslog TCP: 7 failures in one connection (12 in all: one correlation alert)
exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
for p in 1 2 3 4 5 6 7; do fail_line "4100$p" >&3; done
exec 3>&-

# an agent, one file of 50 lines (2 SQL injections) written before it starts
mkdir -p "$T/logs"
awk 'BEGIN { for (i = 1; i <= 50; i++) {
	if (i % 25 == 0)
		printf "198.51.100.%d - - [21/Nov/2026:12:00:00 +0000] \"GET /item.php?id=1%%27%%20UNION%%20SELECT%%20password%%20FROM%%20users--+seq=%d HTTP/1.1\" 200 512 \"-\" \"curl/8.0\"\n", i, i
	else
		printf "Nov 21 12:00:00 web-1 app[4242]: order processed seq=%d\n", i
} }' >"$T/logs/app.log"
printf 'heartbeat_interval: 1h\n' >"$T/agent.yml"
TOKEN=$("$VIGIL" agents token --data "$D")
start_agent "$T/agent" web-1 -c "$T/agent.yml" --enroll "$TOKEN" --tail "$T/logs/app.log"
check "agent connected" wait_log "$T/agent-web-1.log" "connected to" 15
check "50 agent lines archived" wait_for_count "$D" '"input":"agent","layer":"\(host\|application\)"' 50 30
check "13 syslog events archived" wait_for_count "$D" '"input":"syslog-' 13 30

"$VIGIL" events export --data "$D" >"$T/ev.ndjson"
NAGENT=$(jq -r 'select(.vigil.input == "agent") | 1' "$T/ev.ndjson" | wc -l)
NHB=$(jq -r 'select(.event.dataset == "vigil.agent.heartbeat") | 1' "$T/ev.ndjson" | wc -l)
check "agent events are the 50 lines and its heartbeats ($NHB)" test "$NAGENT" = $((50 + NHB))

check "received, syslog-udp: 6" metric_settles 'vigil_events_received_total{input="syslog-udp"}' 6
check "unparsed, syslog-udp: 1" metric_settles 'vigil_events_unparsed_total{input="syslog-udp"}' 1
check "received, syslog-tcp: 7" metric_settles 'vigil_events_received_total{input="syslog-tcp"}' 7
check "unparsed, syslog-tcp: 0" metric_settles 'vigil_events_unparsed_total{input="syslog-tcp"}' 0
check "received, agent: $NAGENT" metric_settles 'vigil_events_received_total{input="agent"}' "$NAGENT"
check "agent records: $NAGENT" metric_settles vigil_agent_records_total "$NAGENT"
check "agent batches >= 1" wait_metric vigil_agent_batches_total -ge 1 5
check "agent duplicates: 0" metric_settles vigil_agent_duplicates_total 0
check "agents connected: 1" metric_settles vigil_agents_connected 1
check "syslog TCP connections: 1" metric_settles vigil_syslog_connections_total 1

# alerts: as in the database
"$VIGIL" alerts export --data "$D" >"$T/al.ndjson"
NCORR=$(jq -r 'select(.correlation != null) | 1' "$T/al.ndjson" | wc -l)
NRULE=$(jq -r 'select(.correlation == null) | 1' "$T/al.ndjson" | wc -l)
check "one SQL-injection alert per SQL-injection line" test "$(jq -r "select(.rule.id == \"$SQLI\") | 1" "$T/al.ndjson" | wc -l)" = 2
check "one brute-force correlation alert" test "$(jq -r "select(.rule.id == \"$BRUTE\") | 1" "$T/al.ndjson" | wc -l)" = 1
check "alerts: $NRULE, as in the database" metric_settles vigil_alerts_total "$NRULE"
check "correlation alerts: $NCORR (1)" metric_settles vigil_correlation_alerts_total "$NCORR"
check "nothing failed" metric_settles vigil_events_failed_total 0
check "parsed per input = received - unparsed (udp)" metric_settles 'vigil_events_parsed_total{input="syslog-udp"}' 5
check "nothing failed per input (tcp)" metric_settles 'vigil_events_input_failed_total{input="syslog-tcp"}' 0
check "no alert errors" metric_settles vigil_alert_errors_total 0

bytes=$(metric vigil_archive_bytes)
check "archive bytes > 0 ($bytes)" test "${bytes:-0}" -gt 0
check "archive segments >= 1" wait_metric vigil_archive_segments -ge 1 5
check "nothing left uncommitted" metric_settles vigil_ingest_uncommitted_events 0
check "the scrapes themselves are counted (2xx)" wait_metric 'vigil_http_requests_total{code="2xx"}' -ge 3 5
metrics >"$T/m1"
check "every sample has HELP and TYPE" \
	test -z "$(awk '/^# TYPE /{t[$3]=1} /^[a-z]/{n=$1; sub(/\{.*/, "", n); if (!(n in t)) print n}' "$T/m1")"

# the gauge follows the agent
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
check "agents connected: 0 after the agent stopped" metric_settles vigil_agents_connected 0

stop_server TERM
check "SIGTERM exits 0" test "$SRV_RC" = 0
check "the stop summary agrees" grep -q "stopping: $((13 + NAGENT)) events (1 unparsed, " "$STOPPED_LOG"
echo "test_metrics: $pass passed, $fails failed"
if [ "$fails" != 0 ]; then
	echo "--- server log"; tail -n 20 "$STOPPED_LOG" || true
	echo "--- metrics"; grep -v '^#' "$T/m1" || true
fi
[ "$fails" = 0 ]
