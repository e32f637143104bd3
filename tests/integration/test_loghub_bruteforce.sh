#!/usr/bin/env bash
# The pack's SSH brute-force correlation on real logs (Loghub OpenSSH_2k and
# Linux_2k): the set of source addresses it reports must equal a list derived
# independently from the raw text, without vigil's parser or engine.
#
# Derivation (run 2026-11-21; the lists below are its output):
#   awk -f <(the program in DERIVE below) $VG_CORPUS/loghub/<file> | sort -u
# i.e. per source IPv4 address, the sshd records "Failed password ... from IP"
# (also when folded into "message repeated N times: [...]", counted once) and
# sshd PAM "authentication failure; ... rhost=IP" (not "PAM N more ..."),
# reported when 10 of them fall within 300 s (inclusive), the rule's
# threshold (rules/linux/ssh_bruteforce.yml: gte 10 in 5m). RFC 3164 times
# carry no year; both files are in time order for these records.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}" "${VG_CORPUS:?path to the shared corpus}"
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)"; exit 1; }
LOGHUB=$VG_CORPUS/loghub
RULE_ID=$(awk '/^id: / { print substr($0, 5); exit }' "${VG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/rules/linux/ssh_bruteforce.yml")
fails=0

DERIVE='
BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = i - 1 }
$5 !~ /^sshd[\[(:]/ { next }
{
	ip = ""
	if (match($0, /Failed password for .* from [0-9]+\.[0-9]+\.[0-9]+\.[0-9]+ port /)) {
		s = substr($0, RSTART, RLENGTH); sub(/ port $/, "", s); sub(/.* from /, "", s); ip = s
	} else if (match($0, /authentication failure; .*rhost=[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+( |$)/) && $0 !~ /PAM [0-9]+ more/) {
		s = substr($0, RSTART, RLENGTH); sub(/.*rhost=/, "", s); sub(/ $/, "", s); ip = s
	}
	if (ip == "") next
	split($3, t, ":")
	now = ((mon[$1] * 31 + $2) * 24 + t[1]) * 3600 + t[2] * 60 + t[3]
	q[ip] = q[ip] " " now
	n = split(q[ip], a, " "); keep = ""; c = 0
	for (i = 1; i <= n; i++) if (a[i] >= now - 300) { keep = keep " " a[i]; c++ }
	q[ip] = keep
	if (c >= 10) hit[ip] = 1
}
END { for (ip in hit) print ip }'

check() { # check FILE EXPECTED-LIST
	local f=$1 want=$2 got derived
	got=$("$VIGIL" scan -q "$LOGHUB/$f" | jq -r --arg id "$RULE_ID" 'select(.rule.id == $id) | .source.ip' | sort -u | paste -sd' ')
	derived=$(awk "$DERIVE" "$LOGHUB/$f" | sort -u | paste -sd' ')
	want=$(echo "$want" | tr ' ' '\n' | sort -u | paste -sd' ')
	if [ "$derived" != "$want" ]; then
		echo "FAIL: $f: the derivation now gives [$derived], the recorded list is [$want] (corpus changed?)"
		fails=$((fails + 1))
	fi
	if [ "$got" != "$want" ]; then
		echo "FAIL: $f: vigil reported brute force from [$got], expected [$want]"
		fails=$((fails + 1))
	fi
}

check OpenSSH_2k.log "5.188.10.180 60.2.12.12 103.99.0.122 112.95.230.3 123.235.32.19 183.62.140.253 185.190.58.151 187.141.143.180"
check Linux_2k.log "60.30.224.116 65.166.159.14 82.77.200.128 150.183.249.110 195.129.24.210 202.181.236.180 207.243.167.114 209.152.168.249 211.9.58.217 211.137.205.253 211.214.161.141 218.188.2.4 220.117.241.87"

if [ "$fails" != 0 ]; then
	echo "$fails check(s) failed"
	exit 1
fi
echo "loghub brute force: source sets match"
