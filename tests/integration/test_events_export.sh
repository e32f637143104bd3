#!/usr/bin/env bash
# vigil events import/export: NDJSON documents built from real logs (Loghub)
# go into an archive and come back byte for byte, filtered by time (absolute
# and relative), host and FIELD=VALUE queries, compared with jq; plus usage
# errors, rejected import lines, the writer lock, a torn tail and a damaged block.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}" "${VG_CORPUS:?path to the shared corpus}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
check() { # check NAME CONDITION...
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }
same() { cmp -s "$1" "$2"; }
# pick FILE JQ_PREDICATE: the lines of FILE (as they are) whose document satisfies it
pick() {
	jq -r "select($2) | input_line_number" "$1" >"$T/lines"
	awk 'NR == FNR { want[$1]; next } FNR in want' "$T/lines" "$1"
}
LOGHUB=$VG_CORPUS/loghub
D=$T/data

# A: sshd lines, one a minute from 2023-11-14T22:13:20Z, three hosts, some
# fields nested, some flat with dots, an array.
jq -R -c -n --argjson t0 1700000000 '[inputs] | to_entries[] | {
	"@timestamp": (($t0 + .key * 60) | todate),
	"host": {"name": ("web-" + ((.key % 3) | tostring))},
	"event": {"original": .value},
	"process": {"pid": (.key % 50)},
	"user": {"name": (if .key % 5 == 0 then "root" else "alice" end)},
	"source.ip": ("10.0.0." + ((.key % 7) | tostring)),
	"tags": (if .key % 4 == 0 then ["ssh", "auth"] else ["ssh"] end)}' "$LOGHUB/OpenSSH_2k.log" >"$T/a.ndjson"
# B: Linux syslog lines in March 2024, one host (host.hostname only), fractional seconds
jq -R -c -n --argjson t0 1710000000 '[inputs] | to_entries[] | {
	"@timestamp": (($t0 + .key * 10) | todate | sub("Z$"; ".250000Z")),
	"host": {"hostname": "db-1"},
	"message": .value,
	"process": {"pid": 10}}' "$LOGHUB/Linux_2k.log" | sed 's/"pid":10}}$/"pid":10.0}}/' >"$T/b.ndjson"
# C: Apache lines in the last two hours: k minutes and 30 s ago, newest last
now=$(date +%s)
head -n 120 "$LOGHUB/Apache_2k.log" | jq -R -c -n --argjson now "$now" '[inputs] | to_entries[] | {
	"@timestamp": (($now - (119 - .key) * 60 - 30) | todate),
	"host": {"name": "www"}, "message": .value}' >"$T/c.ndjson"
check "corpus A" test "$(wc -l <"$T/a.ndjson")" = 2000
check "corpus B" test "$(wc -l <"$T/b.ndjson")" = 2000
check "corpus B real numbers" test "$(grep -c '"pid":10.0}}$' "$T/b.ndjson")" = 2000

# help and usage errors
check "help events exit 0" test "$(status "$VIGIL" help events)" = 0
check "help names export" grep -q 'usage: vigil events export' "$T/out"
check "help names import" grep -q 'vigil events import' "$T/out"
check "help states default data dir" grep -q '/var/lib/vigil' "$T/out"
check "events no subcommand" test "$(status "$VIGIL" events)" = 2
check "events bad subcommand" test "$(status "$VIGIL" events nosuch)" = 2
check "export bad --from" test "$(status "$VIGIL" events export --data "$D" --from yesterday)" = 2
check "export bad --from message" grep -q "'yesterday' is not a time" "$T/err"
check "export bad --to unit" test "$(status "$VIGIL" events export --data "$D" --to -5y)" = 2
check "export from after to" test "$(status "$VIGIL" events export --data "$D" --from -1h --to -2h)" = 2
check "export bad --query" test "$(status "$VIGIL" events export --data "$D" --query user.name)" = 2
check "export no archive" test "$(status "$VIGIL" events export --data "$T/nowhere")" = 2
check "export no archive names it" grep -q "$T/nowhere/archive: no archive here" "$T/err"
check "import no file" test "$(status "$VIGIL" events import --data "$D" "$T/missing.ndjson")" = 2
check "import no file names it" grep -q "$T/missing.ndjson: No such file or directory" "$T/err"
check "import two files" test "$(status "$VIGIL" events import --data "$D" "$T/a.ndjson" "$T/b.ndjson")" = 2

# import A, export it back byte for byte
check "import A" test "$(status "$VIGIL" events import --data "$D" "$T/a.ndjson")" = 0
check "import A summary" grep -q "imported 2000 records from $T/a.ndjson" "$T/err"
check "export A" test "$(status "$VIGIL" events export --data "$D")" = 0
check "export A identical" same "$T/out" "$T/a.ndjson"
# B through stdin: a second segment, exported after A
set +e
"$VIGIL" events import --data "$D" - <"$T/b.ndjson" 2>"$T/err"
rc=$?
set -e
check "import B from stdin" test "$rc" = 0
cat "$T/a.ndjson" "$T/b.ndjson" >"$T/ab.ndjson"
check "export A+B" test "$(status "$VIGIL" events export --data "$D" --stats)" = 0
check "export A+B identical" same "$T/out" "$T/ab.ndjson"
check "export A+B stats" grep -q '^segments: 2 read, 0 skipped by their index; .* records: 4000 decoded, 4000 exported; .* errors: 0$' "$T/err"

# time range: [from, to) against jq's selection
from=2023-11-15T00:00:00Z to=2023-11-15T12:00:00Z
pick "$T/ab.ndjson" ".[\"@timestamp\"] >= \"$from\" and .[\"@timestamp\"] < \"$to\"" >"$T/want"
check "time range exit" test "$(status "$VIGIL" events export --data "$D" --from "$from" --to "$to" --stats)" = 0
check "time range matches jq" same "$T/out" "$T/want"
check "time range count" test "$(wc -l <"$T/out")" = 720
check "time range skips B by index" grep -q '^segments: 2 read, 1 skipped by their index' "$T/err"
# offsets and bare dates
check "offset time" test "$(status "$VIGIL" events export --data "$D" --from 2023-11-15T07:00:00+07:00 --to 2023-11-15T19:00:00+07:00)" = 0
check "offset time matches" same "$T/out" "$T/want"
pick "$T/ab.ndjson" '.["@timestamp"] >= "2024-03-09"' >"$T/want"
check "date only" test "$(status "$VIGIL" events export --data "$D" --from 2024-03-09)" = 0
check "date only matches" same "$T/out" "$T/want"
check "date only is B" same "$T/want" "$T/b.ndjson"

# host, queries
pick "$T/ab.ndjson" '.host.name == "web-1"' >"$T/want"
check "host exit" test "$(status "$VIGIL" events export --data "$D" --host web-1 --stats)" = 0
check "host matches jq" same "$T/out" "$T/want"
check "host count" test "$(wc -l <"$T/out")" = 667
check "host skips B by index" grep -q '1 skipped by their index' "$T/err"
check "hostname as host" test "$(status "$VIGIL" events export --data "$D" --host db-1)" = 0
check "hostname as host matches" same "$T/out" "$T/b.ndjson"
pick "$T/ab.ndjson" '.user.name == "root" and .process.pid == 10' >"$T/want"
check "queries AND" test "$(status "$VIGIL" events export --data "$D" --query user.name=root --query process.pid=10)" = 0
check "queries AND matches jq" same "$T/out" "$T/want"
check "queries AND count" test "$(wc -l <"$T/out")" = 40
pick "$T/ab.ndjson" '.process.pid == 10' >"$T/want"
check "number query" test "$(status "$VIGIL" events export --data "$D" --query process.pid=10.0)" = 0
check "number query matches int and real" same "$T/out" "$T/want"
check "number query count" test "$(wc -l <"$T/out")" = 2040
pick "$T/ab.ndjson" '.["source.ip"] == "10.0.0.3"' >"$T/want"
check "dotted key query" test "$(status "$VIGIL" events export --data "$D" --query source.ip=10.0.0.3)" = 0
check "dotted key query matches" same "$T/out" "$T/want"
pick "$T/a.ndjson" '.tags | index("auth")' >"$T/want"
check "array query" test "$(status "$VIGIL" events export --data "$D" --query tags=auth)" = 0
check "array query matches" same "$T/out" "$T/want"
check "array query count" test "$(wc -l <"$T/out")" = 500
check "no match" test "$(status "$VIGIL" events export --data "$D" --query user.name=nobody)" = 0
check "no match empty" test ! -s "$T/out"
check "query + host + time" test "$(status "$VIGIL" events export --data "$D" --host web-0 --from "$from" --to "$to" --query user.name=root)" = 0
pick "$T/ab.ndjson" ".host.name == \"web-0\" and .user.name == \"root\" and .[\"@timestamp\"] >= \"$from\" and .[\"@timestamp\"] < \"$to\"" >"$T/want"
check "query + host + time matches" same "$T/out" "$T/want"

# relative times against C (k minutes and 30 s ago)
check "import C" test "$(status "$VIGIL" events import --data "$D" "$T/c.ndjson")" = 0
check "from -1h" test "$(status "$VIGIL" events export --data "$D" --from -1h)" = 0
tail -n 60 "$T/c.ndjson" >"$T/want"
check "from -1h matches" same "$T/out" "$T/want"
check "to -30m" test "$(status "$VIGIL" events export --data "$D" --from -3h --to -30m)" = 0
head -n 90 "$T/c.ndjson" >"$T/want"
check "to -30m matches" same "$T/out" "$T/want"
check "from -120m equals -2h" test "$("$VIGIL" events export --data "$D" --from -120m | wc -l)" = "$("$VIGIL" events export --data "$D" --from -2h | wc -l)"
check "to now" test "$("$VIGIL" events export --data "$D" --from -1d --to now | wc -l)" = 120

# import rejects lines it cannot archive, names them, keeps the rest
{
	head -n 1 "$T/a.ndjson"
	echo 'not json'
	echo '{"no":"timestamp"}'
	echo '[1,2]'
	echo ''
	echo '{"@timestamp":"2023-11-14T22:13:20"}'
	echo '{"@timestamp":"yesterday","host":{"name":"x"}}'
} >"$T/mixed.ndjson"
check "import mixed exit 1" test "$(status "$VIGIL" events import --data "$T/mixed" "$T/mixed.ndjson")" = 1
check "import mixed line 2" grep -q "mixed.ndjson:2: not a JSON object; skipped" "$T/err"
check "import mixed line 3" grep -q "mixed.ndjson:3: no valid @timestamp" "$T/err"
check "import mixed line 4" grep -q "mixed.ndjson:4: not a JSON object" "$T/err"
check "import mixed line 7" grep -q "mixed.ndjson:7: no valid @timestamp" "$T/err"
check "import mixed summary" grep -q "imported 2 records from .* (4 lines rejected)" "$T/err"
check "import mixed export" test "$("$VIGIL" events export --data "$T/mixed" | wc -l)" = 2

# the writer lock: an import while another process holds the archive
check "lock refused" test "$(status flock "$D/archive/LOCK" "$VIGIL" events import --data "$D" "$T/c.ndjson")" = 2
check "lock message" grep -q "locked by another writer" "$T/err"
check "lock: reading still works" test "$("$VIGIL" events export --data "$D" | wc -l)" = 4120

# a torn tail (garbage after the last block) is cut at the next open
last=$(ls "$D"/archive/seg-*.vga | tail -n 1)
printf 'torn garbage\001\002' >>"$last"
check "torn: export still exact" test "$(status "$VIGIL" events export --data "$D")" = 0
cat "$T/ab.ndjson" "$T/c.ndjson" >"$T/abc.ndjson"
check "torn: export matches" same "$T/out" "$T/abc.ndjson"
check "torn: import recovers" test "$(status "$VIGIL" events import --data "$D" "$T/mixed.ndjson")" = 1
check "torn: recovery noted" grep -q "cut 14 bytes of torn or uncommitted tail" "$T/err"
check "torn: all there" test "$("$VIGIL" events export --data "$D" | wc -l)" = 4122
check "torn: every segment indexed under its name" test "$(ls "$D"/archive/ | sed -n 's/\.idx$//p' | sort)" = "$(ls "$D"/archive/ | sed -n 's/\.vga$//p' | sort)"
check "torn: 4 segments" test "$(ls "$D"/archive/*.vga | wc -l)" = 4

# a damaged block: named with its file and offset, the rest still exported, exit 2
first=$(ls "$D"/archive/seg-*.vga | head -n 1)
size=$(stat -c %s "$first")
printf '\377\377\377\377' | dd of="$first" bs=1 seek=$((size / 2)) conv=notrunc status=none
check "damaged exit 2" test "$(status "$VIGIL" events export --data "$D")" = 2
check "damaged named" grep -q "$(basename "$first"): offset 0: block checksum mismatch" "$T/err"
check "damaged: others exported" test "$(wc -l <"$T/out")" = 2122

echo "events export: $pass passed, $fails failed"
test "$fails" = 0
