# delivery.bash SCENARIO — the agent -> server failure tests of the
# collection issue, on loopback. A writer appends LINES lines (every 50th an
# SQL-injection access-log line, the rest syslog lines), each with a unique
# seq=N, to a file the agent tails, while SCENARIO happens:
#   server-kill   kill -9 the server mid-stream, restart it
#   agent-kill    kill -9 the agent mid-stream, restart it
#   rotation      the file is rotated by rename at 1/3 and by copy-truncate at
#                 2/3 of the stream
#   server-down   the server starts only when half the stream is written
#   disk-full     the server's data dir (a small tmpfs) fills up mid-stream;
#                 space returns after a while
# Then: every line is in the archive exactly once (vigil events export), and
# every SQL-injection line has exactly one alert (vigil alerts export).
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
SCENARIO=$1
LINES=${LINES:-200000}
command -v jq >/dev/null || { echo "FAIL: jq not installed"; exit 1; }
T=$(mktemp -d)
MNT=
WRITER=
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	[ -n "$WRITER" ] && kill -KILL "$WRITER" 2>/dev/null
	wait 2>/dev/null || true
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/server.bash"
SQLI=d3f7f396-885e-4d58-949b-2a8e73ab24f0

D=$T/server
if [ "$SCENARIO" = disk-full ]; then
	MNT=$T/mnt
	mkdir -p "$MNT"
	if ! mount -t tmpfs -o size=48m tmpfs "$MNT" 2>"$T/mount.err"; then
		if [ "${CI:-}" = true ]; then echo "FAIL: cannot mount a tmpfs: $(cat "$T/mount.err")"; exit 1; fi
		echo "SKIP: cannot mount a tmpfs here (needs root): $(cat "$T/mount.err")"
		exit 0
	fi
	D=$MNT/server
fi
mkdir -p "$T/logs"
: >"$T/logs/app.log"
cat >"$T/agent.yml" <<YML
send:
  backoff_min: 100ms
  backoff_max: 1s
heartbeat_interval: 1h
YML

# write FROM TO: lines FROM..TO in chunks of 2000
write_lines() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		for (i = from; i <= to; i++) {
			if (i % 50 == 0)
				printf "198.51.100.%d - - [21/Nov/2026:12:00:00 +0000] \"GET /item.php?id=1%%27%%20UNION%%20SELECT%%20password%%20FROM%%20users--+seq=%d HTTP/1.1\" 200 512 \"-\" \"sqlmap/1.7\"\n", i % 200, i
			else
				printf "Nov 21 12:00:00 web-1 app[4242]: order processed seq=%d payload=abcdefghijklmnopqrstuvwxyz0123456789\n", i
		}
	}' >>"$T/logs/app.log"
}

writer() {
	local i=1 step=2000 third=$((LINES / 3)) half=$((LINES / 2)) rotated=0 truncated=0
	while [ $i -le "$LINES" ]; do
		local to=$((i + step - 1))
		[ $to -gt "$LINES" ] && to=$LINES
		write_lines $i $to
		i=$((to + 1))
		if [ "$SCENARIO" = rotation ] && [ $rotated = 0 ] && [ $i -gt $third ]; then
			mv "$T/logs/app.log" "$T/logs/app.log.1" # rename rotation
			: >"$T/logs/app.log"
			rotated=1
		fi
		if [ "$SCENARIO" = rotation ] && [ $truncated = 0 ] && [ $i -gt $((2 * third)) ]; then
			sleep 2 # the agent reads to the end (copy-truncate loses what it has not read)
			cp "$T/logs/app.log" "$T/logs/app.log.2"
			: >"$T/logs/app.log" # truncate in place
			truncated=1
		fi
		[ $i -gt $half ] && [ ! -e "$T/half" ] && touch "$T/half"
		sleep 0.02
	done
	touch "$T/written"
}

# the server (except server-down) and the agent, enrolled
start_server "$D"
TOKEN=$("$VIGIL" agents token --data "$D")
if [ "$SCENARIO" = server-down ]; then
	# enrol now, then take the server away before the stream starts
	start_agent "$T/agent" web-1 -c "$T/agent.yml" --enroll "$TOKEN" --tail "$T/logs/app.log"
	for _ in $(seq 1 100); do grep -q "connected to" "$T/agent-web-1.log" && break; sleep 0.1; done
	stop_server KILL
else
	start_agent "$T/agent" web-1 -c "$T/agent.yml" --enroll "$TOKEN" --tail "$T/logs/app.log"
fi
for _ in $(seq 1 100); do grep -q "enrolled with" "$T/agent-web-1.log" && break; sleep 0.1; done
check "agent enrolled" grep -q "enrolled with" "$T/agent-web-1.log"

if [ "$SCENARIO" = disk-full ]; then
	# leave ~1 MB free: the first commits fail with ENOSPC
	avail=$(df -k --output=avail "$MNT" | tail -1)
	dd if=/dev/zero of="$MNT/filler" bs=1k count=$((avail - 1024)) status=none 2>/dev/null || true
fi

writer &
WRITER=$!
while [ ! -e "$T/half" ]; do sleep 0.05; done
case $SCENARIO in
server-kill)
	sleep 0.3
	stop_server KILL
	sleep 0.5
	start_server "$D"
	;;
agent-kill)
	sleep 0.3
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	sleep 0.5
	start_agent "$T/agent" web-1 -c "$T/agent.yml" --tail "$T/logs/app.log"
	;;
server-down)
	start_server "$D"
	;;
disk-full)
	sleep 3
	check "server stopped acknowledging (storage failures logged)" grep -q "storage failed: No space left on device" "$T/server.log"
	rm -f "$MNT/filler"
	;;
esac
wait "$WRITER"
WRITER=

check "all $LINES lines archived" wait_for_count "$D" "order processed seq=\|seq=[0-9]* HTTP" "$LINES" 180
"$VIGIL" events export --data "$D" | jq -r '.event.original' | grep -o 'seq=[0-9]*' | sort >"$T/seqs"
check "exactly $LINES distinct lines" test "$(sort -u "$T/seqs" | wc -l)" = "$LINES"
check "no line archived twice" test -z "$(uniq -d "$T/seqs" | head -5)"
# give the last alerts time to be committed, then compare
sleep 1
"$VIGIL" alerts export --data "$D" --rule "$SQLI" | jq -r '.event.original' | grep -o 'seq=[0-9]*' | sort >"$T/alerts"
check "one alert per SQL-injection line ($((LINES / 50)))" test "$(sort -u "$T/alerts" | wc -l)" = $((LINES / 50))
check "no alert duplicated" test -z "$(uniq -d "$T/alerts" | head -5)"
stop_server TERM
kill -TERM "$AGENT_PID" 2>/dev/null || true
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
# sanitizer builds: the daemons' reports land in their logs, not in our exit status
check "no sanitizer report in the server or agent logs" \
	test -z "$(cat "$T"/server.log* "$T"/agent-*.log 2>/dev/null | grep -E 'Sanitizer|runtime error' | head -3)"
echo "$SCENARIO: $pass passed, $fails failed"
if [ "$fails" != 0 ]; then
	echo "--- server log"; tail -30 "$T"/server.log* 2>/dev/null || true
	echo "--- agent log"; tail -30 "$T/agent-web-1.log"
fi
[ "$fails" = 0 ]
