#!/usr/bin/env bash
# vigil users: add (stdin and generated passwords), list (table and JSON),
# passwd, disable/enable, API tokens (printed once, only a hash stored,
# revocation), the audit log of every change, and the error paths.
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fails=0
check() {
	local name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else echo "FAIL: $name"; fails=$((fails + 1)); fi
}
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }
status_in() { local in=$1; shift; set +e; printf '%s\n' "$in" | "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }
sql() { sqlite3 -readonly "$D/vigil.db" "$1"; }
have_sqlite=0
command -v sqlite3 >/dev/null && have_sqlite=1

D=$T/data
PW='correct horse battery'
check "add admin exit 0" test "$(status_in "$PW" "$VIGIL" users add root --role admin --display-name 'Root Admin' --data "$D")" = 0
check "data dir 0700" test "$(stat -c %a "$D")" = 700
check "db 0600" test "$(stat -c %a "$D/vigil.db")" = 600
check "add analyst with unit" test "$(status_in 'analyst password 1' "$VIGIL" users add ana --role analyst --unit bo-tt/cuc-atttt --data "$D")" = 0
check "add generated exit 0" test "$(status "$VIGIL" users add aud --role auditor --generate-password --data "$D" </dev/null)" = 0
GEN=$(cat "$T/out")
check "generated password printed once" test "$(wc -l <"$T/out")" = 1
check "generated password long enough" test "${#GEN}" -ge 20
check "duplicate add exit 2" test "$(status_in "$PW" "$VIGIL" users add ana --role analyst --data "$D")" = 2
check "duplicate says exists" grep -q "already exists" "$T/err"
check "weak password exit 2" test "$(status_in 'short' "$VIGIL" users add weak --role analyst --data "$D")" = 2
check "weak password says why" grep -q "12" "$T/err"
check "no password exit 2" test "$(status "$VIGIL" users add nopw --role analyst --data "$D" </dev/null)" = 2
check "bad role exit 2" test "$(status_in "$PW" "$VIGIL" users add bad --role root --data "$D")" = 2
check "no role exit 2" test "$(status_in "$PW" "$VIGIL" users add bad --data "$D")" = 2
check "bad name exit 2" test "$(status_in "$PW" "$VIGIL" users add 'Bad Name' --role analyst --data "$D")" = 2
check "bad unit exit 2" test "$(status_in "$PW" "$VIGIL" users add bad --role analyst --unit 'a//b' --data "$D")" = 2
check "option of another subcommand exit 2" test "$(status "$VIGIL" users list --role admin --data "$D")" = 2

check "list exit 0" test "$(status "$VIGIL" users list --data "$D")" = 0
check "list has 3 users + header" test "$(wc -l <"$T/out")" = 4
check "list shows unit" grep -Eq '^ana +analyst +bo-tt/cuc-atttt +active' "$T/out"
check "list shows unscoped" grep -Eq '^root +admin +\* +active' "$T/out"
check "list json exit 0" test "$(status "$VIGIL" users list --json --data "$D")" = 0
if command -v python3 >/dev/null; then
	check "list json content" python3 -c '
import json,sys
u = json.load(open(sys.argv[1]))
assert [x["name"] for x in u] == ["ana", "aud", "root"], u
assert u[0]["unit"] == "bo-tt/cuc-atttt" and u[2]["unit"] is None
assert u[2]["display_name"] == "Root Admin" and u[1]["role"] == "auditor"
assert all("pw_hash" not in x for x in u)
' "$T/out"
fi

check "passwd exit 0" test "$(status_in 'a new password here' "$VIGIL" users passwd ana --data "$D")" = 0
check "passwd unknown exit 2" test "$(status_in 'a new password here' "$VIGIL" users passwd ghost --data "$D")" = 2
check "passwd unknown says so" grep -q "no user 'ghost'" "$T/err"
check "disable exit 0" test "$(status "$VIGIL" users disable aud --data "$D")" = 0
check "list shows disabled" bash -c "'$VIGIL' users list --data '$D' | grep -Eq '^aud +auditor +\\* +disabled'"
check "enable exit 0" test "$(status "$VIGIL" users enable aud --data "$D")" = 0
check "disable unknown exit 2" test "$(status "$VIGIL" users disable ghost --data "$D")" = 2

check "token exit 0" test "$(status "$VIGIL" users token ana --name ci --scope ingest --ttl 30d --data "$D")" = 0
TOK=$(cat "$T/out")
check "token format" grep -Eq '^vgt_[A-Za-z0-9][A-Za-z0-9_-]{42}$' "$T/out"
ID=${TOK:4:8}
check "token id on stderr" grep -qF "token $ID for ana (scope ingest" "$T/err"
check "token 2 exit 0" test "$(status "$VIGIL" users token ana --data "$D")" = 0
TOK2=$(cat "$T/out")
check "tokens differ" test "$TOK" != "$TOK2"
check "token unknown user exit 2" test "$(status "$VIGIL" users token ghost --data "$D")" = 2
check "token bad scope exit 2" test "$(status "$VIGIL" users token ana --scope read --data "$D")" = 2
check "token bad ttl exit 2" test "$(status "$VIGIL" users token ana --ttl 5s --data "$D")" = 2
check "token bad ttl unit exit 2" test "$(status "$VIGIL" users token ana --ttl 3y --data "$D")" = 2
check "tokens exit 0" test "$(status "$VIGIL" users tokens ana --data "$D")" = 0
check "tokens lists both" test "$(grep -c active "$T/out")" = 2
check "tokens shows ingest" grep -Eq "^$ID +ingest +active" "$T/out"
check "secret not in the database" bash -c "! grep -aqF -e '${TOK:12}' '$D/vigil.db' '$D/vigil.db-wal' 2>/dev/null"
check "revoke exit 0" test "$(status "$VIGIL" users revoke-token "$ID" --data "$D")" = 0
check "revoked listed" bash -c "'$VIGIL' users tokens ana --data '$D' | grep -Eq '^$ID +ingest +revoked'"
check "revoke again exit 2" test "$(status "$VIGIL" users revoke-token "$ID" --data "$D")" = 2
check "revoke full token refused" test "$(status "$VIGIL" users revoke-token "$TOK2" --data "$D")" = 2
check "tokens json" bash -c "'$VIGIL' users tokens ana --json --data '$D' | grep -q '\"status\":\"revoked\"'"

if [ "$have_sqlite" = 1 ]; then
	check "audit: every change recorded" test "$(sql "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit_log ORDER BY id)")" = \
		"user.add user.add user.add user.password user.disable user.enable token.create token.create token.revoke"
	check "audit: actor is cli:<login>" test "$(sql "SELECT count(*) FROM audit_log WHERE actor = 'cli:$(id -un)'")" = 9
	check "audit: no password" bash -c "! grep -aqF 'correct horse' '$D/vigil.db' '$D/vigil.db-wal' 2>/dev/null"
	check "audit: append-only" bash -c "! sqlite3 '$D/vigil.db' 'DELETE FROM audit_log' 2>/dev/null"
	check "audit: rows kept" test "$(sql 'SELECT count(*) FROM audit_log')" = 9
	check "argon2id stored" test "$(sql "SELECT count(*) FROM users WHERE pw_hash LIKE '\$argon2id\$v=19\$m=65536,t=3,p=1\$%'")" = 3
fi

check "list without database exit 2" test "$(status "$VIGIL" users list --data "$T/none")" = 2
check "list without database says so" grep -q "no state database" "$T/err"
check "unknown subcommand exit 2" test "$(status "$VIGIL" users frobnicate)" = 2
check "no subcommand exit 2" test "$(status "$VIGIL" users)" = 2
check "help exit 0" test "$(status "$VIGIL" help users)" = 0
check "help text" grep -q "vigil users revoke-token ID" "$T/out"
mkdir -p "$T/ro" && chmod 500 "$T/ro"
if [ "$(id -u)" != 0 ]; then
	check "unwritable data dir exit 2" test "$(status_in "$PW" "$VIGIL" users add x1 --role admin --data "$T/ro/d")" = 2
fi

echo "$pass passed, $fails failed"
test "$fails" = 0
