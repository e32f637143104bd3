#!/usr/bin/env bash
# Agent enrolment administered over the API (away from the server's host):
# `vigil agents token --server URL` gets a one-time token from a running
# server with an admin's API token; an agent enrols with it and delivers;
# `vigil agents revoke --server URL ID` revokes it and its next connection is
# refused; an analyst's token gets 403; both actions are in the audit log.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v jq >/dev/null || { echo "FAIL: jq not installed"; exit 1; }
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib/server.bash"
D=$T/server
start_server "$D"
printf 'admin-password-123\n' | "$VIGIL" users add root --role admin --data "$D" >/dev/null
printf 'analyst-password-123\n' | "$VIGIL" users add ana --role analyst --data "$D" >/dev/null
ADMIN=$("$VIGIL" users token root --data "$D" | tail -1)
ANALYST=$("$VIGIL" users token ana --data "$D" | tail -1)
export VIGIL_CACERT=$D/pki/ca.crt
URL=https://127.0.0.1:$API_PORT

set +e
"$VIGIL" agents token --server "$URL" --token "$ANALYST" >"$T/out" 2>"$T/err"; rc=$?
set -e
check "an analyst cannot create enrolment tokens (exit 2)" test "$rc" = 2
check "the refusal names 403" grep -q "403" "$T/err"

TOKEN=$("$VIGIL" agents token --server "$URL" --token "$ADMIN" --ttl 600)
check "token printed" grep -Eq '^[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$' <<<"$TOKEN"
mkdir -p "$T/logs"
printf 'Nov 21 12:00:00 h1 app[1]: hello over the api-enrolled agent %d\n' 1 2 3 >"$T/logs/a.log"
start_agent "$T/agent" h1 --enroll "$TOKEN" --tail "$T/logs/a.log"
check "agent delivered" wait_for_count "$D" "api-enrolled agent" 3 30
ID=$(sed -n 's/.*enrolled with .* as agent \([0-9a-f]*\).*/\1/p' "$T/agent-h1.log" | head -1)
check "agent id known" test -n "$ID"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=

OUT=$("$VIGIL" agents revoke --server "$URL" --token "$ADMIN" "$ID")
check "revoked over the API" grep -q "revoked 1 certificate(s) of agent $ID" <<<"$OUT"
set +e
"$VIGIL" agents revoke --server "$URL" --token "$ADMIN" ffffffffffffffff >/dev/null 2>"$T/err"; rc=$?
set -e
check "unknown agent: exit 2, 404" test "$rc" = 2 -a -n "$(grep 404 "$T/err")"

printf 'Nov 21 12:00:01 h1 app[1]: after revocation\n' >>"$T/logs/a.log"
mv "$T/agent-h1.log" "$T/agent-h1.before-revocation.log"
start_agent "$T/agent" h1 --tail "$T/logs/a.log"
# the server refuses the handshake ("refused: ... certificate revoked"); an
# attempt may instead see only the reset connection, and the agent retries
check "revoked agent refused" wait_log "$T/agent-h1.log" "refused: .*certificate revoked" 30
check "nothing from the revoked agent" test "$(archived_count "$D" 'after revocation')" = 0
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=

curl -s --cacert "$VIGIL_CACERT" -H "Authorization: Bearer $ADMIN" "$URL/api/v1/audit?limit=100" >"$T/audit"
check "token creation audited" test "$(jq '[.items[] | select(.action == "agent.token")] | length' "$T/audit")" = 1
check "revocation audited" test "$(jq --arg id "$ID" '[.items[] | select(.action == "agent.revoke" and .object_id == $id)] | length' "$T/audit")" = 1
# -F -e: the secret is base64url and may start with '-' (grep read it as options)
check "no token in the audit log" test "$(grep -c -F -e "${TOKEN#*.}" "$T/audit" || true)" = 0
stop_server TERM
echo "agents over the API: $pass passed, $fails failed"
[ "$fails" = 0 ]
