#!/usr/bin/env bash
# The operations issue end to end, as one scenario through the real server
# (`vigil server`) and its clients (`vigil units|systems|coverage|incidents|
# report`, curl where no command exists):
#   1. an admin builds the unit tree (a ministry, two departments) and two
#      information systems with Vietnamese names: A (level 5, department 1)
#      and B (level 3, department 2), with public IPs, domains, contacts and
#      attribution rules;
#   2. hosts of both systems send events over real inputs: an enrolled
#      `vigil agent` tails A's web access log (SQL injection) and auth log
#      (sshd failures); `logger --tcp` sends B's sshd brute force and a UFW
#      block; the HTTPS NDJSON intake takes Suricata and Sysmon events;
#   3. `vigil coverage`: all four layers of A covered, B's application layer
#      missing; the level 3-5 share; the gaps and the systems to act on;
#   4. alerts become incidents (5 SQL injection lines on A -> one incident),
#      deadlines under the default profile (5 days) and, after switching the
#      active profile, under 24h-72h for a new incident; the serious flag of
#      the level-5 system; a report marked sent makes its deadline done;
#   5. every report kind as PDF through `vigil report`, read back with
#      pdftotext (exact Vietnamese text with its diacritics) and pdfinfo;
#   6. an auditor reads but cannot write (403); an analyst of department 1
#      does not see system B nor its incidents (404, absent from lists);
#   7. the audit log holds the admin's changes.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
for c in jq curl logger pdftotext pdfinfo; do
	command -v $c >/dev/null || { echo "SKIP: $c not installed"; exit 0; }
done
T=$(mktemp -d)
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "${AGENT_PID:-}" ] && kill -KILL "$AGENT_PID" 2>/dev/null
	wait 2>/dev/null || true
	[ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib/server.bash"
# st CMD...: run, keep stdout/stderr in $T/out, $T/err, print the exit status
st() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }
# eq WHAT GOT WANT: exact comparison that says what differed
eq() { [ "$2" = "$3" ] || { echo "  $1: got '$2', wanted '$3'"; return 1; }; }
# until_ok TRIES CMD...: retry every 0.2 s
until_ok() { local n=$1 i; shift; for i in $(seq 1 "$n"); do "$@" && return 0; sleep 0.2; done; "$@"; }
# µs since the epoch of an API time ("2026-11-21T10:00:00.123456Z")
us() { local s=${1%.*} f=${1##*.}; f=${f%Z}; echo $(( $(date -u -d "${s}Z" +%s) * 1000000 + 10#$f )); }

START=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
D=$T/server
printf 'coverage:\n  activity_interval: 1s\n' >"$T/server.yml"
start_server "$D" -c "$T/server.yml"
URL=https://127.0.0.1:$API_PORT
export VIGIL_URL=$URL VIGIL_CACERT=$D/pki/ca.crt

# ---- 0. the people: an admin, an auditor, an analyst of department 1 ----
printf 'admin password 123\n' | "$VIGIL" users add boss --role admin --data "$D" >/dev/null 2>"$T/users.err"
printf 'auditor password 123\n' | "$VIGIL" users add kiemtra --role auditor --data "$D" >/dev/null 2>>"$T/users.err"
printf 'analyst password 123\n' | "$VIGIL" users add lan --role analyst --unit bo-khcn/cuc-attt --data "$D" >/dev/null 2>>"$T/users.err"
ADMIN=$("$VIGIL" users token boss --data "$D" 2>>"$T/users.err")
AUD=$("$VIGIL" users token kiemtra --data "$D" 2>>"$T/users.err")
ANA=$("$VIGIL" users token lan --data "$D" 2>>"$T/users.err")
INGEST=$("$VIGIL" users token boss --scope ingest --data "$D" 2>>"$T/users.err")
check "four tokens" test -n "$ADMIN" -a -n "$AUD" -a -n "$ANA" -a -n "$INGEST"
V() { "$VIGIL" "$@" --token "$ADMIN"; }     # the admin
VA() { "$VIGIL" "$@" --token "$AUD"; }      # the auditor
VL() { "$VIGIL" "$@" --token "$ANA"; }      # the analyst of department 1
api() { # TOKEN METHOD PATH [JSON]: prints the status, body in $T/b
	curl -sS -o "$T/b" -w '%{http_code}' --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $1" -X "$2" \
		${4:+-H 'Content-Type: application/json' --data "$4"} "$URL/api/v1$3" || true
}

# ---- 1. the registry ----
MIN='Bộ Khoa học và Công nghệ'
DEP1='Cục An toàn thông tin'
DEP2='Cục Bưu điện Trung ương'
check "unit: ministry" eq rc "$(st V units add bo-khcn "$MIN")" 0
check "unit: department 1" eq rc "$(st V units add bo-khcn/cuc-attt "$DEP1")" 0
check "unit: department 2" eq rc "$(st V units add bo-khcn/cuc-bdtw "$DEP2")" 0
check "units list" eq units "$(V units list --json | jq -c '[.units[] | [.path, .name]]')" \
	"[[\"bo-khcn\",\"$MIN\"],[\"bo-khcn/cuc-attt\",\"$DEP1\"],[\"bo-khcn/cuc-bdtw\",\"$DEP2\"]]"

SA='Cổng dịch vụ công trực tuyến'
SB='Hệ thống thư điện tử Bưu điện'
cat >"$T/a.json" <<'JSON'
{"description": "Cổng cung cấp dịch vụ công mức độ 4 cho người dân và doanh nghiệp",
 "services": ["https/443"],
 "layer1_contact": {"unit": "Phòng An toàn thông tin", "name": "Nguyễn Văn Thắng", "phone": "024 3943 6699", "email": "thang@attt.example.vn"},
 "layer2_provider": {"name": "Công ty Cổ phần An ninh mạng Đông Á", "contact_name": "Trần Thị Hồng Nhung", "phone": "028 3822 1155", "email": "soc@donga.example.vn"},
 "national_centre": {"state": "connected", "since": "2026-03-01"},
 "contacts": [{"role": "Lãnh đạo đơn vị", "name": "Phạm Quốc Việt", "phone": "024 3943 0000", "email": "viet@attt.example.vn"}]}
JSON
check "system A (level 5)" eq rc "$(st V systems add --name "$SA" --unit bo-khcn/cuc-attt --level 5 \
	--reason 'Hệ thống phục vụ người dân trên toàn quốc' --public-ip 203.0.113.10 --public-ip 203.0.113.11 \
	--domain dichvucong.example.vn --file "$T/a.json" --json)" 0
A=$(jq -r .id "$T/out")
check "system B (level 3)" eq rc "$(st V systems add --name "$SB" --unit bo-khcn/cuc-bdtw --level 3 \
	--reason 'Hệ thống thư công vụ của Cục' --plan-approved 2026-02-15 --public-ip 198.51.100.25 \
	--domain mail.buudien.example.vn --json)" 0
B=$(jq -r .id "$T/out")
check "two distinct ids" test -n "$A" -a -n "$B" -a "$A" != "$B"
V systems show "$A" --json >"$T/a-show.json"
check "A as stored" eq A "$(jq -c '[.name, .unit, .level, .plan_approved, .public_ips, .domains, .layer1_contact.name, .layer2_provider.name, .national_centre.state]' "$T/a-show.json")" \
	"[\"$SA\",\"bo-khcn/cuc-attt\",5,false,[\"203.0.113.10\",\"203.0.113.11\"],[\"dichvucong.example.vn\"],\"Nguyễn Văn Thắng\",\"Công ty Cổ phần An ninh mạng Đông Á\",\"connected\"]"
check "B plan approved" eq B "$(V systems show "$B" --json | jq -c '[.level, .plan_approved, .plan_approved_date]')" '[3,true,"2026-02-15"]'
check "invalid level refused" eq rc "$(st V systems add --name X --unit bo-khcn --level 6)" 2
check "invalid level: 400 naming the field" grep -q "400 invalid: level" "$T/err"

# attribution: A's hosts by a hostname glob (and its web server declared);
# B's syslog sender by its address; B's workstations by a glob
check "rule hostname a-* -> A" eq rc "$(st V systems rule-add --kind hostname --pattern 'a-*' --system "$A")" 0
check "rule hostname b-* -> B" eq rc "$(st V systems rule-add --kind hostname --pattern 'b-*' --system "$B")" 0
check "rule syslog_source 127.0.0.1 -> B" eq rc "$(st V systems rule-add --kind syslog_source --pattern 127.0.0.1/32 --system "$B" --priority 50)" 0
check "host a-web declared in A" eq rc "$(st V systems host-add "$A" a-web 10.10.5.11)" 0
# logger sends this machine's name: B's mail server is this host
check "this host declared in B" eq rc "$(st V systems host-add "$B" "$(hostname)" 127.0.0.1)" 0
check "three rules" eq rules "$(V systems rules --json | jq -c '[.rules[] | .kind] | sort')" '["hostname","hostname","syslog_source"]'

# ---- 2. events over real inputs ----
NOW_SYSLOG=$(date -u '+%b %e %H:%M:%S')
NOW_CLF=$(date -u '+%d/%b/%Y:%H:%M:%S +0000')
NOW_ISO=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
# A's web server (agent a-web): one normal request, 5 SQL injection attempts
mkdir -p "$T/logs"
{
	printf '198.51.100.50 - - [%s] "GET /dich-vu/tra-cuu HTTP/1.1" 200 5120 "-" "Mozilla/5.0"\n' "$NOW_CLF"
	for i in 1 2 3 4 5; do
		printf '203.0.113.66 - - [%s] "GET /dich-vu/tra-cuu?ma=%d%%27+UNION+SELECT+username,password+FROM+users-- HTTP/1.1" 500 312 "-" "Mozilla/5.0"\n' "$NOW_CLF" "$i"
	done
} >"$T/logs/access.log"
# A's web server: 3 sshd failures (below the brute-force threshold)
for i in 1 2 3; do
	printf '%s a-web sshd[2%03d]: Failed password for invalid user admin from 192.0.2.44 port 5%04d ssh2\n' "$NOW_SYSLOG" "$i" "$i"
done >"$T/logs/auth.log"
printf 'send:\n  backoff_min: 100ms\n  backoff_max: 1s\nheartbeat_interval: 1h\n' >"$T/agent.yml"
ETOKEN=$("$VIGIL" agents token --data "$D")
start_agent "$T/agent" a-web -c "$T/agent.yml" --enroll "$ETOKEN" --tail "$T/logs/access.log" --tail "$T/logs/auth.log"
# B's mail server over syslog/TCP: 12 sshd failures from one source, a UFW block
for i in $(seq 1 12); do
	printf 'Failed password for root from 198.51.100.7 port 40%02d ssh2\n' "$i"
done | logger --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t sshd --id=4242
logger --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t kernel \
	"[UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.7 DST=198.51.100.25 LEN=60 PROTO=TCP SPT=4444 DPT=25"
# the HTTPS intake: A's Suricata sensor and workstation, B's workstation
cat >"$T/intake.ndjson" <<JSON
{"timestamp":"$NOW_ISO","event_type":"alert","host":{"name":"a-ids"},"src_ip":"203.0.113.66","src_port":51000,"dest_ip":"203.0.113.10","dest_port":443,"proto":"TCP","alert":{"signature_id":2006445,"signature":"ET WEB_SERVER SQL Injection Attempt UNION SELECT","category":"Web Application Attack","severity":1}}
{"@timestamp":"$NOW_ISO","host":{"name":"a-pc1"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","event_id":1,"event_data":{"Image":"C:\\\\Windows\\\\System32\\\\cmd.exe","CommandLine":"cmd /c whoami"}}}
{"@timestamp":"$NOW_ISO","host":{"name":"b-pc7"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","event_id":3,"event_data":{"Image":"C:\\\\Program Files\\\\Outlook\\\\outlook.exe","DestinationIp":"198.51.100.25","DestinationPort":"443"}}}
JSON
code=$(curl -sS -o "$T/b" -w '%{http_code}' --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $INGEST" \
	-H 'Content-Type: application/x-ndjson' --data-binary "@$T/intake.ndjson" "$URL/api/v1/events")
check "intake: 200" eq code "$code" 200
check "intake: 3 accepted" eq body "$(cat "$T/b")" '{"accepted":3}'

# ---- 3. coverage ----
# settled: every expected layer count is in (the agent and the drain are asynchronous)
lay() { jq -r --argjson id "$1" ".systems[] | select(.id == \$id) | .layers.$2.$3" "$T/cov.json"; }
cov_settled() {
	V coverage --json >"$T/cov.json" 2>/dev/null || return 1
	[ "$(lay "$A" application events_24h)" = 6 ] && [ "$(lay "$A" host events_24h)" = 3 ] &&
		[ "$(lay "$B" host events_24h)" = 12 ] && [ "$(lay "$A" network events_24h)" = 1 ] &&
		[ "$(lay "$B" endpoint events_24h)" = 1 ]
}
check "coverage settles" until_ok 300 cov_settled
check "A network covered (Suricata over HTTPS)" eq A.network "$(lay "$A" network state)/$(lay "$A" network events_24h)" covered/1
check "A host covered (sshd, agent)" eq A.host "$(lay "$A" host state)/$(lay "$A" host events_24h)" covered/3
check "A application covered (access log, agent)" eq A.application "$(lay "$A" application state)/$(lay "$A" application events_24h)" covered/6
check "A endpoint covered (Sysmon over HTTPS)" eq A.endpoint "$(lay "$A" endpoint state)/$(lay "$A" endpoint events_24h)" covered/1
check "B network covered (UFW over syslog)" eq B.network "$(lay "$B" network state)/$(lay "$B" network events_24h)" covered/1
check "B host covered (sshd over syslog)" eq B.host "$(lay "$B" host state)/$(lay "$B" host events_24h)" covered/12
check "B application missing" eq B.application "$(lay "$B" application state)/$(lay "$B" application events_24h)" missing/0
check "B endpoint covered (Sysmon over HTTPS)" eq B.endpoint "$(lay "$B" endpoint state)/$(lay "$B" endpoint events_24h)" covered/1
check "A fully covered, B not" eq full "$(jq -c '[.systems[] | [.id, .fully_covered, .covered_layers]]' "$T/cov.json")" "[[$A,true,4],[$B,false,3]]"
check "share of level 3-5 systems: 1 of 2" eq summary \
	"$(jq -c '.summary | [.systems, .level3_5_systems, .level3_5_fully_covered, .level3_5_share]' "$T/cov.json")" '[2,2,1,0.5]'
check "one gap: B application missing" eq gaps "$(jq -c '[.gaps[] | [.system_id, .system, .level, .layer, .state]]' "$T/cov.json")" \
	"[[$B,\"$SB\",3,\"application\",\"missing\"]]"
check "act on, by level: A (no plan), B (missing layer)" eq act_on \
	"$(jq -c '[.act_on[] | [.system_id, .level, .reasons, .missing_layers]]' "$T/cov.json")" \
	"[[$A,5,[\"no_approved_plan\"],[]],[$B,3,[\"missing_layers\"],[\"application\"]]]"
check "no unattributed source" eq unattributed "$(jq '.unattributed | length' "$T/cov.json")" 0
check "coverage text" eq rc "$(st V coverage)" 0
check "coverage text: the share" grep -q "level 3-5 systems fully covered: 1 of 2" "$T/out"
check "coverage --check: exit 1 (B has a gap)" eq rc "$(st V coverage --check)" 1
check "A's declared host seen" eq seen "$(V systems hosts "$A" --json | jq -c '[.hosts[] | [.name, .last_seen_us > 0]]')" '[["a-web",true]]'

# ---- 4. incidents ----
inc_list() { V incidents list --json "$@" 2>/dev/null; }
inc_of() { # SYSTEM_ID RULE_TITLE: the incident id of that rule on that system
	inc_list --system "$1" | jq -r --arg t "$2" '[.[] | select(.title == $t) | .id] | first // empty'
}
SQLI='SQL Injection Attempt In A Web Request'
BF='SSH Brute Force From One Source'
bf_any() { inc_list | jq -r --arg t "$BF" '[.[] | select(.title == $t) | .id] | first // empty'; }
have_incidents() { [ -n "$(inc_of "$A" "$SQLI")" ] && [ -n "$(bf_any)" ]; }
check "alerts became incidents" until_ok 150 have_incidents
I1=$(inc_of "$A" "$SQLI")
I2=$(bf_any)
[ -n "$I1" ] && [ -n "$I2" ] || { echo "FAIL: no incidents, cannot go on"; exit 1; }
# let the 5 SQL injection alerts all be linked (one grouping pass per second)
sqli_linked() { [ "$(V incidents show "$I1" --json | jq '.alerts | length')" = 5 ]; }
until_ok 50 sqli_linked || true
V incidents show "$I1" --json >"$T/i1.json"
V incidents show "$I2" --json >"$T/i2.json"
check "5 SQL injection lines on A -> one incident with 5 alerts" eq alerts "$(jq '.alerts | length' "$T/i1.json")" 5
check "only one SQL injection incident" eq n "$(inc_list | jq --arg t "$SQLI" '[.[] | select(.title == $t)] | length')" 1
check "the SQL injection incident is A's" eq systems "$(jq -c '[.systems[].id]' "$T/i1.json")" "[$A]"
check "the brute force incident is B's" eq systems "$(jq -c '[.systems[].id]' "$T/i2.json")" "[$B]"
check "12 sshd failures on B -> one correlation alert, one incident" eq bf \
	"$(jq '.alerts | length' "$T/i2.json")/$(inc_list | jq --arg t "$BF" '[.[] | select(.title == $t)] | length')" 1/1
check "detection method names the rule" grep -q "rule .*: $SQLI" <(jq -r .detection_method "$T/i1.json")
check "SQL injection: intrusion, high" eq type "$(jq -c '[.type, .severity, .state]' "$T/i1.json")" '["intrusion","high","new"]'
check "level-5 system: serious" eq serious "$(jq .serious "$T/i1.json")" true
check "level-3 system, no impact marked: not serious" eq serious "$(jq .serious "$T/i2.json")" false
check "serious filter lists only A's incident" eq serious "$(inc_list --serious | jq -c '[.[].id]')" "[$I1]"
# one by hand, on B: a phishing mail reported by a user
check "incident by hand on B" eq rc "$(st V incidents create --title 'Thư giả mạo gửi tới hộp thư lãnh đạo Cục' \
	--type intrusion --severity medium --system "$B" --json)" 0
I4=$(jq -r .id "$T/out")
check "by hand: B's, manual, not serious" eq i4 "$(jq -c '[[.systems[].id], .detection_method, .serious, .profile]' "$T/out")" \
	"[[$B],\"manual\",false,\"vn-circular-20-2017\"]"
# the default profile: initial report 5 days after detection, closure 5 days after resolution
for f in i1 i2; do
	check "$f: default profile" eq profile "$(jq -r .profile "$T/$f.json")" vn-circular-20-2017
	check "$f: initial due 120 h after detection" eq delta \
		$(($(us "$(jq -r .deadlines.initial.due_at "$T/$f.json")") - $(us "$(jq -r .detected_at "$T/$f.json")"))) 432000000000
	check "$f: initial pending, closure not started" eq deadlines \
		"$(jq -c '[.deadlines.initial.state, .deadlines.closure.state, .deadlines.closure.due_at]' "$T/$f.json")" '["pending","pending",null]'
done

# the workflow of A's incident: triage, assign, report sent, resolve
check "triage" eq rc "$(st V incidents transition "$I1" triaged)" 0
check "assign" eq rc "$(st V incidents assign "$I1" boss)" 0
check "comment" eq rc "$(st V incidents comment "$I1" 'Đã chặn địa chỉ 203.0.113.66 tại tường lửa ứng dụng web')" 0
check "describe impact and resolution" eq rc "$(st V incidents update "$I1" --impact 'Không có dữ liệu bị lộ' \
	--resolution 'Đã vá lỗi truy vấn tham số hóa trên cổng dịch vụ công' --reporter 'Nguyễn Văn Thắng')" 0
check "initial report marked sent" eq rc "$(st V incidents report "$I1" initial --to 'VNCERT/CC' --json)" 0
V incidents show "$I1" --json >"$T/i1.json"
check "initial deadline done, to VNCERT/CC" eq initial "$(jq -c '[.deadlines.initial.state, .deadlines.initial.recipient]' "$T/i1.json")" '["done","VNCERT/CC"]'
check "deadline done: only A's incident" eq done "$(inc_list --deadline done | jq -c '[.[].id]')" "[$I1]"
check "B's initial still pending" eq pending "$(V incidents show "$I2" --json | jq -r .deadlines.initial.state)" pending
check "resolve" eq rc "$(st V incidents transition "$I1" resolved --json)" 0
cp "$T/out" "$T/i1r.json"
check "closure due 120 h after resolution" eq delta \
	$(($(us "$(jq -r .deadlines.closure.due_at "$T/i1r.json")") - $(us "$(jq -r .resolved_at "$T/i1r.json")"))) 432000000000
# one timeline entry per action (a bare assign is one action)
check "timeline: the admin's 6 actions, in order" eq timeline \
	"$(jq -c '[.timeline[] | select(.actor == "boss") | .text]' "$T/i1r.json")" \
	'["new -> triaged","assigned to boss","Đã chặn địa chỉ 203.0.113.66 tại tường lửa ứng dụng web","impact, resolution, reporter","initial report sent to VNCERT/CC","triaged -> resolved"]'

# the second profile: a new incident gets 24 h / 72 h from detection
check "switch to 24h-72h" eq rc "$(st V incidents profiles --set 24h-72h)" 0
check "24h-72h active" grep -q '^\* 24h-72h' "$T/out"
printf '203.0.113.66 - - [%s] "GET /tai-lieu?file=../../../../etc/passwd HTTP/1.1" 404 196 "-" "Mozilla/5.0"\n' \
	"$(date -u '+%d/%b/%Y:%H:%M:%S +0000')" >>"$T/logs/access.log"
TRAV='Path Traversal Attempt In A Web Request'
have_i3() { [ -n "$(inc_of "$A" "$TRAV")" ]; }
check "path traversal opens a new incident" until_ok 150 have_i3
I3=$(inc_of "$A" "$TRAV")
V incidents show "$I3" --json >"$T/i3.json"
check "new incident under 24h-72h" eq profile "$(jq -r .profile "$T/i3.json")" 24h-72h
DET3=$(us "$(jq -r .detected_at "$T/i3.json")")
check "initial notice due 24 h after detection" eq delta $(($(us "$(jq -r .deadlines.initial.due_at "$T/i3.json")") - DET3)) 86400000000
check "report due 72 h after detection" eq delta $(($(us "$(jq -r .deadlines.closure.due_at "$T/i3.json")") - DET3)) 259200000000
check "24 h notice: due_soon" eq state "$(jq -r .deadlines.initial.state "$T/i3.json")" due_soon
check "level-5 system: serious again" eq serious "$(jq .serious "$T/i3.json")" true
check "earlier incidents keep the default profile" eq profiles \
	"$(V incidents show "$I2" --json | jq -r .profile)" vn-circular-20-2017
check "four incidents in all" eq ids "$(inc_list | jq -c '[.[].id] | sort')" "$(printf '%s\n' "$I1" "$I2" "$I3" "$I4" | sort -n | jq -sc .)"

# ---- 5. every report as PDF ----
text() { pdftotext "$1" - | tr -s ' \n\f\t' '    ' | tr -s ' '; }
has() { grep -qF -- "$2" <(text "$1") || { echo "  not in $1: $2"; return 1; }; }
hasnt() { ! grep -qF -- "$2" <(text "$1") || { echo "  unexpected in $1: $2"; return 1; }; }
row() { grep -qE -- "$2" <(pdftotext -layout "$1" -) || { echo "  no row in $1: $2"; return 1; }; }
pages() { pdfinfo "$1" | awk '/^Pages:/ { print $2 }'; }
# the page count pdfinfo reads is the one the footer of the last page prints
paged() {
	local p
	p=$(pages "$1")
	[ "${p:-0}" -ge 1 ] && pdftotext -f "$p" -l "$p" "$1" - | grep -qF "Trang $p/$p" ||
		{ echo "  $1: $p pages, last footer: $(pdftotext -f "$p" -l "$p" "$1" - | grep -o 'Trang [0-9/]*')"; return 1; }
}
pdf() { # NAME ARGS...: vigil report ARGS --format pdf -o $T/NAME.pdf
	local n=$1
	shift
	st V report "$@" --format pdf -o "$T/$n.pdf" >/dev/null
	[ "$(cat "$T/rc")" = 0 ] && [ "$(head -c 5 "$T/$n.pdf")" = "%PDF-" ] || { cat "$T/err"; return 1; }
}
DAY=$(TZ=Asia/Ho_Chi_Minh date +%F)
WEEK=$(TZ=Asia/Ho_Chi_Minh date +%G-W%V)
MONTH=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m)
M=$(TZ=Asia/Ho_Chi_Minh date +%-m)
HALF=$(TZ=Asia/Ho_Chi_Minh date +%Y)-H$((M <= 6 ? 1 : 2))
MOTTO='CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc'

check "daily PDF" pdf daily daily --period "$DAY"
check "daily: title" has "$T/daily.pdf" "BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG NGÀY"
check "daily: motto" has "$T/daily.pdf" "$MOTTO"
check "daily: the SQL injection rule" has "$T/daily.pdf" "$SQLI"
check "daily: the brute force rule" has "$T/daily.pdf" "$BF"
check "daily: attacked system A" has "$T/daily.pdf" "$SA"
check "daily: attacked system B" has "$T/daily.pdf" "$SB"
check "daily: attacker of A" has "$T/daily.pdf" "203.0.113.66"
check "daily: attacker of B" has "$T/daily.pdf" "198.51.100.7"
check "daily: paged" paged "$T/daily.pdf"
V report daily --period "$DAY" --format json >"$T/daily.json"
# 5 SQL injection + 1 path traversal (high), 1 brute-force correlation (medium)
check "daily JSON: the alerts" eq summary "$(jq -c '.summary | [.alerts, .high, .medium, .correlations, .hosts, .sources, .rules]' "$T/daily.json")" \
	'[7,6,1,1,2,2,3]'
check "daily JSON: attacked objects by system" eq objects "$(jq -c '[.objects[] | [.system, .count]]' "$T/daily.json")" \
	"[[\"$SA\",6],[\"$SB\",1]]"
check "daily PDF: total 7" row "$T/daily.pdf" "Tổng số cảnh báo: +7\$"
check "daily PDF: 6 high" row "$T/daily.pdf" "Mức Cao: +6\$"

check "weekly PDF" pdf weekly weekly --period "$WEEK"
check "weekly: title" has "$T/weekly.pdf" "BÁO CÁO GIÁM SÁT AN TOÀN THÔNG TIN HẰNG TUẦN"
check "weekly: period" has "$T/weekly.pdf" "Kỳ báo cáo: $WEEK"
check "weekly: new systems in the changes" has "$T/weekly.pdf" "VII. THAY ĐỔI TRONG KỲ"
check "weekly: A among the changes" has "$T/weekly.pdf" "$SA"
check "weekly: the incidents of the week" row "$T/weekly.pdf" "^ *Tổng số sự cố: +4\$"
check "weekly: paged" paged "$T/weekly.pdf"

check "monthly PDF" pdf monthly monthly --period "$MONTH"
check "monthly: title" has "$T/monthly.pdf" "BÁO CÁO TÌNH HÌNH TRIỂN KHAI GIÁM SÁT AN TOÀN THÔNG TIN HẰNG THÁNG"
check "monthly: coverage section" has "$T/monthly.pdf" "II. TÌNH HÌNH GIÁM SÁT 4 LỚP"
check "monthly: system A" has "$T/monthly.pdf" "$SA"
check "monthly: system B" has "$T/monthly.pdf" "$SB"
check "monthly: layer columns" has "$T/monthly.pdf" "Máy chủ và CSDL"
check "monthly: B's missing layer" has "$T/monthly.pdf" "Chưa giám sát"
check "monthly: paged" paged "$T/monthly.pdf"
V report monthly --period "$MONTH" --format json >"$T/monthly.json"
check "monthly JSON: the coverage of the PDF" eq coverage \
	"$(jq -c '.coverage | [.level3_5_total, .level3_5_covered, .level3_5_share, [.systems[] | [.id, .layers.application, .all_covered]]]' "$T/monthly.json")" \
	"[2,1,0.5,[[$A,\"covered\",true],[$B,\"missing\",false]]]"

check "semiannual PDF" pdf half semiannual --period "$HALF"
check "semiannual: title" has "$T/half.pdf" "BÁO CÁO TỔNG HỢP SỰ CỐ AN TOÀN THÔNG TIN MẠNG 6 THÁNG"
check "semiannual: types" has "$T/half.pdf" "Mã hóa dữ liệu (mã độc tống tiền)"
check "semiannual: intrusion" has "$T/half.pdf" "Xâm nhập"
check "semiannual: paged" paged "$T/half.pdf"
check "semiannual: 4 incidents" row "$T/half.pdf" "Tổng số sự cố: +4\$"
check "semiannual: all 4 of them intrusions" row "$T/half.pdf" "^ *2 +Xâm nhập +4\$"
check "semiannual: none of malware" row "$T/half.pdf" "^ *1 +Mã độc +0\$"
check "semiannual: the phishing incident listed" has "$T/half.pdf" "Thư giả mạo gửi tới hộp thư lãnh đạo Cục"
check "semiannual: A's incident resolved" has "$T/half.pdf" "Đã xử lý xong"
V report semiannual --period "$HALF" --format json >"$T/half.json"
check "semiannual JSON: by type" eq by_type "$(jq -c '.incidents | [.total, .by_type.intrusion, .by_state.new, .by_state.resolved]' "$T/half.json")" '[4,4,3,1]'
# the deadline states the report exports are those of the incidents API now
# (generated mid-period: nothing is overdue yet)
api_dl() { V incidents list --json | jq -c 'sort_by(.id) | [.[] | [.id, .deadlines.initial.state, .deadlines.closure.state]]'; }
check "semiannual JSON: deadline states as the API says" eq deadlines \
	"$(jq -c '.incidents.list | sort_by(.id) | [.[] | [.id, .deadlines[0].state, .deadlines[1].state]]' "$T/half.json")" "$(api_dl)"

check "Mẫu 03 PDF" pdf mau03 incident "$I1" --form initial
check "Mẫu 03: form number" has "$T/mau03.pdf" "Mẫu 03 (ban hành kèm theo Thông tư số 20/2017/TT-BTTTT)"
check "Mẫu 03: title" has "$T/mau03.pdf" "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG"
check "Mẫu 03: motto" has "$T/mau03.pdf" "$MOTTO"
check "Mẫu 03: system" has "$T/mau03.pdf" "$SA"
check "Mẫu 03: level" has "$T/mau03.pdf" "Cấp độ 5"
check "Mẫu 03: public IP" has "$T/mau03.pdf" "203.0.113.10"
check "Mẫu 03: domain" has "$T/mau03.pdf" "dichvucong.example.vn"
check "Mẫu 03: layer-1 contact" has "$T/mau03.pdf" "Nguyễn Văn Thắng"
check "Mẫu 03: layer-2 provider" has "$T/mau03.pdf" "Công ty Cổ phần An ninh mạng Đông Á"
check "Mẫu 03: owner unit" has "$T/mau03.pdf" "$DEP1"
check "Mẫu 03: the attacker" has "$T/mau03.pdf" "203.0.113.66"
check "Mẫu 03: paged" paged "$T/mau03.pdf"
check "Mẫu 03: A4, titled, by vigil" eq pdfinfo "$(pdfinfo "$T/mau03.pdf" | awk -F': +' '/^(Title|Creator|Page size):/ { print $2 }' | paste -sd'|')" \
	"BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG|vigil|595.276 x 841.89 pts (A4)"
check "Mẫu 04 PDF" pdf mau04 incident "$I1" --form closure
check "Mẫu 04: title" has "$T/mau04.pdf" "BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ AN TOÀN THÔNG TIN MẠNG"
check "Mẫu 04: form number" has "$T/mau04.pdf" "Mẫu 04"
check "Mẫu 04: impact" has "$T/mau04.pdf" "Không có dữ liệu bị lộ"
check "Mẫu 04: result" has "$T/mau04.pdf" "Đã vá lỗi truy vấn tham số hóa trên cổng dịch vụ công"
check "Mẫu 04: the comment in the actions" has "$T/mau04.pdf" "Đã chặn địa chỉ 203.0.113.66 tại tường lửa ứng dụng web"
check "Mẫu 04: paged" paged "$T/mau04.pdf"
check "Mẫu 03 in English" eq rc "$(st V report incident "$I1" --form initial --format pdf --lang en -o "$T/f03en.pdf")" 0
check "Mẫu 03 en: title" has "$T/f03en.pdf" "INITIAL CYBERSECURITY INCIDENT REPORT"
check "Mẫu 03 en: the Vietnamese name kept" has "$T/f03en.pdf" "$SA"

# ---- 6. access control ----
# the auditor reads everything and writes nothing
check "auditor: systems list" eq systems "$(VA systems list --json | jq -c '[.systems[].id] | sort')" "$(printf '%s\n' "$A" "$B" | sort -n | jq -sc .)"
check "auditor: incidents list" eq n "$(VA incidents list --json | jq length)" 4
check "auditor: coverage" eq rc "$(st VA coverage --json)" 0
check "auditor: a report" eq rc "$(st VA report incident "$I2" --form initial --format pdf -o "$T/aud.pdf")" 0
check "auditor cannot add a system" eq rc "$(st VA systems add --name Z --unit bo-khcn --level 1)" 2
check "auditor: 403" grep -q "403" "$T/err"
check "auditor cannot comment" eq rc "$(st VA incidents comment "$I2" 'xem')" 2
check "auditor: 403" grep -q "403" "$T/err"
check "auditor cannot switch the profile" eq rc "$(st VA incidents profiles --set vn-circular-20-2017)" 2
check "auditor: 403" grep -q "403" "$T/err"
check "auditor cannot add a unit (403)" eq code "$(api "$AUD" POST /units '{"path":"bo-khcn/x","name":"X"}')" 403
check "auditor cannot patch a system (403)" eq code "$(api "$AUD" PATCH "/systems/$A" '{"level":1}')" 403
check "A unchanged" eq level "$(V systems show "$A" --json | jq .level)" 5
check "auditor reads the audit log (200)" eq code "$(api "$AUD" GET '/audit?limit=1')" 200
# the analyst of department 1 sees A, not B
check "analyst: systems list is A only" eq systems "$(VL systems list --json | jq -c '[.systems[].id]')" "[$A]"
check "analyst: B is 404" eq rc "$(st VL systems show "$B")" 2
check "analyst: B says 404" grep -q "404" "$T/err"
check "analyst: GET /systems/B is 404 (curl)" eq code "$(api "$ANA" GET "/systems/$B")" 404
check "analyst: coverage of A only" eq coverage "$(VL coverage --json | jq -c '[.systems[].id]')" "[$A]"
check "analyst: A's incidents only" eq incidents "$(VL incidents list --json | jq -c '[.[].id] | sort')" "$(printf '%s\n' "$I1" "$I3" | sort -n | jq -sc .)"
check "analyst: the brute force on B's host is 404" eq rc "$(st VL incidents show "$I2")" 2
check "analyst: the brute force says 404" grep -q "404" "$T/err"
check "analyst: B's hand-made incident is 404" eq rc "$(st VL incidents show "$I4")" 2
check "analyst: B's hand-made incident says 404" grep -q "404" "$T/err"
check "analyst: B's form is 404" eq rc "$(st VL report incident "$I4" --form initial --format json)" 2
check "analyst: daily report without B" eq rc "$(st VL report daily --period "$DAY" --format pdf -o "$T/ana.pdf")" 0
check "analyst's daily: A" has "$T/ana.pdf" "$SA"
check "analyst's daily: not B" hasnt "$T/ana.pdf" "$SB"
check "analyst's daily: not B's attacker" hasnt "$T/ana.pdf" "198.51.100.7"
check "analyst may write in its unit" eq rc "$(st VL incidents comment "$I3" 'Đang xác minh')" 0
check "analyst cannot write to B's incident" eq rc "$(st VL incidents comment "$I4" 'x')" 2
check "analyst: the write to B's incident is 404" grep -q "404" "$T/err"

# ---- 7. the audit log: every change of the admin, who and when ----
api "$ADMIN" GET '/audit?limit=1000&actor=boss' >/dev/null
cp "$T/b" "$T/audit-boss.json"
check "audit: the admin's changes, in order" eq audit \
	"$(jq -r '.items[] | if (.action | test("^(attribution_rule|host)[.]")) then .action else "\(.action) \(.object_id)" end' "$T/audit-boss.json" | paste -sd' ')" \
	"$(printf '%s ' "unit.create bo-khcn" "unit.create bo-khcn/cuc-attt" "unit.create bo-khcn/cuc-bdtw" \
		"system.create $A" "system.create $B" attribution_rule.create attribution_rule.create attribution_rule.create \
		host.create host.create "incident.create $I4" "incident.transition $I1" "incident.update $I1" \
		"incident.comment $I1" "incident.update $I1" "incident.report $I1" "incident.transition $I1" \
		"incident.profiles 24h-72h" | sed 's/ $//')"
check "audit: written during this run" eq when "$(jq --arg t "$START" '[.items[] | select(.time < $t)] | length' "$T/audit-boss.json")" 0
check "audit: the system's details recorded" eq details "$(jq -r --arg a "$A" '.items[] | select(.action == "system.create" and .object_id == $a) | .details | tostring | contains("Cổng dịch vụ công trực tuyến")' "$T/audit-boss.json")" true
check "audit: the analyst's comment" eq lan "$(api "$ADMIN" GET '/audit?limit=1000&actor=lan' >/dev/null; jq -c '[.items[] | [.action, .object_id]]' "$T/b")" "[[\"incident.comment\",\"$I3\"]]"
check "audit: the auditor's refused writes left nothing" eq auditor "$(api "$ADMIN" GET '/audit?limit=1000&actor=kiemtra' >/dev/null; jq '.items | length' "$T/b")" 0
check "analyst may not read the audit log (403)" eq code "$(api "$ANA" GET '/audit?limit=1')" 403

check "server still running" kill -0 "$SRV"
kill "$AGENT_PID" 2>/dev/null || true
wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
stop_server
check "server exit 0" eq rc "$SRV_RC" 0
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$STOPPED_LOG'"

echo "test_operations_e2e: $pass passed, $fails failed"
if [ "$fails" != 0 ]; then
	echo "--- server log"; tail -30 "$STOPPED_LOG" 2>/dev/null || true
	echo "--- agent log"; tail -10 "$T/agent-a-web.log" 2>/dev/null || true
fi
[ "$fails" = 0 ]
