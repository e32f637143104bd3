#!/usr/bin/env bash
# vigil agents token|revoke on a server data directory: token format and
# uniqueness, only a hash stored, file modes, and the error paths.
# (Revocation of a really enrolled agent is covered by test_pki/test_enroll.)
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

D=$T/data
check "token exit 0" test "$(status "$VIGIL" agents token --data "$D")" = 0
t1=$(cat "$T/out")
check "token format" grep -Eq '^[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{43}$' "$T/out"
check "token 2" test "$(status "$VIGIL" agents token --data "$D" --ttl 600)" = 0
t2=$(cat "$T/out")
check "tokens differ" test "$t1" != "$t2"
check "data dir 0700" test "$(stat -c %a "$D")" = 700
check "pki dir 0700" test "$(stat -c %a "$D/pki")" = 700
check "ca.key 0600" test "$(stat -c %a "$D/pki/ca.key")" = 600
check "tokens 0600" test "$(stat -c %a "$D/pki/tokens")" = 600
check "secret not stored" bash -c "! grep -qF -e '${t1#*.}' '$D/pki/tokens'"
check "token id stored" grep -qF -e "${t1%%.*}" "$D/pki/tokens"
check "same CA kept" test "$(md5sum <"$D/pki/ca.crt")" = "$(status "$VIGIL" agents token --data "$D" >/dev/null; md5sum <"$D/pki/ca.crt")"

check "revoke unknown exit 2" test "$(status "$VIGIL" agents revoke --data "$D" 0123456789abcdef)" = 2
check "revoke unknown says so" grep -q "no certificate was issued to agent '0123456789abcdef'" "$T/err"
check "revoke bad id exit 2" test "$(status "$VIGIL" agents revoke --data "$D" 'a/b')" = 2
check "revoke no id exit 2" test "$(status "$VIGIL" agents revoke --data "$D")" = 2
check "ttl too small exit 2" test "$(status "$VIGIL" agents token --data "$D" --ttl 5)" = 2
check "unknown subcommand exit 2" test "$(status "$VIGIL" agents list)" = 2
check "help exit 0" test "$(status "$VIGIL" help agents)" = 0
check "help text" grep -q "vigil agents revoke" "$T/out"
mkdir -p "$T/ro" && chmod 500 "$T/ro"
if [ "$(id -u)" != 0 ]; then
	check "unwritable data dir exit 2" test "$(status "$VIGIL" agents token --data "$T/ro/d")" = 2
fi

echo "$pass passed, $fails failed"
test "$fails" = 0
