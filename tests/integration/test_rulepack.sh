#!/usr/bin/env bash
# vigil's own rule pack (rules/) against the example logs (examples/): for
# every rule, the exact set of alerts (rule, line, group-by values, count);
# every rule of the pack is accounted for; and the normal traffic left once
# the attack lines are removed raises nothing. Needs jq. examples/README.md
# explains each expected alert.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
ROOT=${VG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
EX=$ROOT/examples
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

# One line per alert: title|line|group-by values (comma-joined, "-" for event
# rules)|count ("-" for event rules). Sorted, so output order does not matter.
summarise() {
	jq -r '[.rule.title, (.log.file.line | tostring),
		(if .correlation then ([.correlation.group_by[]] | join(",")) else "-" end),
		(if .correlation then (.correlation.count | tostring) else "-" end)] | join("|")' | LC_ALL=C sort
}

expect() { # expect FILE  (expected summary on stdin)
	local f=$1
	LC_ALL=C sort >"$T/want"
	"$VIGIL" scan -q "$EX/$f" >"$T/$f.json"
	summarise <"$T/$f.json" >"$T/got"
	if ! diff -u "$T/want" "$T/got" >"$T/diff"; then
		echo "FAIL: alerts on examples/$f differ (- expected, + got):"
		cat "$T/diff"
		fails=$((fails + 1))
	fi
	# Every alert names a rule of the pack by the id its file declares.
	jq -r '"\(.rule.id)|\(.rule.title)"' "$T/$f.json" | sort -u >>"$T/ids_seen"
}

expect auth.log <<'E'
Sudo Authentication Failure|95|-|-
Sudo By A User Not In Sudoers|96|-|-
Root Shell Through Sudo|97|-|-
Failed su To Another User|99|-|-
Failed su To Another User|100|-|-
Local User Account Created|103|-|-
User Added To A Privileged Group|108|-|-
User Added To A Privileged Group|109|-|-
Local User Account Created|111|-|-
Local User Created With UID 0|111|-|-
Database Authentication Failure|113|-|-
Database Authentication Failure|118|-|-
Database Authentication Failure|120|-|-
Database Authentication Failure|122|-|-
Database Authentication Failure|124|-|-
Database Authentication Failure|126|-|-
Database Authentication Failure|128|-|-
Database Authentication Failure|130|-|-
Database Authentication Failure|132|-|-
Database Authentication Failure|134|-|-
Database Authentication Failure|136|-|-
Database Authentication Failure|138|-|-
Database Authentication Failure|140|-|-
SSH Brute Force From One Source|38|185.220.101.33|10
SSH Password Spraying From One Source|69|45.133.1.20|5
SSH Login Succeeds After Repeated Failures|85|203.0.113.77|2
Database Authentication Brute Force|134|db01|10
FTP Brute Force Against vsftpd|153|91.240.118.5|10
Mail Server Authentication Brute Force|172|mail01|10
E

expect access.log <<'E'
SQL Injection Attempt In A Web Request|43|-|-
SQL Injection Attempt In A Web Request|44|-|-
SQL Injection Attempt In A Web Request|47|-|-
SQL Injection Attempt In A Web Request|55|-|-
SQL Injection Attempt In A Web Request|56|-|-
Web Vulnerability Scanner User Agent|56|-|-
Cross-Site Scripting Attempt In A Web Request|66|-|-
Cross-Site Scripting Attempt In A Web Request|67|-|-
Cross-Site Scripting Attempt In A Web Request|69|-|-
Path Traversal Attempt In A Web Request|77|-|-
Path Traversal Attempt In A Web Request|78|-|-
Path Traversal Attempt In A Web Request|79|-|-
Log4Shell JNDI Lookup In A Web Request|88|-|-
Log4Shell JNDI Lookup In A Web Request|89|-|-
Log4Shell JNDI Lookup In A Web Request|91|-|-
Log4Shell JNDI Lookup In A Web Request|95|-|-
Log4Shell JNDI Lookup In A Web Request|96|-|-
Log4Shell JNDI Lookup In A Web Request|97|-|-
Web Shell Accessed|103|-|-
Web Shell Accessed|104|-|-
Web Shell Accessed|109|-|-
Web Shell Accessed|113|-|-
Web Vulnerability Scanner User Agent|116|-|-
Web Vulnerability Scanner User Agent|117|-|-
Web Vulnerability Scanner User Agent|118|-|-
Web Vulnerability Scanner User Agent|119|-|-
Web Vulnerability Scanner User Agent|120|-|-
Web Vulnerability Scanner User Agent|121|-|-
Web Vulnerability Scanner User Agent|122|-|-
Web Vulnerability Scanner User Agent|123|-|-
Web Login Brute Force From One Source|161|45.95.147.200|10
E

expect firewall.log <<'E'
Port Scan Blocked By The Firewall|44|45.155.205.233|15
E

expect audit.log <<'E'
Reverse Shell Or Download-And-Run Command Line|52|-|-
E

# The contributing events of the correlations, too (where an analyst looks).
events() { jq -r --arg t "$2" 'select(.rule.title == $t) | [.correlation.events[].line] | map(tostring) | join(",")' "$T/$1.json"; }
check_events() { # check_events FILE TITLE EXPECTED
	local got
	got=$(events "$1" "$2")
	if [ "$got" != "$3" ]; then
		echo "FAIL: $2: contributing lines $got, expected $3"
		fails=$((fails + 1))
	fi
}
check_events auth.log "SSH Brute Force From One Source" "23,24,25,26,30,31,32,33,37,38"
check_events auth.log "SSH Password Spraying From One Source" "54,58,60,61,63,64,66,67,69"
check_events auth.log "SSH Login Succeeds After Repeated Failures" "79,80,81,82,83,85"
check_events auth.log "Mail Server Authentication Brute Force" "160,164,165,166,167,168,169,170,171,172"
check_events firewall.log "Port Scan Blocked By The Firewall" "30,31,32,33,34,35,36,37,38,39,40,41,42,43,44"

# Every rule of the pack is either expected to alert above or is a base rule
# that only feeds a correlation: a new rule without a test fails here.
alerting="Sudo Authentication Failure
Sudo By A User Not In Sudoers
Root Shell Through Sudo
Failed su To Another User
Local User Account Created
User Added To A Privileged Group
Local User Created With UID 0
Database Authentication Failure
Database Authentication Brute Force
SSH Brute Force From One Source
SSH Password Spraying From One Source
SSH Login Succeeds After Repeated Failures
FTP Brute Force Against vsftpd
Mail Server Authentication Brute Force
SQL Injection Attempt In A Web Request
Cross-Site Scripting Attempt In A Web Request
Path Traversal Attempt In A Web Request
Log4Shell JNDI Lookup In A Web Request
Web Shell Accessed
Web Vulnerability Scanner User Agent
Web Login Brute Force From One Source
Port Scan Blocked By The Firewall
Reverse Shell Or Download-And-Run Command Line"
base="SSH Authentication Failure
SSH Failed Login For A User Name
Repeated SSH Failures From One Source
SSH Password Failure
SSH Login Success
vsftpd Authentication Failure
Mail Server Authentication Failure
Web Login Form Post Not Redirected
Firewall Blocked A Packet"
grep -rh '^title: ' "$ROOT/rules" | sed 's/^title: //' | LC_ALL=C sort >"$T/pack_titles"
printf '%s\n%s\n' "$alerting" "$base" | LC_ALL=C sort >"$T/known_titles"
if ! diff -u "$T/known_titles" "$T/pack_titles"; then
	echo "FAIL: rules/ titles differ from the alerting + base lists of this test"
	fails=$((fails + 1))
fi
sort -u "$T/ids_seen" | cut -d'|' -f2 | LC_ALL=C sort >"$T/fired"
if ! diff -u <(echo "$alerting" | LC_ALL=C sort) "$T/fired"; then
	echo "FAIL: not every alerting rule fired on the examples (or a base rule alerted)"
	fails=$((fails + 1))
fi
# Alert ids are the ids declared next to those titles in rules/.
find "$ROOT/rules" -name '*.yml' | LC_ALL=C sort | xargs awk '
	FNR == 1 || /^---/ { if (id != "") print id "|" title; id = ""; title = "" }
	/^id: / { id = substr($0, 5) }
	/^title: / { title = substr($0, 8) }
	END { if (id != "") print id "|" title }' | LC_ALL=C sort >"$T/declared"
if [ -n "$(LC_ALL=C sort -u "$T/ids_seen" | LC_ALL=C comm -23 - "$T/declared")" ]; then
	echo "FAIL: alerts with a rule id/title pair not declared in rules/:"
	LC_ALL=C sort -u "$T/ids_seen" | LC_ALL=C comm -23 - "$T/declared"
	fails=$((fails + 1))
fi

# Negative check: drop every line that raised an alert or contributed to a
# correlation alert; what is left (normal traffic and attack remnants below
# every threshold) must raise nothing.
for f in auth.log access.log firewall.log audit.log; do
	jq -r '.log.file.line, (.correlation.events[]?.line)' "$T/$f.json" | sort -un >"$T/hit_lines"
	if [ "$f" = audit.log ]; then
		# an auditd event spans its group of lines (same serial)
		serials=$(awk 'NR==FNR { hit[$1] = 1; next } FNR in hit { match($0, /:[0-9]+\)/); print substr($0, RSTART + 1, RLENGTH - 2) }' "$T/hit_lines" "$EX/$f")
		grep -v -E ":($(echo "$serials" | paste -sd'|'))\)" "$EX/$f" >"$T/rest_$f" || true
	else
		awk 'NR==FNR { hit[$1] = 1; next } !(FNR in hit)' "$T/hit_lines" "$EX/$f" >"$T/rest_$f"
	fi
	left=$(wc -l <"$T/rest_$f")
	n=$("$VIGIL" scan -q "$T/rest_$f" | wc -l)
	if [ "$n" != 0 ] || [ "$left" -lt 20 ]; then
		echo "FAIL: examples/$f without its attack lines ($left lines) still raised $n alerts"
		"$VIGIL" scan -q "$T/rest_$f" | summarise | head
		fails=$((fails + 1))
	fi
done

if [ "$fails" != 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "rule pack: all checks passed"
