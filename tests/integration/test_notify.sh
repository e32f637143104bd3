#!/usr/bin/env bash
# The person on duty is told about a new high alert by the real server:
# a local SMTP receiver and a webhook receiver (python3, 127.0.0.1 ephemeral
# ports, recording what they got), `vigil notify settings` (the password
# never shown), `vigil roster add/now`, syslog lines that the rule pack
# turns into high/critical alerts, then the e-mail (To, Subject with the
# level and title, the link) and the webhook JSON, the outbox, a test
# message, and `vigil assessments record/schedule`. Needs the modules wired
# into server.c (see docs/operations.md, "Wiring").
set -euo pipefail
: "${VIGIL:?path to the vigil binary}"
command -v logger >/dev/null || { echo "SKIP: logger (bsdutils) not installed"; exit 0; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 0; }
T=$(mktemp -d)
RX=
cleanup() {
	[ -n "${SRV:-}" ] && kill -KILL "$SRV" 2>/dev/null
	[ -n "$RX" ] && kill "$RX" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "$0")/lib/server.bash"
status() { set +e; "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; set -e; cat "$T/rc"; }

# ---- the receivers ----
mkdir -p "$T/mail" "$T/hooks"
cat >"$T/rx.py" <<'EOF'
import base64, socketserver, sys, threading, os
out = sys.argv[1]
n = [0]
lock = threading.Lock()
def save(kind, data):
    with lock:
        n[0] += 1
        with open(os.path.join(out, kind, "%03d" % n[0]), "w") as f:
            f.write(data)
class Smtp(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode())
        w("220 rx ESMTP\r\n")
        env = []
        while True:
            line = self.rfile.readline().decode("utf-8", "replace")
            if not line:
                return
            cmd = line.rstrip("\r\n")
            up = cmd.upper()
            if up.startswith("EHLO"):
                w("250-rx\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n")
            elif up.startswith("HELO"):
                w("250 rx\r\n")
            elif up.startswith("AUTH PLAIN"):
                cred = cmd[11:]
                if not cred:
                    w("334 \r\n")
                    cred = self.rfile.readline().decode().strip()
                u = base64.b64decode(cred).split(b"\0")
                env.append("AUTH %s:%s" % (u[1].decode(), u[2].decode()))
                w("235 ok\r\n")
            elif up.startswith("MAIL FROM:") or up.startswith("RCPT TO:"):
                env.append(cmd)
                w("250 ok\r\n")
            elif up == "DATA":
                w("354 go\r\n")
                body = []
                while True:
                    l = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
                    if l == ".":
                        break
                    body.append(l[1:] if l.startswith(".") else l)
                save("mail", "\n".join(env) + "\n\n" + "\n".join(body) + "\n")
                env = []
                w("250 queued\r\n")
            elif up == "QUIT":
                w("221 bye\r\n")
                return
            else:
                w("250 ok\r\n" if up in ("RSET", "NOOP") else "502 no\r\n")
class Hook(socketserver.StreamRequestHandler):
    def handle(self):
        req = self.rfile.readline().decode()
        length = 0
        ctype = ""
        while True:
            h = self.rfile.readline().decode().rstrip("\r\n")
            if not h:
                break
            k, _, v = h.partition(":")
            if k.lower() == "content-length":
                length = int(v)
            if k.lower() == "content-type":
                ctype = v.strip()
        body = self.rfile.read(length).decode()
        save("hooks", req.split(" ")[0] + " " + req.split(" ")[1] + "\n" + ctype + "\n\n" + body)
        self.wfile.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
socketserver.ThreadingTCPServer.allow_reuse_address = True
s1 = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
s2 = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hook)
for s in (s1, s2):
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(os.path.join(out, "ports.tmp"), "w") as f:
    f.write("%d %d\n" % (s1.server_address[1], s2.server_address[1]))
os.rename(os.path.join(out, "ports.tmp"), os.path.join(out, "ports"))
threading.Event().wait()
EOF
python3 "$T/rx.py" "$T" &
RX=$!
for _ in $(seq 1 100); do [ -f "$T/ports" ] && break; sleep 0.05; done
read -r SMTP_PORT HOOK_PORT <"$T/ports"

# ---- the server, an admin and a token ----
D=$T/data
printf '%s\n' 'an admin password 1' | "$VIGIL" users add root --role admin --data "$D" 2>/dev/null
TOK=$("$VIGIL" users token root --data "$D" 2>/dev/null)
start_server "$D"
C=(--server "https://127.0.0.1:$API_PORT" --token "$TOK" --data "$D")

# a module the server does not serve is a 404 here: say what is missing
if [ "$(status "$VIGIL" roster now "${C[@]}")" = 2 ] && grep -q "404" "$T/err"; then
	echo "FAIL: the server does not serve /api/v1/roster (notify/roster/assess not wired into server.c)"
	exit 1
fi

# ---- settings ----
check "settings exit 0" test "$(printf '%s\n' 'smtp-secret-9' | "$VIGIL" notify settings "${C[@]}" \
	--smtp-host 127.0.0.1 --smtp-port "$SMTP_PORT" --smtp-security none --smtp-user vigil \
	--smtp-password-stdin --mail-from vigil@soc.test --link-base https://vigil.soc.test >"$T/set" 2>&1; echo $?)" = 0
check "settings: password not shown" bash -c "! grep -q smtp-secret-9 '$T/set'"
check "settings: password set" grep -q '"smtp_password_set": true' "$T/set"
check "bad security exit 2" test "$(status "$VIGIL" notify settings "${C[@]}" --smtp-security ssl)" = 2
check "bad security named" grep -q "smtp_security" "$T/err"

# ---- roster ----
START=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d '+8 hours' +%Y-%m-%dT%H:%M:%SZ)
check "no one on duty: exit 1" test "$(status "$VIGIL" roster now "${C[@]}")" = 1
check "roster add exit 0" test "$(status "$VIGIL" roster add root --start "$START" --end "$END" \
	--email duty@soc.test --webhook "http://127.0.0.1:$HOOK_PORT/hook" "${C[@]}")" = 0
check "roster add bad email exit 2" test "$(status "$VIGIL" roster add root --start "$START" --end "$END" \
	--email 'duty at soc' "${C[@]}")" = 2
check "bad email named" grep -q "email" "$T/err"
check "roster add unknown user exit 2" test "$(status "$VIGIL" roster add ghost --start "$START" --end "$END" "${C[@]}")" = 2
check "roster now exit 0" test "$(status "$VIGIL" roster now "${C[@]}")" = 0
check "roster now shows root" grep -q "root" "$T/out"

# ---- a high alert over syslog (the pack's uid-0 account and sudoers rules) ----
logger --rfc5424 --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t useradd \
	"new user: name=sysupd, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0"
logger --rfc5424 --tcp -n 127.0.0.1 -P "$SYSLOG_PORT" -t sudo \
	"mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/sh"
mail_with() { grep -l -- "$1" "$T"/mail/* 2>/dev/null | head -1 || true; }
for _ in $(seq 1 300); do
	[ -n "$(mail_with 'alert: ')" ] && [ -n "$(ls "$T/hooks")" ] && break
	sleep 0.1
done
M=$(mail_with 'alert: ')
check "an alert e-mail arrived" test -n "$M"
if [ -n "$M" ]; then
	check "envelope sender" grep -q "MAIL FROM:<vigil@soc.test>" "$M"
	check "envelope recipient" grep -q "RCPT TO:<duty@soc.test>" "$M"
	check "SMTP AUTH with the password" grep -q "AUTH vigil:smtp-secret-9" "$M"
	check "To header" grep -q "^To: <duty@soc.test>" "$M"
	check "Subject with level and title" grep -Eq '^Subject: \[vigil\] (HIGH|CRITICAL) alert: .+' "$M"
	check "body: link" grep -Eq '^Link: +https://vigil.soc.test/alerts/[0-9]+$' "$M"
	check "body: on duty" grep -q "root is on duty" "$M"
fi
W=$(ls "$T"/hooks/* 2>/dev/null | head -1 || true)
check "a webhook arrived" test -n "$W"
if [ -n "$W" ]; then
	check "webhook POST to the path" grep -q "^POST /hook$" "$W"
	check "webhook JSON" python3 -c '
import json, sys
t = open(sys.argv[1]).read().split("\n\n", 1)
assert t[0].endswith("application/json"), t[0]
j = json.loads(t[1])
assert j["type"] == "vigil.alert" and j["person"] == "root", j
assert j["alert"]["level"] in ("high", "critical"), j
assert j["link"].startswith("https://vigil.soc.test/alerts/"), j
' "$W"
fi
check "outbox exit 0" test "$(status "$VIGIL" notify outbox --state sent "${C[@]}")" = 0
check "outbox lists e-mail and webhook" bash -c "grep -q ' email ' '$T/out' && grep -q ' webhook ' '$T/out'"

# ---- a test message ----
check "notify test exit 0" test "$(status "$VIGIL" notify test --email ops@soc.test "${C[@]}")" = 0
for _ in $(seq 1 100); do [ -n "$(mail_with 'RCPT TO:<ops@soc.test>')" ] && break; sleep 0.1; done
check "test message arrived" test -n "$(mail_with 'RCPT TO:<ops@soc.test>')"

# ---- assessments ----
check "record organisation assessment" test "$(status "$VIGIL" assessments record --system 0 \
	--date "$(date -u -d '-710 days' +%Y-%m-%d)" --assessor "NCSC" "${C[@]}")" = 0
check "schedule: organisation due soon" bash -c "'$VIGIL' assessments ${C[*]} | grep -q 'organisation.*due_soon'"
check "record unknown system: exit 2" test "$(status "$VIGIL" assessments record --system 4242 --date 2026-01-01 \
	--assessor x "${C[@]}")" = 2
check "unknown system named" grep -q "system_id" "$T/err"

# a level-5 system (when the systems commands exist): every 6 months
if "$VIGIL" units --help >/dev/null 2>&1 && command -v jq >/dev/null; then
	"$VIGIL" units add bo-x "Bộ X" "${C[@]}" >/dev/null
	"$VIGIL" systems add --name "Cổng thanh toán" --unit bo-x --level 5 "${C[@]}" >/dev/null
	SID=$("$VIGIL" systems list --json "${C[@]}" | jq -r '.systems[0].id')
	check "new level-5 system: upcoming, 6 months" bash -c "'$VIGIL' assessments --system $SID ${C[*]} |
		grep -Eq 'level 5 +every +6 months.*upcoming'"
	check "record its assessment 200 days ago" test "$(status "$VIGIL" assessments record --system "$SID" \
		--date "$(date -u -d '-200 days' +%Y-%m-%d)" --assessor "Đoàn kiểm tra" "${C[@]}")" = 0
	check "now overdue: exit 1" test "$(status "$VIGIL" assessments --system "$SID" "${C[@]}")" = 1
	check "overdue shown" grep -q "overdue" "$T/out"
	check "finding-add exit 0" test "$(status "$VIGIL" assessments finding-add --system "$SID" --title "TLS 1.0" \
		--severity high --due "$(date -u -d '-1 day' +%Y-%m-%d)" "${C[@]}")" = 0
	FID=$(awk '{print $1; exit}' "$T/out")
	check "finding is overdue" test "$(status "$VIGIL" assessments findings --overdue "${C[@]}")" = 0
	check "overdue finding listed" grep -q "OVERDUE" "$T/out"
	check "in_progress without owner: exit 2" test "$(status "$VIGIL" assessments finding-update "$FID" \
		--state in_progress "${C[@]}")" = 2
	check "owner named" grep -q "owner" "$T/err"
	check "in_progress with owner" test "$(status "$VIGIL" assessments finding-update "$FID" --state in_progress \
		--owner root "${C[@]}")" = 0
	check "closed" test "$(status "$VIGIL" assessments finding-update "$FID" --state closed "${C[@]}")" = 0
	check "no overdue finding left" test "$(status "$VIGIL" assessments findings --overdue "${C[@]}")$(wc -c <"$T/out")" = 00
fi

# the password never reached the log or the audit log
stop_server
check "server exits 0" test "$SRV_RC" = 0
check "no sanitizer report" bash -c "! grep -Eq 'runtime error|Sanitizer' '$STOPPED_LOG'"
check "password not in the server log" bash -c "! grep -rq smtp-secret-9 '$T'/server.log*"
check "password not in the audit log" bash -c "! sqlite3 -readonly '$D/vigil.db' 'SELECT details FROM audit_log' | grep -q smtp-secret-9"

echo "$pass passed, $fails failed"
[ "$fails" = 0 ]
