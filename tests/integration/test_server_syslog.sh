#!/usr/bin/env bash
# vigil server, syslog input: real `logger` clients over TCP (RFC 5424, LF
# framing) and UDP, an RFC 6587 octet-counted stream, garbage and oversized
# frames (only that connection is closed), rsyslog omfwd forwarding over TCP
# (LF and octet-counted; when rsyslogd is installed), SIGHUP reload, SIGTERM shutdown;
# then every line is in the archive exactly once (vigil events export) and
# alerts.ndjson holds the SSH brute-force correlation of the built-in pack
# (>= 10 failures from one source.ip within 5 minutes).
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v logger >/dev/null || { echo "SKIP: logger (bsdutils) not installed"; exit 0; }
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
D=$T/d/nested

# usage errors
set +e
"$VIGIL" server --data "$T/u" --listen-syslog nonsense 2>"$T/uerr"; rc=$?
set -e
check "bad --listen-syslog is a usage error" test "$rc" = 2
check "bad --listen-syslog is named" grep -q -- "--listen-syslog: .*got .nonsense." "$T/uerr"

# start on a free port (random, with retries)
PORT=
for try in $(seq 1 20); do
	p=$((20000 + RANDOM % 40000))
	"$VIGIL" server --data "$D" --listen-syslog "127.0.0.1:$p" --listen-agents "127.0.0.1:$((p + 1))" --listen-api "127.0.0.1:$((p + 2))" 2>"$T/err" &
	SRV=$!
	for _ in $(seq 1 100); do
		grep -q "listening for syslog" "$T/err" && break
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.05
	done
	if grep -q "listening for syslog" "$T/err"; then PORT=$p; break; fi
	wait "$SRV" 2>/dev/null || true
	SRV=
done
[ -n "$PORT" ] || { echo "FAIL: server did not start"; cat "$T/err"; exit 1; }
check "data dir is 0700" test "$(stat -c %a "$T/d")" = 700

expect() { echo "$1" >>"$T/expected"; } # the message part each sent line must archive

# TCP, LF framing, RFC 5424, the real client
for i in 1 2 3 4 5 6; do
	m="Failed password for root from 203.0.113.9 port 4100$i ssh2"
	logger --rfc5424 --tcp -n 127.0.0.1 -P "$PORT" -t sshd "$m"
	expect "$m"
done
# UDP
for i in 1 2 3 4 5 6; do
	m="Failed password for root from 203.0.113.9 port 4200$i ssh2"
	logger --udp -n 127.0.0.1 -P "$PORT" -t sshd "$m"
	expect "$m"
done
# TCP, RFC 6587 octet counting, two messages in one stream
oc=""
for i in 1 2; do
	m="Failed password for root from 203.0.113.9 port 4300$i ssh2"
	f="<34>1 2026-11-21T10:00:0${i}Z web-1 sshd 77 - - $m"
	oc+="${#f} $f"
	expect "$m"
done
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf '%s' "$oc" >&3
exec 3>&-
# garbage: a bad octet count, then an oversized LF-framed message
# (in subshells ignoring SIGPIPE: the server may close before the writes end)
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf '12x garbage\n' >&3 ) 2>/dev/null || true
( trap '' PIPE; exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  { head -c 70000 /dev/zero | tr '\0' 'A'; printf 'OVERSIZED\n'; } >&3 ) 2>/dev/null || true
sleep 0.3
# the server still serves: a valid line afterwards arrives
m="Accepted password for alice from 198.51.100.7 port 44000 ssh2"
logger --rfc5424 --tcp -n 127.0.0.1 -P "$PORT" -t sshd "$m"
expect "$m"
check "server alive after bad frames" kill -0 "$SRV"

# SIGHUP reloads the rules and keeps serving
kill -HUP "$SRV"
for _ in $(seq 1 100); do grep -q "reloading rules" "$T/err" && break; sleep 0.05; done
m="Failed password for invalid user bob from 192.0.2.55 port 45000 ssh2"
logger --udp -n 127.0.0.1 -P "$PORT" -t sshd "$m"
expect "$m"
sleep 0.5

# rsyslog forwarding over TCP (omfwd): LF framing with the RFC 5424 template,
# octet-counted framing with the traditional (RFC 3164) one
NT=16
if command -v rsyslogd >/dev/null; then
	for try in $(seq 1 10); do
		rp=$((20000 + RANDOM % 40000))
		[ "$rp" = "$PORT" ] && continue
		mkdir -p "$T/rs"
		cat >"$T/rs/conf" <<-CONF
		global(workDirectory="$T/rs")
		module(load="imtcp")
		input(type="imtcp" port="$rp" address="127.0.0.1")
		if \$msg contains "via-lf" then action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp" template="RSYSLOG_SyslogProtocol23Format")
		if \$msg contains "via-oc" then action(type="omfwd" target="127.0.0.1" port="$PORT" protocol="tcp" TCP_Framing="octet-counted")
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
		m="Failed password for root from 203.0.113.9 port 46001 ssh2 via-lf"
		logger --rfc5424 --tcp -n 127.0.0.1 -P "$rp" -t sshd "$m"
		expect "$m"
		m="Failed password for root from 203.0.113.9 port 46002 ssh2 via-oc"
		logger --rfc3164 --tcp -n 127.0.0.1 -P "$rp" -t sshd "$m"
		expect "$m"
		sleep 0.5
		kill -TERM "$RS"
		wait "$RS" 2>/dev/null || true
		RS=
		NT=18
		sleep 0.3
	else
		echo "FAIL: rsyslogd did not start"; cat "$T/rs/err"; fails=$((fails + 1))
	fi
else
	echo "note: rsyslogd not installed (scripts/deps installs it): rsyslog forwarding not tested"
fi

kill -TERM "$SRV"
set +e
wait "$SRV"; rc=$?
set -e
SRV=
check "SIGTERM exits 0" test "$rc" = 0
check "rules reloaded on SIGHUP" grep -q "reloading rules" "$T/err"
check "framing errors counted" grep -q "2 framing errors" "$T/err"

"$VIGIL" events export --data "$D" >"$T/events.ndjson"
jq -r '.message' "$T/events.ndjson" | sort >"$T/got"
sort "$T/expected" >"$T/want"
check "every line archived exactly once" cmp -s "$T/got" "$T/want"
[ "$fails" = 0 ] || diff "$T/want" "$T/got" || true
check "nothing of the garbage archived" test "$(grep -c 'OVERSIZED\|garbage' "$T/events.ndjson" || true)" = 0
check "inputs tagged" test "$(jq -r '.vigil.input' "$T/events.ndjson" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')" = "syslog-tcp=$((NT - 7)) syslog-udp=7 "
check "sender address tagged" test "$(jq -r '.log.source.address' "$T/events.ndjson" | grep -c '^127\.0\.0\.1:[0-9]*$')" = "$NT"
check "layer host" test "$(jq -r 'select(.vigil.layer == "host") | 1' "$T/events.ndjson" | wc -l)" = "$NT"
[ "$NT" = 18 ] && check "rsyslog events parsed (program sshd)" \
	test "$(jq -r 'select(.message | test("via-")) | .process.name' "$T/events.ndjson" | sort -u)" = sshd
check "octet-counted event keeps its own time and host" \
	test "$(jq -r 'select(.message | test("port 43001 ")) | ."@timestamp" + " " + .host.hostname' "$T/events.ndjson")" = "2026-11-21T10:00:01.000000Z web-1"

A=$T/d/nested/alerts.ndjson
check "alerts.ndjson is 0600" test "$(stat -c %a "$A")" = 600
check "one brute-force correlation alert" \
	test "$(jq -r 'select(.rule.title == "SSH Brute Force From One Source") | .source.ip' "$A")" = "203.0.113.9"
check "correlation count >= 10" \
	test "$(jq -r 'select(.correlation != null) | .correlation.count' "$A" | head -1)" -ge 10
check "alerts are valid NDJSON" jq -e . "$A" >/dev/null

echo "test_server_syslog: $pass passed, $fails failed"
[ "$fails" = 0 ]
