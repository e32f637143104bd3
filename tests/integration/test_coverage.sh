#!/usr/bin/env bash
# 4-layer coverage through the real server (docs/systems.md): units and two
# systems of two units made with the CLI (`vigil units|systems`, an API
# client), attribution by a declared host, a hostname glob and an agent id;
# events from hosts of both systems over real inputs — syslog over TCP with
# `logger --tcp` (sshd: host layer; a UFW firewall line: network layer), an
# enrolled `vigil agent` tailing an Apache access log (application layer),
# the HTTP intake (Suricata EVE: network; Sysmon: endpoint) — and a stray
# syslog sender that belongs to no system. Then `vigil coverage --json` per
# system and layer (covered / missing, 24-hour counts), the level 3-5 share,
# the gaps, the systems to act on, the unattributed source; the unit
# analyst sees only their unit's system; bad input (invalid level, unknown
# system) gets a clear error and changes nothing; thresholds over the CLI.
# The server records what the ingest saw every coverage.activity_interval
# (1 s here).
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in jq curl logger; do command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }; done
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	wait 2>/dev/null || true
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }

D=$T/server
printf 'coverage:\n  activity_interval: 1s\n' >"$T/server.yml"
start_server "$D" -c "$T/server.yml"

printf 'admin password 123\n' | "$VIGIL" users add boss --role admin --data "$D" 2>"$T/users.err"
printf 'analyst password 123\n' | "$VIGIL" users add ana --role analyst --unit bo-x/cuc-a --data "$D" 2>>"$T/users.err"
ADMIN=$("$VIGIL" users token boss --data "$D" 2>>"$T/users.err")
ANA=$("$VIGIL" users token ana --data "$D" 2>>"$T/users.err")
INGEST=$("$VIGIL" users token boss --scope ingest --data "$D" 2>>"$T/users.err")
check "tokens created" test -n "$ADMIN" -a -n "$ANA" -a -n "$INGEST"
export VIGIL_URL=https://127.0.0.1:$API_PORT VIGIL_CACERT=$D/pki/ca.crt
V() { "$VIGIL" "$@" --token "$ADMIN"; }

# ---- the registry, over the CLI ----
check "units add bo-x" test "$(status V units add bo-x 'Bộ X')" = 0
check "units add cuc-a" test "$(status V units add bo-x/cuc-a 'Cục An toàn thông tin')" = 0
check "units add cuc-b" test "$(status V units add bo-x/cuc-b 'Cục Bưu điện')" = 0
check "units add without parent: exit 2" test "$(status V units add bo-q/cuc-z 'Z')" = 2
check "units: says parent" grep -q "parent unit 'bo-q'" "$T/err"
check "units list exit 0" test "$(status V units list)" = 0
check "units list shows the Vietnamese name" grep -q "Cục An toàn thông tin" "$T/out"

check "add A exit 0" test "$(status V systems add --name 'Cổng thông tin A' --unit bo-x/cuc-a --level 3 \
	--reason 'Cung cấp dịch vụ công' --plan-approved 2026-01-10 --public-ip 203.0.113.10 \
	--domain a.example.vn --json)" = 0
A=$(jq -r .id "$T/out")
check "add B exit 0" test "$(status V systems add --name 'Hệ thống thư B' --unit bo-x/cuc-b --level 4 --json)" = 0
B=$(jq -r .id "$T/out")
check "ids" test -n "$A" -a -n "$B" -a "$A" != "$B"
check "invalid level: exit 2" test "$(status V systems add --name X --unit bo-x --level 9)" = 2
check "invalid level: 400 naming the field" grep -q "400 invalid: level" "$T/err"
check "unknown system: exit 2" test "$(status V systems show 424242)" = 2
check "unknown system: 404" grep -q "404 not_found" "$T/err"
check "malformed JSON: 400" test "$(curl -sS -o "$T/b" -w '%{http_code}' --cacert "$D/pki/ca.crt" \
	-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' --data '{"name":' \
	"$VIGIL_URL/api/v1/systems")" = 400
check "list: still two systems" test "$(V systems list --json | jq '.systems | length')" = 2
check "show A" test "$(status V systems show "$A")" = 0
check "show A: reason in Vietnamese" grep -q "Cung cấp dịch vụ công" "$T/out"

# attribution: A's host is this machine (logger sends its hostname); B by
# a hostname glob and by its agent's id
check "host-add A" test "$(status V systems host-add "$A" "$(hostname)")" = 0
check "rule hostname mail-b*" test "$(status V systems rule-add --kind hostname --pattern 'mail-b*' --system "$B")" = 0
check "rule agent_id" test "$(status V systems rule-add --kind agent_id --pattern 'agent-b-*' --system "$B" --priority 5)" = 0
check "rule bad cidr: exit 2" test "$(status V systems rule-add --kind cidr --pattern 10.0.0.0/40 --system "$B")" = 2
check "rules listed" test "$(V systems rules --json | jq '.rules | length')" = 2

# ---- events over real inputs ----
# A: syslog over TCP from this host: sshd (host layer), a UFW block (network layer)
logger --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t sshd "Failed password for root from 203.0.113.9 port 4242 ssh2"
logger --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t kernel \
	"[UFW BLOCK] IN=eth0 OUT= MAC= SRC=203.0.113.9 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=4444 DPT=22"
# B: the HTTP intake — a Suricata alert seen by B's sensor, a Sysmon event of B's workstation
cat >"$T/b.ndjson" <<'JSON'
{"timestamp":"2026-11-21T10:00:00.000000+0000","event_type":"alert","host":{"name":"mail-b-ids"},"src_ip":"203.0.113.9","src_port":4444,"dest_ip":"10.0.0.5","dest_port":25,"proto":"TCP","alert":{"signature_id":1,"signature":"test","severity":2}}
{"@timestamp":"2026-11-21T10:00:01Z","host":{"name":"mail-b-pc1"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","event_id":1,"event_data":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami"}}}
JSON
code=$(curl -sS -o "$T/b" -w '%{http_code}' --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $INGEST" \
	-H 'Content-Type: application/x-ndjson' --data-binary "@$T/b.ndjson" "$VIGIL_URL/api/v1/events")
check "intake accepted (got $code)" test "$code" = 200
# B: an enrolled agent tailing its web server's access log
mkdir -p "$T/logs"
printf '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "GET /webmail/ HTTP/1.1" 200 512 "-" "Mozilla/5.0"\n' >"$T/logs/access.log"
printf 'send:\n  backoff_min: 100ms\n  backoff_max: 1s\nheartbeat_interval: 1h\n' >"$T/agent.yml"
ETOKEN=$("$VIGIL" agents token --data "$D")
start_agent "$T/agent" mail-b-web -c "$T/agent.yml" --enroll "$ETOKEN" --tail "$T/logs/access.log"
# a sender of no system
exec 3<>"/dev/tcp/127.0.0.1/$SYSLOG_PORT"
printf '<13>Nov 21 10:00:00 stray-host app: nobody knows me\n' >&3
exec 3>&-

# ---- coverage ----
cov_ok() { # until B's application layer (the agent's) and the stray source are in
	V coverage --json >"$T/cov.json" 2>/dev/null || return 1
	jq -e --argjson b "$B" '(.systems[] | select(.id == $b) | .layers.application.state == "covered")
		and ([.unattributed[] | select(.host == "stray-host")] | length == 1)' "$T/cov.json" >/dev/null
}
for _ in $(seq 1 300); do cov_ok && break; sleep 0.1; done
check "coverage arrived" cov_ok
st() { jq -r --argjson id "$1" ".systems[] | select(.id == \$id) | .layers.$2.state" "$T/cov.json"; }
n24() { jq -r --argjson id "$1" ".systems[] | select(.id == \$id) | .layers.$2.events_24h" "$T/cov.json"; }
check "A host covered (syslog sshd)" test "$(st "$A" host)" = covered
check "A host: 1 event" test "$(n24 "$A" host)" = 1
check "A network covered (UFW over syslog)" test "$(st "$A" network)" = covered
check "A application missing" test "$(st "$A" application)" = missing
check "A endpoint missing" test "$(st "$A" endpoint)" = missing
check "B network covered (EVE over HTTP)" test "$(st "$B" network)" = covered
check "B endpoint covered (Sysmon over HTTP)" test "$(st "$B" endpoint)" = covered
check "B application covered (agent, Apache log)" test "$(st "$B" application)" = covered
check "B host missing" test "$(st "$B" host)" = missing
check "share: 0 of 2 level 3-5 systems" test "$(jq -c '.summary | [.level3_5_systems, .level3_5_fully_covered]' "$T/cov.json")" = "[2,0]"
check "gaps sorted by level (B first)" test "$(jq -r '.gaps[0].system' "$T/cov.json")" = "Hệ thống thư B"
check "gaps: 3" test "$(jq '.gaps | length' "$T/cov.json")" = 3
check "act on: B (no plan, missing), A (missing)" \
	test "$(jq -c '[.act_on[] | [.system_id, .reasons]]' "$T/cov.json")" = "[[$B,[\"no_approved_plan\",\"missing_layers\"]],[$A,[\"missing_layers\"]]]"
check "stray host listed as unattributed" \
	test "$(jq -r '.unattributed[] | select(.host == "stray-host") | .layers[0]' "$T/cov.json")" = host
check "declared host last seen" test "$(V systems hosts "$A" --json | jq '.hosts[0].last_seen_us > 0')" = true
check "coverage text exit 0" test "$(status V coverage)" = 0
check "coverage text: the summary" grep -q "level 3-5 systems fully covered: 0 of 2" "$T/out"
check "coverage --check: exit 1 with gaps" test "$(status V coverage --check)" = 1

# ---- unit scoping: ana (bo-x/cuc-a) sees A only ----
check "ana coverage exit 0" test "$(status "$VIGIL" coverage --json --token "$ANA")" = 0
check "ana sees one system, A" test "$(jq -c '[.systems[].id]' "$T/out")" = "[$A]"
check "ana sees no unattributed sources" test "$(jq '.unattributed | length' "$T/out")" = 0
check "ana cannot show B" test "$(status "$VIGIL" systems show "$B" --token "$ANA")" = 2
check "ana: B is 404" grep -q "404" "$T/err"
check "ana cannot create in cuc-b" \
	test "$(status "$VIGIL" systems add --name C --unit bo-x/cuc-b --level 2 --token "$ANA")" = 2
check "ana cannot delete A (admin only)" test "$(status "$VIGIL" systems delete "$A" --token "$ANA")" = 2

# ---- thresholds ----
check "thresholds: stale >= missing refused" test "$(status V coverage thresholds network 90000 86400)" = 2
check "thresholds: says why" grep -q "stale_after_s" "$T/err"
check "thresholds set" test "$(status V coverage thresholds host 120 600)" = 0
check "thresholds shown" test "$(V coverage thresholds --json | jq .thresholds.host.missing_after_s)" = 600

check "server still running" kill -0 "$SRV"
kill "$AGENT_PID" 2>/dev/null || true
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
stop_server
check "server exit 0" test "$SRV_RC" = 0
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$STOPPED_LOG'"
# ---- changes are audited (read after the stop: the server's WAL is checkpointed) ----
if command -v sqlite3 >/dev/null; then
	n=$(sqlite3 -readonly "$D/vigil.db" "SELECT count(*) FROM audit_log WHERE action IN
		('unit.create','system.create','host.create','attribution_rule.create','coverage.thresholds')")
	check "audit: 3 units + 2 systems + 1 host + 2 rules + 1 thresholds (got $n)" test "$n" = 9
fi

echo "test_coverage: $pass passed, $fails failed"
if [ $fails -ne 0 ]; then
	echo "--- server log"; tail -30 "$STOPPED_LOG" 2>/dev/null || true
	echo "--- agent log"; tail -10 "$T/agent-mail-b-web.log" 2>/dev/null || true
fi
[ $fails -eq 0 ]
