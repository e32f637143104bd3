#!/usr/bin/env bash
# Incidents through the real server: SSH failures sent over syslog become
# alerts, the server's tick groups them into an incident, the CLI (a client
# of the REST API) lists, shows, moves it through the workflow and records
# its reports; the deadlines are checked to the microsecond under the
# default profile (initial 5 days after detection, closure 5 days after
# resolution) and, after `vigil incidents profiles --set 24h-72h`, under the
# second one (24 h and 72 h after detection). Illegal moves, unknown
# incidents and an auditor's writes are refused; the CSV export has them all.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)"; exit 1; }
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib/server.bash"

D=$T/data
PW='incident admin password'
printf '%s\n' "$PW" | "$VIGIL" users add root --role admin --data "$D" >/dev/null
printf '%s\n' 'incident auditor password' | "$VIGIL" users add aud --role auditor --data "$D" >/dev/null
TOK=$("$VIGIL" users token root --data "$D")
TOK_AUD=$("$VIGIL" users token aud --data "$D")
start_server "$D"

URL=https://127.0.0.1:$API_PORT
inc() { "$VIGIL" incidents "$@" --server "$URL" --token "$TOK" --data "$D"; }
st() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }

code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $TOK" "$URL/api/v1/incidents" || true)
if [ "$code" != 200 ]; then
	echo "FAIL: the server does not serve /api/v1/incidents (HTTP $code)"
	exit 1
fi

# µs since the epoch of an RFC 3339 time from the API ("...000000Z")
us() { date -u -d "$(echo "$1" | sed 's/\.[0-9]*Z$/Z/')" +%s | awk -v f="$(echo "$1" | sed -n 's/.*\.\([0-9]*\)Z$/\1/p')" '{ printf "%d%06d\n", $1, f + 0 }'; }

# 12 SSH failures from one source: the pack's per-event rule and its
# brute-force correlation (>= 10 in 5 min)
burst() { # HOST IP
	local i now
	exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
	for i in $(seq 1 12); do
		now=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
		printf '<38>1 %s %s sshd 77 - - Failed password for root from %s port 40%02d ssh2\n' "$now" "$1" "$2" "$i" >&3
	done
	exec 3>&-
}
wait_incidents() { # N [FILTERS...]: until the list has at least N incidents
	local n=$1 i
	shift
	for i in $(seq 1 150); do
		inc list --json "$@" >"$T/list.json" 2>/dev/null || true
		[ "$(jq length "$T/list.json" 2>/dev/null || echo 0)" -ge "$n" ] && return 0
		sleep 0.2
	done
	return 1
}

burst web-1 203.0.113.9
check "alerts become an incident" wait_incidents 1
ID=$(jq -r '.[0].id' "$T/list.json")
check "show exit 0" test "$(st inc show "$ID" --json)" = 0
cp "$T/out" "$T/one.json"
check "incident is new" test "$(jq -r .state "$T/one.json")" = new
check "incident links alerts" test "$(jq '.alerts | length' "$T/one.json")" -ge 1
check "detection names the rule" grep -q "rule" <(jq -r .detection_method "$T/one.json")
check "default profile" test "$(jq -r .profile "$T/one.json")" = vn-circular-20-2017
DET=$(us "$(jq -r .detected_at "$T/one.json")")
DUE=$(us "$(jq -r .deadlines.initial.due_at "$T/one.json")")
check "initial report due 5 days after detection" test $((DUE - DET)) = 432000000000
check "initial deadline pending" test "$(jq -r .deadlines.initial.state "$T/one.json")" = pending
check "closure not started before resolution" test "$(jq -r .deadlines.closure.due_at "$T/one.json")" = null

# workflow through the CLI
check "illegal transition exit 2" test "$(st inc transition "$ID" new)" = 2
check "illegal transition is a 409" grep -q "409" "$T/err"
check "unknown incident exit 2" test "$(st inc show 999999)" = 2
check "unknown incident is a 404" grep -q "404" "$T/err"
check "auditor cannot write" test "$(st "$VIGIL" incidents comment "$ID" hi --server "$URL" --token "$TOK_AUD" --data "$D")" = 2
check "auditor refusal is a 403" grep -q "403" "$T/err"
check "triage exit 0" test "$(st inc transition "$ID" triaged)" = 0
check "assign exit 0" test "$(st inc assign "$ID" root)" = 0
check "comment exit 0" test "$(st inc comment "$ID" 'blocked 203.0.113.9 at the firewall')" = 0
check "mark major impact" test "$(st inc update "$ID" --major-impact yes --impact 'login service degraded')" = 0
check "report initial exit 0" test "$(st inc report "$ID" initial --to 'VNCERT/CC')" = 0
check "resolve exit 0" test "$(st inc transition "$ID" resolved --json)" = 0
cp "$T/out" "$T/res.json"
check "serious by major impact" test "$(jq -r .serious "$T/res.json")" = true
check "initial report done" test "$(jq -r .deadlines.initial.state "$T/res.json")" = done
check "initial report recipient" test "$(jq -r .deadlines.initial.recipient "$T/res.json")" = VNCERT/CC
RES=$(us "$(jq -r .resolved_at "$T/res.json")")
CDUE=$(us "$(jq -r .deadlines.closure.due_at "$T/res.json")")
check "closure report due 5 days after resolution" test $((CDUE - RES)) = 432000000000
check "timeline records who did what" test "$(jq '[.timeline[] | select(.actor == "root")] | length' "$T/res.json")" -ge 6
check "list by deadline done" test "$(st inc list --deadline done --json)" = 0
check "done filter finds it" test "$(jq length "$T/out")" = 1
check "list serious" test "$(st inc list --serious --json)" = 0
check "serious filter finds it" test "$(jq length "$T/out")" = 1

# the second profile: new incidents get 24 h / 72 h from detection
check "auditor cannot switch profile" test "$(st "$VIGIL" incidents profiles --set 24h-72h --server "$URL" --token "$TOK_AUD" --data "$D")" = 2
check "unknown profile refused" test "$(st inc profiles --set 12h)" = 2
check "switch profile exit 0" test "$(st inc profiles --set 24h-72h)" = 0
check "profile is active" grep -q '^\* 24h-72h' "$T/out"
# another source: the correlation fires again (the first source's window is spent)
burst web-1 198.51.100.7
check "new burst after resolution opens a second incident" wait_incidents 2
ID2=$(jq -r '.[-1].id' "$T/list.json")
check "second incident differs" test "$ID2" != "$ID"
inc show "$ID2" --json >"$T/two.json"
check "second incident under 24h-72h" test "$(jq -r .profile "$T/two.json")" = 24h-72h
DET2=$(us "$(jq -r .detected_at "$T/two.json")")
check "initial notice due 24 h after detection" test $(($(us "$(jq -r .deadlines.initial.due_at "$T/two.json")") - DET2)) = 86400000000
check "report due 72 h after detection" test $(($(us "$(jq -r .deadlines.closure.due_at "$T/two.json")") - DET2)) = 259200000000
check "24 h notice is due soon" test "$(jq -r .deadlines.initial.state "$T/two.json")" = due_soon
check "first incident kept its profile" test "$(inc show "$ID" --json | jq -r .profile)" = vn-circular-20-2017

# a hand-made incident, and the export
check "create by hand" test "$(st inc create --title 'Phishing e-mail reported' --type intrusion --detected 2026-01-01T00:00:00Z --json)" = 0
ID3=$(jq -r .id "$T/out")
check "old hand-made incident is overdue" test "$(jq -r .deadlines.initial.state "$T/out")" = overdue
check "overdue filter" test "$(inc list --deadline overdue --json | jq -r '.[].id' | paste -sd,)" = "$ID3"
check "export csv" test "$(st inc export --format csv -o "$T/inc.csv")" = 0
check "csv header" grep -q '^id,title,state,type,severity,serious' "$T/inc.csv"
check "csv has three incidents" test "$(tail -n +2 "$T/inc.csv" | wc -l)" = 3
check "export json" test "$(inc export --format json | jq '.items | length')" = 3

stop_server
if [ "$fails" != 0 ]; then
	echo "$fails of $((pass + fails)) checks failed"
	exit 1
fi
echo "incidents: $pass checks passed"
