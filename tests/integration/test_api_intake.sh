#!/usr/bin/env bash
# POST /api/v1/events with curl (docs/api.md), the server's certificate
# verified with DIR/pki/ca.crt; users and tokens made with the CLI:
#   an ingest-scoped token posts 3 NDJSON lines (a Suricata EVE alert, an ECS
#   event, a message) -> 200 {"accepted":3}, archived with vigil.input "http";
#   an admin's token (scope all) may post too;
#   no token -> 401 + WWW-Authenticate; a wrong token -> 401 invalid_token;
#   an auditor's token -> 403 insufficient_scope; one bad line -> 400 naming
#   the line, nothing of that body archived; text/plain -> 415; GET -> 405;
#   a body over api.max_body (1 MiB from a -c config file) -> 413, while a
#   body just under it is accepted; the outcomes are counted in /metrics.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in jq curl; do command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }; done
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"

D=$T/server
printf 'api:\n  max_body: 1MiB\n' >"$T/server.yml"
start_server "$D" -c "$T/server.yml"

# users and tokens (passwords from stdin)
printf 'admin password 123\n' | "$VIGIL" users add boss --role admin --data "$D" 2>"$T/users.err"
printf 'auditor password 123\n' | "$VIGIL" users add reader --role auditor --data "$D" 2>>"$T/users.err"
INGEST=$("$VIGIL" users token boss --scope ingest --data "$D" 2>>"$T/users.err")
ALL=$("$VIGIL" users token boss --scope all --data "$D" 2>>"$T/users.err")
AUDIT=$("$VIGIL" users token reader --data "$D" 2>>"$T/users.err")
check "tokens created" test -n "$INGEST" -a -n "$ALL" -a -n "$AUDIT"

URL=https://127.0.0.1:$API_PORT/api/v1/events
# post BODY-FILE [curl args...]: prints the status; response headers in
# $T/h, body in $T/b; the content type is $CT (default NDJSON)
post() {
	local f=$1
	shift
	curl -sS -o "$T/b" -D "$T/h" -w '%{http_code}' --max-time 30 --cacert "$D/pki/ca.crt" \
		-H "Content-Type: ${CT:-application/x-ndjson}" "$@" --data-binary "@$f" "$URL" || true
}
header() { tr -d '\r' <"$T/h" | grep -i "^$1: " | head -1 | cut -d' ' -f2-; }
body_is() { test "$(cat "$T/b")" = "$1" || { echo "body: $(cat "$T/b")"; return 1; }; }
code_is() { test "$(jq -r .error.code "$T/b")" = "$1" || { echo "body: $(cat "$T/b")"; return 1; }; }

cat >"$T/three.ndjson" <<'EOF'
{"timestamp":"2026-11-21T10:00:00.000000+0000","flow_id":1234,"in_iface":"eth0","event_type":"alert","src_ip":"203.0.113.9","src_port":4444,"dest_ip":"10.0.0.5","dest_port":80,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root API-ONE","category":"Potentially Bad Traffic","severity":2}}
{"@timestamp":"2026-11-21T10:00:01Z","event":{"action":"logon","outcome":"success"},"user":{"name":"bob"},"host":{"name":"dc-1"},"message":"bob logged on API-TWO"}
{"@timestamp":"2026-11-21T10:00:02Z","message":"hello API-THREE"}
EOF
code=$(post "$T/three.ndjson" -H "Authorization: Bearer $INGEST")
check "ingest token: 200 (got $code)" test "$code" = 200
check "ingest token: {\"accepted\":3}" body_is '{"accepted":3}'
check "ingest token: JSON answer" test "$(header content-type)" = application/json
# the 200 comes after the commit: the events are there at once
"$VIGIL" events export --data "$D" >"$T/ev1.ndjson"
check "3 events archived" test "$(wc -l <"$T/ev1.ndjson")" = 3
check "tagged vigil.input http" test "$(jq -r .vigil.input "$T/ev1.ndjson" | sort | uniq -c | awk '{print $1, $2}')" = "3 http"
check "sender address kept" test "$(jq -r '.log.source.address' "$T/ev1.ndjson" | grep -c '^127\.0\.0\.1:[0-9]*$')" = 3
check "the EVE alert's fields kept" \
	test "$(jq -r 'select(tostring | test("API-ONE")) | [.source.ip, (.destination.port | tostring)] | join(" ")' "$T/ev1.ndjson")" = "203.0.113.9 80"
check "the ECS event's fields kept" \
	test "$(jq -r 'select(tostring | test("API-TWO")) | [.user.name, .event.action, ."@timestamp"] | join(" ")' "$T/ev1.ndjson")" = "bob logon 2026-11-21T10:00:01.000000Z"

printf '{"@timestamp":"2026-11-21T10:00:03Z","message":"from the admin API-FOUR"}\n' >"$T/one.ndjson"
code=$(post "$T/one.ndjson" -H "Authorization: Bearer $ALL")
check "admin token (scope all): 200 (got $code)" test "$code" = 200
check "admin token: {\"accepted\":1}" body_is '{"accepted":1}'

printf '{"message":"REFUSED-NOAUTH"}\n' >"$T/r1.ndjson"
code=$(post "$T/r1.ndjson")
check "no token: 401 (got $code)" test "$code" = 401
check "no token: WWW-Authenticate" test "$(header www-authenticate)" = 'Bearer realm="vigil"'
check "no token: code unauthorized" code_is unauthorized

printf '{"message":"REFUSED-BADTOKEN"}\n' >"$T/r2.ndjson"
code=$(post "$T/r2.ndjson" -H "Authorization: Bearer vgt_${INGEST#vgt_}x")
check "wrong token: 401 (got $code)" test "$code" = 401
check "wrong token: invalid_token" test "$(header www-authenticate)" = 'Bearer realm="vigil", error="invalid_token"'

printf '{"message":"REFUSED-AUDITOR"}\n' >"$T/r3.ndjson"
code=$(post "$T/r3.ndjson" -H "Authorization: Bearer $AUDIT")
check "auditor token: 403 (got $code)" test "$code" = 403
check "auditor token: insufficient_scope" \
	test "$(header www-authenticate)" = 'Bearer realm="vigil", error="insufficient_scope"'
check "auditor token: code forbidden" code_is forbidden

printf '%s\n' '{"message":"REFUSED-BADBODY 1"}' '' '{"message":"REFUSED-BADBODY 3", }' '{"message":"REFUSED-BADBODY 4"}' >"$T/r4.ndjson"
code=$(post "$T/r4.ndjson" -H "Authorization: Bearer $INGEST")
check "one bad line: 400 (got $code)" test "$code" = 400
check "one bad line: invalid_event" code_is invalid_event
check "one bad line: the line is named (3, counting the blank one)" \
	jq -e '.error.message | test("^line 3: ")' "$T/b" >/dev/null

printf '{"message":"REFUSED-CTYPE"}\n' >"$T/r5.ndjson"
code=$(CT=text/plain post "$T/r5.ndjson" -H "Authorization: Bearer $INGEST")
check "text/plain: 415 (got $code)" test "$code" = 415
check "text/plain: unsupported_media_type" code_is unsupported_media_type

code=$(curl -sS -o "$T/b" -D "$T/h" -w '%{http_code}' --cacert "$D/pki/ca.crt" \
	-H "Authorization: Bearer $INGEST" "$URL" || true)
check "GET: 405 (got $code)" test "$code" = 405
check "GET: Allow names POST" grep -qi '^allow: .*POST' "$T/h"

# api.max_body is 1 MiB: ~1.1 MiB is refused at once, just under 1 MiB accepted
awk 'BEGIN { for (i = 1; i <= 11000; i++) printf "{\"message\":\"REFUSED-BIG %06d padding-padding-padding-padding-padding-padding-padding-padding\"}\n", i }' >"$T/big.ndjson"
code=$(post "$T/big.ndjson" -H "Authorization: Bearer $INGEST")
check "body over 1 MiB ($(stat -c %s "$T/big.ndjson") bytes): 413 (got $code)" test "$code" = 413
check "over 1 MiB: body_too_large" code_is body_too_large
head -n 10000 "$T/big.ndjson" | sed 's/REFUSED-BIG/UNDER-LIMIT/' >"$T/under.ndjson"
code=$(post "$T/under.ndjson" -H "Authorization: Bearer $INGEST")
check "body under 1 MiB ($(stat -c %s "$T/under.ndjson") bytes): 200 (got $code)" test "$code" = 200
check "under 1 MiB: {\"accepted\":10000}" body_is '{"accepted":10000}'

"$VIGIL" events export --data "$D" >"$T/ev.ndjson"
check "4 + 10000 events archived in all" test "$(wc -l <"$T/ev.ndjson")" = 10004
check "nothing of the refused requests archived" test "$(grep -c 'REFUSED-' "$T/ev.ndjson" || true)" = 0
check "all under-limit events archived once" \
	test "$(jq -r '.message' "$T/ev.ndjson" | grep -o 'UNDER-LIMIT [0-9]*' | sort -u | wc -l)" = 10000

# the outcomes in /metrics (refreshed about once a second)
check "metrics: 10004 events accepted" metric_settles vigil_api_events_accepted_total 10004
check "metrics: 3 accepted requests" metric_settles 'vigil_api_events_requests_total{result="accepted"}' 3
check "metrics: 2 unauthorized" metric_settles 'vigil_api_events_requests_total{result="unauthorized"}' 2
check "metrics: 1 forbidden" metric_settles 'vigil_api_events_requests_total{result="forbidden"}' 1
check "metrics: 1 invalid" metric_settles 'vigil_api_events_requests_total{result="invalid"}' 1
check "metrics: 1 unsupported media type" metric_settles 'vigil_api_events_requests_total{result="unsupported_media_type"}' 1
check "metrics: events received over http" metric_settles 'vigil_events_received_total{input="http"}' 10004

stop_server TERM
check "SIGTERM exits 0" test "$SRV_RC" = 0
echo "test_api_intake: $pass passed, $fails failed"
if [ "$fails" != 0 ]; then
	echo "--- server log"; tail -n 20 "$STOPPED_LOG" || true
	cat "$T/users.err"
fi
[ "$fails" = 0 ]
