#!/usr/bin/env bash
# vigil server, syslog over TLS (RFC 5425, --listen-syslog-tls): the CA and
# server certificate are created in DIR/pki; `openssl s_client -tls1_3`
# sends octet-counted and LF-framed messages, archived exactly once as
# vigil.input "syslog-tls"; a TLS 1.2 client, plain text, a certificate from
# another CA and a silent peer (handshake timeout) lose only their own
# connection; --syslog-tls-require-client-cert refuses a client without a
# certificate and accepts one issued by vigil's CA; rsyslog omfwd over TLS
# (gtls driver, octet-counted) when rsyslogd and rsyslog-gnutls are installed.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 0; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
T=$(mktemp -d)
SRV=
RS=
cleanup() {
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "$RS" ] && kill -KILL "$RS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass=0
check() { # check NAME CONDITION...
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}

# usage errors
set +e
"$VIGIL" server --data "$T/u" --syslog-tls-require-client-cert 2>"$T/uerr"; rc=$?
set -e
check "--syslog-tls-require-client-cert alone is a usage error" test "$rc" = 2

# start DATA [FLAGS...]: the server on two free ports (random, with retries);
# sets SRV, PORT (udp/tcp) and TPORT (tls)
start() {
	local data=$1; shift
	PORT= TPORT=
	for try in $(seq 1 20); do
		local p=$((20000 + RANDOM % 40000)) tp=$((20000 + RANDOM % 40000))
		[ "$p" = "$tp" ] && continue
		"$VIGIL" server --data "$data" --listen-syslog "127.0.0.1:$p" --listen-syslog-tls "127.0.0.1:$tp" --listen-agents "127.0.0.1:$((p + 2))" --listen-api "127.0.0.1:$((p + 3))" "$@" \
			2>"$T/err" &
		SRV=$!
		for _ in $(seq 1 200); do
			grep -q "listening for syslog on" "$T/err" && break
			kill -0 "$SRV" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q "listening for syslog on" "$T/err"; then PORT=$p; TPORT=$tp; return 0; fi
		wait "$SRV" 2>/dev/null || true
		SRV=
	done
	echo "FAIL: server did not start"; cat "$T/err"; exit 1
}
stop() {
	kill -TERM "$SRV"
	set +e
	wait "$SRV"; rc=$?
	set -e
	SRV=
}
# tls13 STDIN-TEXT [s_client options...]: one TLS 1.3 connection sending the
# text, closing at its end; s_client's output in $T/sc
tls13() {
	local text=$1; shift
	printf '%s' "$text" | timeout 10 openssl s_client -connect "127.0.0.1:$TPORT" -tls1_3 -quiet -no_ign_eof \
		-CAfile "$D/pki/ca.crt" "$@" >"$T/sc" 2>&1
}

# tls13_refused STDIN-TEXT [s_client options...]: the same, but stdin stays
# open for a second so that s_client reads the server's refusal (in TLS 1.3
# the client's handshake ends before the server judges its certificate)
tls13_refused() {
	local text=$1; shift
	{ printf '%s' "$text"; sleep 1; } | timeout 10 openssl s_client -connect "127.0.0.1:$TPORT" -tls1_3 -quiet \
		-no_ign_eof -CAfile "$D/pki/ca.crt" "$@" >"$T/sc" 2>&1
}

D=$T/d
start "$D"
check "ca.key is 0600" test "$(stat -c %a "$D/pki/ca.key")" = 600
check "server.key is 0600" test "$(stat -c %a "$D/pki/server.key")" = 600
check "server certificate issued by the CA" openssl verify -CAfile "$D/pki/ca.crt" -purpose sslserver "$D/pki/server.crt" >/dev/null
check "TLS input announced" grep -q "syslog over TLS on 127.0.0.1:$TPORT (client certificate optional)" "$T/err"

# a silent peer: its handshake must time out (10 s) while the others are served
exec 4<>"/dev/tcp/127.0.0.1/$TPORT"
silent_start=$SECONDS

expect() { echo "$1" >>"$T/expected"; }

# octet counting (RFC 5425), three messages in one connection, then LF framing
oc=""
for i in 1 2 3; do
	m="Failed password for root from 203.0.113.9 port 5100$i ssh2"
	f="<34>1 2026-11-21T10:00:0${i}Z web-1 sshd 77 - - $m"
	oc+="${#f} $f"
	expect "$m"
done
check "octet-counted TLS stream accepted" tls13 "$oc"
m="Failed password for root from 203.0.113.9 port 52001 ssh2"
check "LF-framed TLS stream accepted" tls13 "<34>1 2026-11-21T10:01:00Z web-1 sshd 77 - - $m
"
expect "$m"

# refused: TLS 1.2, plain text, a certificate of another CA; each closes only its connection
set +e
printf 'x\n' | timeout 10 openssl s_client -connect "127.0.0.1:$TPORT" -tls1_2 -quiet -no_ign_eof \
	-CAfile "$D/pki/ca.crt" >"$T/sc12" 2>&1; rc12=$?
set -e
check "TLS 1.2 client refused" test "$rc12" != 0
check "TLS 1.2 refusal is a protocol version alert" grep -qi "protocol version" "$T/sc12"
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$TPORT"; printf '<34>1 - - - - - - PLAINTEXT on the TLS port\n' >&3
  timeout 5 cat <&3 >/dev/null ) 2>/dev/null || true
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/evil.key" -out "$T/evil.crt" \
	-subj /CN=evil -days 1 2>/dev/null
tls13_refused "<34>1 - - - - - - FOREIGN certificate
" -cert "$T/evil.crt" -key "$T/evil.key" || true
check "foreign certificate refused" grep -qi "alert unknown ca\|alert bad certificate" "$T/sc"
check "server alive after refusals" kill -0 "$SRV"
m="Accepted password for alice from 198.51.100.7 port 53000 ssh2"
check "still serving after refusals" tls13 "<34>1 2026-11-21T10:02:00Z web-1 sshd 77 - - $m
"
expect "$m"
# plain TCP on the other port is unaffected
m="Failed password for root from 203.0.113.9 port 54000 ssh2"
exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf '<34>1 2026-11-21T10:03:00Z web-1 sshd 77 - - %s\n' "$m" >&3; exec 3>&-
expect "$m"

# rsyslog forwarding over TLS (omfwd, gtls stream driver, octet-counted). Its
# gtls driver offers TLS 1.2 only unless told otherwise, hence the priority
# string (docs/server.md).
TLS_EVENTS=5 TLS_CONNS=7
GTLS=$(find /usr/lib /usr/lib64 -name lmnsd_gtls.so 2>/dev/null | head -1 || true)
if command -v rsyslogd >/dev/null && [ -n "$GTLS" ]; then
	for try in $(seq 1 10); do
		rp=$((20000 + RANDOM % 40000))
		[ "$rp" = "$PORT" ] || [ "$rp" = "$TPORT" ] && continue
		mkdir -p "$T/rs"
		cat >"$T/rs/conf" <<-CONF
		global(workDirectory="$T/rs" DefaultNetstreamDriverCAFile="$D/pki/ca.crt")
		module(load="imtcp")
		input(type="imtcp" port="$rp" address="127.0.0.1")
		action(type="omfwd" target="127.0.0.1" port="$TPORT" protocol="tcp" TCP_Framing="octet-counted"
		       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name"
		       StreamDriverPermittedPeers="localhost" gnutlsPriorityString="NORMAL:-VERS-ALL:+VERS-TLS1.3")
		CONF
		rsyslogd -n -f "$T/rs/conf" -i "$T/rs/pid" 2>"$T/rs/err" &
		RS=$!
		for _ in $(seq 1 100); do
			(exec 3<>"/dev/tcp/127.0.0.1/$rp") 2>/dev/null && break
			kill -0 "$RS" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$RS" 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$rp") 2>/dev/null; then break; fi
		wait "$RS" 2>/dev/null || true
		RS=
	done
	if [ -n "$RS" ]; then
		for i in 1 2; do
			m="Failed password for root from 203.0.113.9 port 5600$i ssh2 via-rsyslog-tls"
			logger --rfc3164 --tcp -n 127.0.0.1 -P "$rp" -t sshd "$m"
			expect "$m"
		done
		# rsyslog connects when it has something to send, and drops what it
		# has not sent when stopped: wait (up to 30 s) until both are archived
		for _ in $(seq 1 300); do
			[ "$("$VIGIL" events export --data "$D" 2>/dev/null | grep -c via-rsyslog-tls)" -ge 2 ] && break
			sleep 0.1
		done
		kill -TERM "$RS"
		wait "$RS" 2>/dev/null || true
		RS=
		TLS_EVENTS=7 TLS_CONNS=8
	else
		echo "FAIL: rsyslogd did not start"; cat "$T/rs/err"; fails=$((fails + 1))
	fi
else
	echo "note: rsyslogd or rsyslog-gnutls not installed (scripts/deps installs them): rsyslog over TLS not tested"
fi

# the silent peer is closed after the handshake timeout
while [ $((SECONDS - silent_start)) -lt 11 ]; do sleep 0.5; done
set +e
timeout 5 cat <&4 >/dev/null; rc_silent=$?
set -e
exec 4<&-
check "silent peer closed by the handshake timeout" test "$rc_silent" = 0
sleep 0.3
stop
check "SIGTERM exits 0" test "$rc" = 0
check "failed handshakes counted (TLS 1.2, plain, foreign, silent)" \
	grep -q "tls $TLS_CONNS connections (4 handshakes failed, 1 of them timed out" "$T/err"
check "why a handshake failed is logged" grep -q "TLS input: 127.0.0.1:[0-9]*: TLS handshake failed: unsupported protocol" "$T/err"
[ "$fails" = 0 ] || cat "$T/err"

"$VIGIL" events export --data "$D" >"$T/events.ndjson"
jq -r '.message' "$T/events.ndjson" | sort >"$T/got"
sort "$T/expected" >"$T/want"
check "every message archived exactly once" cmp -s "$T/got" "$T/want"
[ "$fails" = 0 ] || diff "$T/want" "$T/got" || true
check "nothing of the refused connections archived" \
	test "$(grep -c 'PLAINTEXT\|FOREIGN' "$T/events.ndjson" || true)" = 0
check "inputs tagged" test "$(jq -r '.vigil.input' "$T/events.ndjson" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" = "syslog-tcp=1 syslog-tls=$TLS_EVENTS "
check "sender address tagged" test "$(jq -r 'select(.vigil.input == "syslog-tls") | .log.source.address' "$T/events.ndjson" | grep -c '^127\.0\.0\.1:[0-9]*$')" = "$TLS_EVENTS"
check "octet-counted event keeps its own time and host" \
	test "$(jq -r 'select(.message | test("port 51002 ")) | ."@timestamp" + " " + .host.hostname' "$T/events.ndjson")" = "2026-11-21T10:00:02.000000Z web-1"

[ "$TLS_EVENTS" = 7 ] && check "rsyslog TLS events parsed (program sshd)" \
	test "$(jq -r 'select(.message | test("via-rsyslog-tls")) | .process.name' "$T/events.ndjson" | sort -u)" = sshd

# --syslog-tls-require-client-cert: the existing CA is reused; no certificate
# is refused, a clientAuth certificate from vigil's CA is accepted
cp "$D/pki/ca.crt" "$T/ca-before.crt"
D2=$T/d2
mkdir -m 0700 "$D2"
cp -a "$D/pki" "$D2/pki"
start "$D2" --syslog-tls-require-client-cert
check "CA kept across restarts" cmp -s "$T/ca-before.crt" "$D2/pki/ca.crt"
check "require mode announced" grep -q "client certificate required" "$T/err"
tls13_refused "<34>1 - - - - - - NOCERT message
" || true
check "client without certificate refused" grep -qi "certificate required" "$T/sc"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/agent.key" -out "$T/agent.csr" \
	-subj /CN=sender-1 2>/dev/null
printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >"$T/ext"
openssl x509 -req -in "$T/agent.csr" -CA "$D2/pki/ca.crt" -CAkey "$D2/pki/ca.key" -set_serial 0x1234abcd \
	-days 1 -extfile "$T/ext" -out "$T/agent.crt" 2>/dev/null
m="Failed password for root from 203.0.113.9 port 55000 ssh2"
check "client with a vigil certificate accepted" tls13 "<34>1 2026-11-21T10:04:00Z web-1 sshd 77 - - $m
" -cert "$T/agent.crt" -key "$T/agent.key"
sleep 0.3
stop
check "SIGTERM exits 0 (require mode)" test "$rc" = 0
"$VIGIL" events export --data "$D2" >"$T/events2.ndjson"
check "require mode: only the certified sender archived" \
	test "$(jq -r '.message' "$T/events2.ndjson")" = "$m"

echo "test_server_syslog_tls: $pass passed, $fails failed"
[ "$fails" = 0 ]
