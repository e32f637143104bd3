#!/usr/bin/env bash
# Sharing over STIX 2.1 / TAXII 2.1 from the real server: a destination with
# sink "taxii" pointing at the project's test TAXII receiver (which answers
# 429 first and keeps status resources pending for a few polls);
# sudo refusals sent over syslog become alerts; every alert arrives as a
# sighting of an indicator exactly once (de-duplicated ids), every object is
# STIX 2.1, the POST bodies carry a verifiable signature, and the status shows
# the destination drained.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
: "${VG_TAXII_RECEIVER:?path to vigil_taxii_receiver}"
command -v jq >/dev/null || { echo "FAIL: jq not installed"; exit 1; }
T=$(mktemp -d)
RX=
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "$RX" ] && kill -KILL "$RX" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib/server.bash"
wait_for_alerts() { # DIR N TIMEOUT_S
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		[ "$("$VIGIL" alerts export --data "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.3
	done
	return 1
}

# the receiver's certificate from its own CA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=rx-ca \
	-keyout "$T/rxca.key" -out "$T/rxca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$T/rx.key" -out "$T/rx.csr" 2>/dev/null
openssl x509 -req -in "$T/rx.csr" -CA "$T/rxca.crt" -CAkey "$T/rxca.key" -CAcreateserial -days 2 \
	-copy_extensions copy -out "$T/rx.crt" 2>/dev/null
chmod 600 "$T/rx.key"
"$VG_TAXII_RECEIVER" --cert "$T/rx.crt" --key "$T/rx.key" --port 0 --port-file "$T/rx.port" \
	--record "$T/objects.ndjson" --log "$T/rx.log" --bodies "$T/bodies" --fail-429 1 --retry-after 1 \
	--pending-polls 2 --token s3cr3t-taxii-token 2>"$T/rx.err" &
RX=$!
for _ in $(seq 1 100); do [ -s "$T/rx.port" ] && break; sleep 0.05; done
RXPORT=$(cat "$T/rx.port")

D=$T/server
printf 's3cr3t-taxii-token\n' >"$T/token"
chmod 600 "$T/token"
start_server "$D"
"$VIGIL" sharing dest add ncsc \
	"{\"sink\":\"taxii\",\"url\":\"https://127.0.0.1:$RXPORT/taxii2/\",\"ca\":\"$T/rxca.crt\",\"token_file\":\"$T/token\",\"organisation\":\"Sở Thông tin và Truyền thông\",\"batch\":10}" \
	'{"streams":["alerts"],"min_level":"medium"}' --data "$D" >/dev/null
N=12
command -v logger >/dev/null || { echo "FAIL: logger (bsdutils) not installed"; exit 1; }
# the pack's sudo rule: one alert per line
for i in $(seq 1 $N); do
	logger --rfc5424 --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t sudo \
		"intruder$i : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/intruder$i ; USER=root ; COMMAND=/bin/sh"
done
check "$N alerts raised" wait_for_alerts "$D" $N 30

# every alert as one sighting (the receiver keeps one per id + modified)
for _ in $(seq 1 300); do
	[ "$(jq -s '[.[] | select(.type == "sighting")] | length' "$T/objects.ndjson" 2>/dev/null || echo 0)" -ge $N ] && break
	sleep 0.1
done
check "$N sightings arrived" test "$(jq -s '[.[] | select(.type == "sighting")] | length' "$T/objects.ndjson")" = $N
check "one indicator per distinct pattern, referenced by the sightings" \
	test "$(jq -s '[.[] | select(.type == "sighting") | .sighting_of_ref] | unique | length' "$T/objects.ndjson")" -ge 1
check "every object is STIX 2.1 with a type--uuid id" \
	test "$(jq -s '[.[] | select((.spec_version // "2.1") != "2.1" or (.id | test("^[a-z0-9-]+--[0-9a-f-]{36}$") | not))] | length' "$T/objects.ndjson")" = 0
check "the organisation is the identity" \
	test "$(jq -s '[.[] | select(.type == "identity" and .name == "Sở Thông tin và Truyền thông")] | length' "$T/objects.ndjson")" = 1
check "the receiver's 429 was honoured (one retried POST)" test "$(grep -c ' 429 ' "$T/rx.log")" = 1
check "status resources were polled" grep -q '^GET /api1/status/' "$T/rx.log"
# signature of the first POST body verifies with the exported public key
"$VIGIL" sharing pubkey --data "$D" >"$T/pub.pem"
sig=$(sed -n 1p "$T/bodies")
sed -n 2p "$T/bodies" | tr -d '\n' >"$T/body1"
sig64=$(sed -n 's/.*sig=\([^;]*\).*/\1/p' <<<"$sig")
[ -n "$sig64" ] || sig64=$(awk '{print $NF}' <<<"$sig")
echo "$sig64" | base64 -d >"$T/sig1" 2>/dev/null || true
check "POST body signature verifies (Ed25519)" \
	openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/body1" -sigfile "$T/sig1"
drained() {
	"$VIGIL" sharing status --json --data "$D" >"$T/status" 2>/dev/null || return 1
	[ "$(jq '[.destinations[] | select(.name == "ncsc") | .backlog + .dropped] | add' "$T/status")" = 0 ] &&
		[ "$(jq '[.destinations[] | select(.name == "ncsc") | .acked_seq] | add' "$T/status")" -ge $N ]
}
for _ in $(seq 1 100); do drained && break; sleep 0.2; done
check "destination drained (backlog 0, no drops, $N acknowledged)" drained
stop_server TERM
echo "taxii sharing: $pass passed, $fails failed"
[ "$fails" = 0 ]
