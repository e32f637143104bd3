# share_receiver.bash — a sharing receiver under the test's control, for
# tests/integration/test_share_failures.sh and bench/share_bench.sh.
# Source it after setting T (a temp dir). python3 (standard library only).
#
#   share_pki DIR               a CA, a receiver certificate for localhost /
#                               127.0.0.1 from it, and a "fake" receiver
#                               certificate from another CA (DIR/{ca,recv,fake}.{crt,key})
#   recv_start KIND RDIR CERT KEY [PORT]
#                               KIND https (NDJSON, bearer token RDIR/token)
#                               or syslog (RFC 5425 octet-counted frames);
#                               on PORT or a random free one; sets RECV (pid)
#                               and RECV_PORT; the answer of each request is
#                               chosen by RDIR/mode (read per request):
#                                 accept            2xx
#                                 down              (no such mode: stop it)
#                                 die-mid [K]       read half the body, exit
#                                                   without answering
#                                 die-after [K]     store the batch, exit
#                                                   without answering
#                                 413 MAX [K]       413 for batches of > MAX items
#                                 429 SECONDS [K]   429 with Retry-After: SECONDS
#                                 500 [K]           500
#                               K: only the next K requests get that answer,
#                               then the mode file is rewritten to accept
#   recv_stop [SIGNAL]          stop it (default TERM), wait
#   RDIR/requests.log           one JSON line per request: t (epoch s), items
#                               (X-Vigil-Items), lines (lines in the body),
#                               bytes, status (0: died), mode, first/last seq,
#                               auth_ok
#   RDIR/items.log              per stored item: recv_epoch TAB id TAB seq TAB
#                               created TAB @timestamp (as in the payload)
#   recv_ids RDIR               "id seq" of every stored item, in arrival order

RECV=
RECV_PORT=

share_pki() { # DIR
	local p=$1
	mkdir -p "$p"
	local n
	for n in ca foreign; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$p/$n.key" -out "$p/$n.crt" \
			-subj "/CN=test $n" -days 2 -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	done
	local c ca
	for c in recv:ca fake:foreign vigil:ca; do
		n=${c%%:*}
		ca=${c#*:}
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$p/$n.key" -out "$p/$n.csr" \
			-subj "/CN=$n" 2>/dev/null
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$p/$n.ext"
		openssl x509 -req -in "$p/$n.csr" -CA "$p/$ca.crt" -CAkey "$p/$ca.key" -CAcreateserial -days 2 \
			-out "$p/$n.crt" -extfile "$p/$n.ext" 2>/dev/null
		chmod 600 "$p/$n.key"
	done
}

_share_receiver_py() {
	cat <<'PY'
import json, os, socket, ssl, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

kind, rdir, cert, key, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
lock = threading.Lock()
reqlog = open(os.path.join(rdir, "requests.log"), "a", buffering=1)
itemlog = open(os.path.join(rdir, "items.log"), "a", buffering=1 << 16)
token = ""
if os.path.exists(os.path.join(rdir, "token")):
    token = open(os.path.join(rdir, "token")).read().strip()

def mode():
    """The answer for this request; consumes one of a limited count."""
    path = os.path.join(rdir, "mode")
    try:
        words = open(path).read().split()
    except FileNotFoundError:
        words = []
    if not words:
        return ["accept"]
    has_arg = words[0] in ("413", "429")
    count_at = 2 if has_arg else 1
    if len(words) > count_at:
        k = int(words[count_at]) - 1
        rest = words[:count_at] + [str(k)] if k > 0 else ["accept"]
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(" ".join(rest) + "\n")
        os.rename(tmp, path)
    return words[:count_at]

def store(lines, now):
    for ln in lines:
        try:
            o = json.loads(ln)
        except ValueError:
            itemlog.write("%.6f\tBADJSON\t0\t-\t-\n" % now)
            continue
        d = o.get("data") or {}
        ts = d.get("@timestamp", "-") if isinstance(d, dict) else "-"
        itemlog.write("%.6f\t%s\t%s\t%s\t%s\n" % (now, o.get("id"), o.get("seq"), o.get("created"), ts))
    itemlog.flush()

def seqs(lines):
    out = []
    for ln in lines:
        try:
            out.append(json.loads(ln).get("seq"))
        except ValueError:
            out.append(None)
    return out

def die():
    itemlog.flush()
    os.fsync(itemlog.fileno())
    reqlog.flush()
    os._exit(3)

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body are two writes: without this, Nagle + the client's
    # delayed ACK add 40 ms to every answer
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def answer(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        now = time.time()
        n = int(self.headers.get("Content-Length", "0"))
        items = int(self.headers.get("X-Vigil-Items", "0"))
        auth_ok = self.headers.get("Authorization", "") == "Bearer " + token
        with lock:
            m = mode()
            rec = {"t": now, "items": items, "bytes": n, "mode": " ".join(m), "auth_ok": auth_ok}
            if m[0] == "die-mid":
                body = self.rfile.read(n // 2)
                lines = [l for l in body.split(b"\n")]
                rec.update(status=0, lines=len(lines) - 1)
                reqlog.write(json.dumps(rec) + "\n")
                die()
            body = self.rfile.read(n)
            lines = body.split(b"\n")
            if lines and lines[-1] == b"":
                lines.pop()
            s = seqs(lines)
            rec.update(lines=len(lines), first_seq=s[0] if s else None, last_seq=s[-1] if s else None)
            if not auth_ok:
                code = 401
            elif m[0] == "die-after":
                store(lines, now)
                rec["status"] = 0
                reqlog.write(json.dumps(rec) + "\n")
                die()
            elif m[0] == "413" and len(lines) > int(m[1]):
                code = 413
            elif m[0] == "429":
                code = 429
            elif m[0] == "500":
                code = 500
            else:
                code = 200
                store(lines, now)
            rec["status"] = code
            reqlog.write(json.dumps(rec) + "\n")
        if code == 429:
            self.answer(429, b"slow down", [("Retry-After", m[1])])
        elif code == 200:
            self.answer(200, b'{"accepted":%d}' % len(lines))
        else:
            self.answer(code, b"refused by the test receiver")

def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(cert, key)
    return c

def serve_syslog(sock):
    # RFC 5425: "LEN SP MSG" frames on a TLS stream; one thread per connection
    def conn(c):
        buf = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
                got = []
                while True:
                    sp = buf.find(b" ")
                    if sp < 0 or sp > 10:
                        break
                    ln = int(buf[:sp])
                    if len(buf) < sp + 1 + ln:
                        break
                    got.append(buf[sp + 1:sp + 1 + ln])
                    buf = buf[sp + 1 + ln:]
                if got:
                    now = time.time()
                    msgs = []
                    for f in got:
                        i = f.find(b'{"v":')
                        msgs.append(f[i:] if i >= 0 else b"{}")
                    with lock:
                        store(msgs, now)
                        reqlog.write(json.dumps({"t": now, "frames": len(got), "status": 0}) + "\n")
        except (OSError, ssl.SSLError):
            return
        finally:
            c.close()
    c = ctx()
    while True:
        s, _ = sock.accept()
        try:
            s = c.wrap_socket(s, server_side=True)
        except (OSError, ssl.SSLError):
            s.close()
            continue
        threading.Thread(target=conn, args=(s,), daemon=True).start()

if kind == "https":
    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.daemon_threads = True
    srv.socket = ctx().wrap_socket(srv.socket, server_side=True)
    open(os.path.join(rdir, "ready"), "w").close()
    srv.serve_forever()
else:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    open(os.path.join(rdir, "ready"), "w").close()
    serve_syslog(sock)
PY
}

recv_start() { # KIND RDIR CERT KEY [PORT]
	local kind=$1 rdir=$2 cert=$3 key=$4 want=${5:-}
	mkdir -p "$rdir"
	_share_receiver_py >"$rdir/receiver.py"
	for _ in $(seq 1 20); do
		RECV_PORT=${want:-$((20000 + RANDOM % 40000))}
		rm -f "$rdir/ready"
		python3 "$rdir/receiver.py" "$kind" "$rdir" "$cert" "$key" "$RECV_PORT" 2>>"$rdir/stderr" &
		RECV=$!
		for _ in $(seq 1 100); do
			[ -e "$rdir/ready" ] && return 0
			kill -0 "$RECV" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$RECV" 2>/dev/null || true
		wait "$RECV" 2>/dev/null || true
		RECV=
		[ -n "$want" ] && sleep 0.3 # a fixed port: the old socket may linger
	done
	echo "FAIL: the test receiver did not start"
	tail -5 "$rdir/stderr"
	return 1
}

recv_stop() { # [SIGNAL]
	[ -n "$RECV" ] || return 0
	kill -"${1:-TERM}" "$RECV" 2>/dev/null || true
	wait "$RECV" 2>/dev/null || true
	RECV=
}

recv_ids() { # RDIR
	awk -F'\t' '{ print $2, $3 }' "$1/items.log" 2>/dev/null || true
}
