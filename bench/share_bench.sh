#!/usr/bin/env bash
# share_bench.sh — sharing throughput and lag on loopback.
#  (a) alerts/s through the outbox to each sink: N alerts (default 20,000,
#      ~700-byte documents) are written to DIR/vigil.db, then `vigil sharing
#      flush` selects them into the outbox and sends them (Ed25519-signed)
#      to one destination: HTTPS NDJSON into the test receiver
#      (tests/integration/lib/share_receiver.bash, python3), syslog-TLS JSON
#      and CEF into a real rsyslog (imtcp + gtls, omfile), for each batch
#      size in BATCHES. Time = flush start to the last item at the receiver.
#  (b) lag at a steady RATE alerts/s (default 1,000) for DURATION s (default
#      60): the real `vigil server` gets RATE syslog lines/s (the pack's
#      "new user" rule: one alert per line; paced every 10 ms by a python3
#      sender), with two destinations at once: HTTPS (batch BBATCH) and
#      syslog-TLS JSON to a python3 TLS reader. Per item, at the receiver:
#      lag_e2e = arrival - the alert's @timestamp (the syslog line's own
#      timestamp, set when it was sent: includes ingest, detection, commit),
#      lag_outbox = arrival - the payload's "created" (selection into the
#      outbox). Prints p50/p90/p99/max of both per destination, and the
#      counts: lines sent, alerts stored, distinct ids and duplicates received.
# usage: bench/share_bench.sh [a|b|all]
# Environment: VIGIL (default build-bench/vigil, else build/vigil), N,
# BATCHES ("100 500"), RATE, DURATION, BBATCH (batch of (b), 100), DRAIN (s to
# wait for (b) to drain, 180), KEEP=1 (keep the temp dir).
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WHAT=${1:-all}
N=${N:-20000}
BATCHES=${BATCHES:-100 500}
RATE=${RATE:-1000}
DURATION=${DURATION:-60}
BBATCH=${BBATCH:-100}
if [ -z "${VIGIL:-}" ]; then
	for b in build-bench build; do
		[ -x "$ROOT/$b/vigil" ] && { VIGIL=$ROOT/$b/vigil; break; }
	done
fi
[ -x "${VIGIL:-}" ] || { echo "share_bench: set VIGIL to the vigil binary" >&2; exit 2; }
for c in python3 openssl sqlite3 jq curl; do
	command -v $c >/dev/null || { echo "share_bench: $c is needed" >&2; exit 2; }
done

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
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
. "$ROOT/tests/integration/lib/server.bash"
. "$ROOT/tests/integration/lib/share_receiver.bash"
P=$T/pki
share_pki "$P"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n / s }'; }

echo "# share_bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores ($(uname -r)); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# vigil: $VIGIL"

# add_alerts DB N: N alert rows in one transaction (documents like the pack's)
add_alerts() {
	awk -v n="$2" 'BEGIN {
		print "BEGIN;"
		for (i = 1; i <= n; i++)
			printf "INSERT INTO alerts(ts_us, rule_id, rule_title, level, host, source_ip, is_correlation, doc) VALUES(1763700000000000, \x27r-1\x27, \x27SSH brute force\x27, \x27high\x27, \x27web-1\x27, \x27203.0.113.9\x27, 0, \x27{\"@timestamp\":\"2026-11-21T10:00:00.000000Z\",\"host\":{\"name\":\"web-1\",\"hostname\":\"web-1\"},\"source\":{\"ip\":\"203.0.113.9\",\"port\":%d},\"user\":{\"name\":\"root\"},\"event\":{\"category\":[\"authentication\"],\"outcome\":\"failure\"},\"message\":\"Failed password for root from 203.0.113.9 port %d ssh2\",\"event.original\":\"<38>1 2026-11-21T10:00:00Z web-1 sshd 77 - - Failed password for root from 203.0.113.9 port %d ssh2\",\"rule\":{\"id\":\"r-1\",\"title\":\"SSH brute force\",\"level\":\"high\",\"tags\":[\"attack.credential_access\",\"attack.t1110\"]},\"vigil\":{\"system\":\"web\",\"unit\":\"bo-x/cuc-y\"}}\x27);\n", i, i, i
		print "COMMIT;"
	}' | sqlite3 "$1"
}

# rsyslog over TLS into $T/rs/out (as tests/integration/test_share_syslog.sh)
rs_start() {
	RP=$((20000 + RANDOM % 40000))
	mkdir -p "$T/rs"
	rm -f "$T/rs/out"
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
		sleep 0.05
	done
	echo "rsyslogd did not start" >&2
	return 1
}
rs_stop() { kill -TERM "$RS"; wait "$RS" 2>/dev/null || true; RS=; }
wait_file_lines() { # FILE N TIMEOUT_S
	local end=$((SECONDS + $3))
	while [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.02
	done
}

# --- (a) throughput per sink ---
bench_a() {
	echo
	echo "## (a) outbox -> sink, $N alerts per run (vigil sharing flush: selection + signing + send)"
	echo
	echo "| sink | batch | seconds | alerts/s |"
	echo "|---|---|---|---|"
	local b sink
	for b in $BATCHES; do
		for sink in https syslog-json syslog-cef; do
			local D=$T/a-$sink-$b R=$T/ra-$sink-$b cfg
			mkdir -p "$D" "$R"
			head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$R/token"
			case $sink in
			https)
				recv_start https "$R" "$P/recv.crt" "$P/recv.key" >/dev/null
				RECV2=$RECV
				cfg="{\"sink\":\"https\",\"url\":\"https://localhost:$RECV_PORT/in\",\"ca\":\"$P/ca.crt\",\"token_file\":\"$R/token\",\"batch\":$b}"
				;;
			*)
				command -v rsyslogd >/dev/null || { echo "| $sink | $b | (rsyslog not installed) | |"; continue; }
				rs_start
				cfg="{\"sink\":\"syslog\",\"format\":\"${sink#syslog-}\",\"address\":\"127.0.0.1:$RP\",\"server_name\":\"localhost\",\"ca\":\"$P/ca.crt\",\"cert\":\"$P/vigil.crt\",\"key\":\"$P/vigil.key\",\"batch\":$b}"
				;;
			esac
			"$VIGIL" sharing dest add --data "$D" d "$cfg" '{"streams":["alerts"]}' >/dev/null
			add_alerts "$D/vigil.db" "$N"
			"$VIGIL" sharing pubkey --data "$D" >/dev/null # keys made before the clock starts
			local t0 t1 ok=1
			t0=$(now)
			"$VIGIL" sharing flush --data "$D" --timeout 600 >"$T/flush-$sink-$b" 2>&1 || ok=0
			if [ "$sink" = https ]; then
				wait_file_lines "$R/items.log" "$N" 120 || ok=0
			else
				wait_file_lines "$T/rs/out" "$N" 120 || ok=0
			fi
			t1=$(now)
			local s
			s=$(elapsed "$t0" "$t1")
			if [ "$ok" = 1 ]; then
				echo "| $sink | $b | $s | $(rate "$N" "$s") |"
			else
				echo "| $sink | $b | FAILED ($(tail -1 "$T/flush-$sink-$b")) | |"
			fi
			if [ "$sink" = https ]; then
				recv_stop
				RECV2=
			else
				rs_stop
			fi
			rm -rf "$D"
		done
	done
}

# paced syslog sender: RATE lines/s for DURATION s over one TCP connection
sender_py() {
	cat <<'PY'
import socket, sys, time
port, rate, dur = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
tick = 0.01
per = rate * tick
t0 = time.time()
sent = 0
i = 0
while True:
    now = time.time()
    if now - t0 >= dur:
        break
    due = int((now - t0) / tick * per) + 1
    buf = []
    while sent < due:
        sent += 1
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%06dZ" % int((now % 1) * 1e6)
        buf.append("<86>1 %s web-1 useradd 77 - - new user: name=b%d, UID=%d, GID=100, home=/home/b%d, shell=/bin/bash, from=/dev/pts/0\n" % (ts, sent, 3000 + sent % 60000, sent))
    s.sendall("".join(buf).encode())
    nxt = t0 + (int((time.time() - t0) / tick) + 1) * tick
    time.sleep(max(0, nxt - time.time()))
s.close()
print(sent)
PY
}

lag_stats_py() {
	cat <<'PY'
import sys
from datetime import datetime, timezone
def ep(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
e2e, ob = [], []
ids = set()
n = 0
for ln in open(sys.argv[1]):
    f = ln.rstrip("\n").split("\t")
    n += 1
    if f[1] in ids:
        continue
    ids.add(f[1])
    t = float(f[0])
    ob.append(t - ep(f[3]))
    if f[4] != "-":
        e2e.append(t - ep(f[4]))
def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
for name, v in (("e2e (arrival - @timestamp)", e2e), ("outbox (arrival - created)", ob)):
    print("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f |" % (sys.argv[2], name, len(v), q(v, .5), q(v, .9), q(v, .99), max(v) if v else float("nan")))
print("ITEMS %d DISTINCT %d" % (n, len(ids)), file=sys.stderr)
PY
}

# --- (b) lag at a steady rate through the real server ---
bench_b() {
	echo
	echo "## (b) lag at a steady $RATE alerts/s for $DURATION s (vigil server, 2 destinations, batch $BBATCH)"
	echo
	local D=$T/b R=$T/rb S=$T/rsys
	mkdir -p "$D" "$R" "$S"
	head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$R/token"
	recv_start https "$R" "$P/recv.crt" "$P/recv.key" >/dev/null
	RECV2=$RECV
	local hp=$RECV_PORT
	recv_start syslog "$S" "$P/recv.crt" "$P/recv.key" >/dev/null
	local sp=$RECV_PORT
	"$VIGIL" sharing dest add --data "$D" https \
		"{\"sink\":\"https\",\"url\":\"https://localhost:$hp/in\",\"ca\":\"$P/ca.crt\",\"token_file\":\"$R/token\",\"batch\":$BBATCH}" \
		'{"streams":["alerts"]}' >/dev/null
	"$VIGIL" sharing dest add --data "$D" syslog \
		"{\"sink\":\"syslog\",\"format\":\"json\",\"address\":\"127.0.0.1:$sp\",\"server_name\":\"localhost\",\"ca\":\"$P/ca.crt\",\"cert\":\"$P/vigil.crt\",\"key\":\"$P/vigil.key\",\"batch\":$BBATCH}" \
		'{"streams":["alerts"]}' >/dev/null
	start_server "$D" >/dev/null
	sender_py >"$T/sender.py"
	local t0 sent
	t0=$(now)
	sent=$(python3 "$T/sender.py" "$SYSLOG_PORT" "$RATE" "$DURATION")
	local t1
	t1=$(now)
	# drain: until both receivers have an item per line sent (one alert per
	# line), or DRAIN s; the database is not touched while the server runs
	local end=$((SECONDS + ${DRAIN:-180})) stored=0 h=0 s=0
	while [ $SECONDS -lt $end ]; do
		h=$(cut -f2 "$R/items.log" | sort -u | wc -l)
		s=$(cut -f2 "$S/items.log" | sort -u | wc -l)
		[ "$h" -ge "$sent" ] && [ "$s" -ge "$sent" ] && break
		sleep 1
	done
	local cpu
	cpu=$(awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$SRV/stat")
	stop_server
	stored=$(sqlite3 "$D/vigil.db" "SELECT COUNT(*) FROM alerts" 2>&1 || true)
	"$VIGIL" sharing status --json --data "$D" >"$T/b-status.json" 2>/dev/null || true
	grep -h "locked\|malformed" "$T"/server.log* 2>/dev/null | sort | uniq -c | sed 's/^/server stderr: /' || true
	echo "sent $sent lines in $(elapsed "$t0" "$t1") s; stored $stored alerts; received (distinct ids): https $h, syslog $s; server CPU $cpu s"
	echo
	echo "| destination | lag | items | p50 s | p90 s | p99 s | max s |"
	echo "|---|---|---|---|---|---|---|"
	lag_stats_py >"$T/lag.py"
	python3 "$T/lag.py" "$R/items.log" https 2>"$T/h.cnt"
	python3 "$T/lag.py" "$S/items.log" syslog-tls 2>"$T/s.cnt"
	echo
	echo "items at the receivers (with duplicates): https $(cat "$T/h.cnt"), syslog $(cat "$T/s.cnt")"
	echo "https requests: $(wc -l <"$R/requests.log"), mean items per request: $(jq -s 'map(.lines) | add / length | floor' "$R/requests.log")"
	recv_stop
	kill -TERM "$RECV2" 2>/dev/null || true
	wait "$RECV2" 2>/dev/null || true
	RECV2=
}

case $WHAT in
a) bench_a ;;
b) bench_b ;;
all) bench_a; bench_b ;;
*) echo "usage: $0 [a|b|all]" >&2; exit 2 ;;
esac
echo
echo "reproduce: VIGIL=$VIGIL N=$N BATCHES=\"$BATCHES\" RATE=$RATE DURATION=$DURATION BBATCH=$BBATCH bench/share_bench.sh $WHAT"
