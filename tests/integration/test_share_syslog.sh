#!/usr/bin/env bash
# Sharing over syslog-TLS to a real rsyslog (imtcp, gtls driver, client
# certificates required): alerts stored in DIR/vigil.db reach rsyslog as
# octet-counted RFC 5424 messages, JSON and CEF, in seq order, once; every
# MSG verifies with `openssl pkeyutl` against `vigil sharing pubkey` (and a
# changed byte does not); the policy pseudonymises the user and internal IPs;
# while rsyslog is down nothing is lost (backlog and last error in `vigil
# sharing status`), and after it is back everything arrives in order; a
# receiver whose certificate is not from the configured CA gets nothing and
# the error names the certificate.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 0; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
command -v rsyslogd >/dev/null || { echo "SKIP: rsyslogd not installed"; exit 0; }
GTLS=$(find /usr/lib /usr/lib64 -name lmnsd_gtls.so 2>/dev/null | head -1 || true)
[ -n "$GTLS" ] || { echo "SKIP: rsyslog-gnutls not installed"; exit 0; }
"$VIGIL" help sharing >/dev/null 2>&1 || { echo "SKIP: this vigil has no sharing command"; exit 0; }

T=$(mktemp -d)
RS=
cleanup() {
	[ -n "$RS" ] && kill -KILL "$RS" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass=0
check() { # check NAME CONDITION...
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

# A CA, rsyslog's certificate (localhost) and vigil's client certificate;
# and a second, foreign CA for the wrong-certificate case.
P=$T/pki
mkdir -p "$P"
mkca() { # mkca NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$1.key" -out "$P/$1.crt" \
		-subj "/CN=$1" -days 2 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mkcert() { # mkcert NAME CA EXT
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "/CN=$1" 2>/dev/null
	printf '%s\n' "$3" >"$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.crt" -CAkey "$P/$2.key" -CAcreateserial -days 2 -out "$P/$1.crt" \
		-extfile "$P/$1.ext" 2>/dev/null
	chmod 600 "$P/$1.key"
}
mkca ca
mkca foreign
mkcert rsyslog ca "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
mkcert vigil ca "extendedKeyUsage=clientAuth,serverAuth"
mkcert fake foreign "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"

# rs_start CERTNAME: rsyslog receiving on a fixed port (chosen once) into $T/rs/out
RP=
rs_start() {
	local cert=$1 tries=20
	[ -n "$RP" ] && tries=1
	for _ in $(seq 1 $tries); do
		[ -n "$RP" ] && [ "$tries" = 1 ] || RP=$((20000 + RANDOM % 40000))
		mkdir -p "$T/rs"
		cat >"$T/rs/conf" <<-CONF
		global(workDirectory="$T/rs" maxMessageSize="64k"
		       DefaultNetstreamDriverCAFile="$P/ca.crt"
		       DefaultNetstreamDriverCertFile="$P/$cert.crt" DefaultNetstreamDriverKeyFile="$P/$cert.key")
		module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="x509/certvalid")
		input(type="imtcp" port="$RP" address="127.0.0.1" gnutlsPriorityString="NORMAL:-VERS-ALL:+VERS-TLS1.3")
		template(name="raw" type="string" string="%rawmsg%\n")
		action(type="omfile" file="$T/rs/out" template="raw")
		CONF
		rsyslogd -n -f "$T/rs/conf" -i "$T/rs/pid" 2>>"$T/rs/err" &
		RS=$!
		for _ in $(seq 1 100); do
			(exec 3<>"/dev/tcp/127.0.0.1/$RP") 2>/dev/null && return 0
			kill -0 "$RS" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$RS" 2>/dev/null || true
		wait "$RS" 2>/dev/null || true
		RS=
	done
	echo "FAIL: rsyslogd did not start"; cat "$T/rs/err"; exit 1
}
rs_stop() {
	kill -TERM "$RS"
	wait "$RS" 2>/dev/null || true
	RS=
}
# wait_lines N: until $T/rs/out has N lines (rsyslog writes asynchronously)
wait_lines() {
	for _ in $(seq 1 200); do
		[ "$(wc -l <"$T/rs/out" 2>/dev/null || echo 0)" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

D=$T/d
mkdir -p "$D"
check "pubkey prints a PEM public key" sh -c "'$VIGIL' sharing pubkey --data '$D' >'$T/pub.pem'"
check "the public key is Ed25519" sh -c "openssl pkey -pubin -in '$T/pub.pem' -text -noout | grep -q ED25519"
check "signing.key is 0600" test "$(stat -c %a "$D/share/signing.key")" = 600
check "a second pubkey prints the same key" sh -c "'$VIGIL' sharing pubkey --data '$D' | cmp -s - '$T/pub.pem'"

rs_start rsyslog
POLICY='{"streams":["alerts"],"min_level":"medium","fields":{"user.name":"pseudonymise"},"internal_ips":"pseudonymise"}'
for fmt in json cef; do
	"$VIGIL" sharing dest add --data "$D" "nmc-$fmt" \
		"{\"sink\":\"syslog\",\"format\":\"$fmt\",\"address\":\"127.0.0.1:$RP\",\"server_name\":\"localhost\",\"ca\":\"$P/ca.crt\",\"cert\":\"$P/vigil.crt\",\"key\":\"$P/vigil.key\",\"batch\":3}" \
		"$POLICY"
done
set +e
"$VIGIL" sharing dest add --data "$D" bad '{"sink":"syslog","address":"x:1","ca":"relative.crt"}' 2>"$T/bad"; rc=$?
set -e
check "a relative CA path is refused, naming the member" sh -c "[ $rc = 2 ] && grep -q '\"ca\" must be an absolute path' '$T/bad'"

# add_alerts FROM TO: alerts with CEF-hostile text, an internal IP and a user;
# the even ones are "low" (below the policy's minimum level)
add_alerts() {
	local sql="BEGIN;"
	for i in $(seq "$1" "$2"); do
		local lvl=high
		[ $((i % 2)) = 0 ] && lvl=low
		sql+="INSERT INTO alerts(ts_us, rule_id, rule_title, level, host, source_ip, is_correlation, doc) VALUES(1763700000000000, 'r-$i', 'Brute|force = x\\y', '$lvl', 'web-1', '192.168.1.5', 0, '{\"@timestamp\":\"2026-11-21T10:00:00.000000Z\",\"host\":{\"name\":\"web-1\"},\"source\":{\"ip\":\"192.168.1.5\"},\"user\":{\"name\":\"alice\"},\"message\":\"Failed password for root from 192.168.1.5 n=$i\",\"rule\":{\"id\":\"r-$i\",\"title\":\"Brute|force = x\\\\y\",\"level\":\"$lvl\",\"tags\":[\"attack.t1110\"]}}');"
	done
	sqlite3 "$D/vigil.db" "$sql COMMIT;"
}
add_alerts 1 10
set +e
"$VIGIL" sharing flush --data "$D" >"$T/flush1" 2>&1; rc=$?
set -e
check "flush delivers everything (exit 0)" test "$rc" = 0
check "flush reports 10 items (5 alerts x 2 destinations)" grep -q "queued 10, sent 10, dropped 0" "$T/flush1"
check "rsyslog received 10 messages" wait_lines 10

# verify OUT: every line's MSG against its vigilsig SD-ELEMENT; also prints
# "id seq" per destination format into $T/ids.json / $T/ids.cef
verify() {
	local n=0 bad=0 line sig msg
	: >"$T/ids.json"; : >"$T/ids.cef"
	while IFS= read -r line; do
		n=$((n + 1))
		sig=${line#*sig=\"}; sig=${sig%%\"*}
		msg=${line#*seq=\"*\"\] }
		printf '%s' "$msg" >"$T/m.bin"
		printf '%s' "$sig" | openssl base64 -d -A >"$T/s.bin"
		openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/m.bin" -sigfile "$T/s.bin" >/dev/null 2>&1 ||
			{ bad=$((bad + 1)); echo "bad signature: $line" >&2; }
		local id=${line#*\[vigil@32473 id=\"}; id=${id%%\"*}
		local seq=${line#*\[vigil@32473 id=\"*\" seq=\"}; seq=${seq%%\"*}
		case "$msg" in
		CEF:*) echo "$id $seq" >>"$T/ids.cef" ;;
		*) echo "$id $seq" >>"$T/ids.json" ;;
		esac
	done <"$T/rs/out"
	[ "$n" -gt 0 ] && [ "$bad" = 0 ]
}
check "every message's signature verifies with openssl" verify
printf 'alert-%s %s\n' 1 1 3 2 5 3 7 4 9 5 >"$T/want"
check "JSON messages: the high alerts, in order, seq 1..5" cmp -s "$T/ids.json" "$T/want"
check "CEF messages: the same ids and seqs" cmp -s "$T/ids.cef" "$T/want"

# a changed byte must not verify (the check above can fail)
line=$(grep -m1 'CEF:0' "$T/rs/out")
sig=${line#*sig=\"}; sig=${sig%%\"*}
msg=${line#*seq=\"*\"\] }
printf '%s' "${msg/Vigil/Vigik}" >"$T/m.bin"
printf '%s' "$sig" | openssl base64 -d -A >"$T/s.bin"
check "a tampered message does not verify" sh -c "! openssl pkeyutl -verify -pubin -inkey '$T/pub.pem' -rawin -in '$T/m.bin' -sigfile '$T/s.bin' >/dev/null 2>&1"

# framing and content
check "RFC 5424 header: local0 severity err, version 1, app vigil, msgid alert" \
	sh -c "grep -c '^<131>1 [0-9T:.-]*Z [^ ]* vigil - alert \[vigilsig@32473 alg=\"ed25519\" keyid=\"sha256:' '$T/rs/out' | grep -qx 10"
check "CEF header escapes | and \\ in the rule title" grep -qF 'CEF:0|Vigil|vigil|' "$T/rs/out"
check "CEF header field: Brute\\|force = x\\\\y" grep -qF '|r-1|Brute\|force = x\\y|8|' "$T/rs/out"
check "CEF extension: the internal IP in free text is pseudonymised" grep -qF 'msg=Failed password for root from ip:' "$T/rs/out"
check "CEF extension escapes = in values (n\\=1)" grep -qF ' n\=1' "$T/rs/out"
check "JSON payload: id, seq, kind, data" sh -c "grep -o '{\"v\":1.*' '$T/rs/out' | head -1 | jq -e '.id == \"alert-1\" and .seq == 1 and .kind == \"alert\" and .data.rule.id == \"r-1\"' >/dev/null"
check "the user name never left" sh -c "! grep -q alice '$T/rs/out'"
check "the internal IP never left" sh -c "! grep -q '192\\.168\\.1\\.5' '$T/rs/out'"
check "user.name became a stable pseudonym" sh -c "grep -o '\"user\":{\"name\":\"pn:[0-9a-f]*\"}' '$T/rs/out' | sort -u | wc -l | grep -qx 1"

# the receiver is away: nothing is lost, the error is shown
rs_stop
add_alerts 11 20
set +e
"$VIGIL" sharing flush --data "$D" >"$T/flush2" 2>&1; rc=$?
set -e
check "flush with the receiver down exits 1" test "$rc" = 1
check "the failure is reported" grep -q "destination nmc-json: connect to 127.0.0.1:$RP: Connection refused (transient" "$T/flush2"
"$VIGIL" sharing status --data "$D" --json >"$T/st2"
check "status: backlog 5 per destination" sh -c "jq -e '[.destinations[].backlog] == [5,5]' '$T/st2' >/dev/null"
check "status: last error names the receiver" sh -c "jq -e '.destinations[0].last_error | test(\"127.0.0.1:$RP\")' '$T/st2' >/dev/null"
check "status: sent in the last hour 5" sh -c "jq -e '[.destinations[].sent_1h] == [5,5]' '$T/st2' >/dev/null"
check "status: lag is measured" sh -c "jq -e '.destinations[0].lag_s > 0' '$T/st2' >/dev/null"
"$VIGIL" sharing status --data "$D" >"$T/st2.txt"
check "status text shows the backlog" grep -q "backlog        5 items" "$T/st2.txt"

rs_start rsyslog
set +e
"$VIGIL" sharing flush --data "$D" >"$T/flush3" 2>&1; rc=$?
set -e
check "after the receiver is back, flush delivers (exit 0)" test "$rc" = 0
check "rsyslog has 20 messages" wait_lines 20
check "all signatures still verify" verify
printf 'alert-%s %s\n' 1 1 3 2 5 3 7 4 9 5 11 6 13 7 15 8 17 9 19 10 >"$T/want"
check "JSON: every high alert once, in order" cmp -s "$T/ids.json" "$T/want"
check "CEF: every high alert once, in order" cmp -s "$T/ids.cef" "$T/want"

# a receiver with a certificate from another CA: nothing is sent
rs_stop
rs_start fake
: >"$T/rs/out"
add_alerts 21 21
set +e
"$VIGIL" sharing flush --data "$D" >"$T/flush4" 2>&1; rc=$?
set -e
check "wrong receiver certificate: flush exits 1" test "$rc" = 1
check "wrong receiver certificate: the error says so" grep -q "certificate verify failed" "$T/flush4"
sleep 0.3
check "wrong receiver certificate: nothing received" test ! -s "$T/rs/out"
"$VIGIL" sharing status --data "$D" --json >"$T/st4"
check "wrong receiver certificate: the item waits in the outbox" sh -c "jq -e '[.destinations[].backlog] == [1,1]' '$T/st4' >/dev/null"
rs_stop

echo "test_share_syslog: $pass passed, $fails failed"
[ "$fails" = 0 ]
