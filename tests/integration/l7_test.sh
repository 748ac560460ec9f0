#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The L7 fast path end to end: xgated with two AF_XDP workers (a lab
# whose gateway legs have 2 queues, fastpath queues = 2) enforces a
# CiliumNetworkPolicy with `rules: http:` in front of nginx on b1:8080,
# whose access log is the witness of what reached the server.
#
#  1. allowed GETs (a small file and a 1 MiB random one) arrive byte for
#     byte, over IPv4 and IPv6;
#  2. a denied GET gets xgate's 403 (text/plain, "Access denied\r\n")
#     and never reaches nginx;
#  3. on one keep-alive connection an allowed request then a denied one:
#     200 then 403, only the first reaches nginx;
#  4. pipelining: two allowed requests in one write get two 200s in
#     order; allowed + denied in one write, or in two segments sent back to
#     back, get 200 then 403;
#  5. a request sent one byte per segment is judged as a whole (200, or
#     403 when denied);
#  6. with the client's packets reordered (htb + nftables: netem is not
#     in every kernel), a 200 KB POST, GETs and 4-segment heads still get
#     the right answers;
#  7. a 5 MB POST, and a chunked one, reach the server whole;
#  8. many concurrent flows over both workers all get 200, and both rx
#     queues of gw0 redirect packets to AF_XDP;
#  9. Content-Length with Transfer-Encoding gets 400 and a 10 KB head
#     431, neither reaching nginx;
# 10. a policy change while a keep-alive connection is held: new
#     connections and later requests on the held one follow the new
#     rules, and the held connection never fails;
# 11. c2 (org: alliance) gets nothing on 8080 (L3/L4 deny).
. "$(dirname "$0")/lib.sh"

need_cmd nginx python3 curl wrk tc nft nstat ethtool sha256sum
# The interpreter itself: a version manager's shim costs most of a second
# a call.
PY=$(python3 -c 'import sys; print(sys.executable)')
export XG_LAB_QUEUES=2
# How xgated attaches to the legs: native (the default here), or
# generic as bench/l7 runs it (l7_generic_test.sh).
XDP_MODE=${XG_L7_XDP_MODE:-native}
[[ $XDP_MODE == native || $XDP_MODE == generic ]] ||
	{ echo "l7_test: bad XG_L7_XDP_MODE '$XDP_MODE' (native or generic)" >&2; exit 2; }
lab_up
T0=$(date +%s)
XGATED=$XG_ROOT/build/xgated
POL=$T_TMP/policies
SOCK=$T_TMP/xgate.sock
MPORT=$((20000 + $$ % 10000))
WWW=$T_TMP/www
ALOG=$T_TMP/access.log
XLOG=$T_TMP/xgated.log
B4=$B1_IP4
B6="[$B1_IP6]"

step() { echo "# $* (t=$(($(date +%s) - T0))s)"; }
xgc() { "$XGATECTL" --socket "$SOCK" "$@"; }

# --- the policy ------------------------------------------------------------
mkdir -p "$POL/policies"
cp "$XG_ROOT"/config/examples/endpoints.yaml "$POL/"
write_policy() # extra GET path regexes...
{
	local p
	{
		cat <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: l7-test
  namespace: default
spec:
  endpointSelector:
    matchLabels:
      org: empire
      class: deathstar
  ingress:
  - fromEndpoints:
    - matchLabels:
        org: empire
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: "/public/.*"
        - method: POST
          path: "/upload"
EOF
		for p in "$@"; do
			printf '        - method: GET\n          path: "%s"\n' "$p"
		done
	} >"$T_TMP/l7-test.yaml"
	cp "$T_TMP/l7-test.yaml" "$POL/policies/l7-test.yaml"
}
write_policy

cat >"$T_TMP/xgate.conf" <<EOF
node = "lab";
interfaces = ( { name = "gw0"; mode = "$XDP_MODE"; }, { name = "gw1"; mode = "$XDP_MODE"; } );
pin_root = "$LAB_BPFFS/xgate";
state_dir = "$T_TMP/state";
kvstore = { type = "file"; path = "$POL"; };
api = { socket = "$SOCK"; metrics = "127.0.0.1:$MPORT"; };
fastpath = { queues = 2; };
EOF

# --- the server: nginx on b1:8080 (v4 and v6), /upload proxied to a
# python upstream on b1's loopback that answers the body's length and
# sha256, so that the test sees what nginx received.
mkdir -p "$WWW/public" "$WWW/admin"
head -c 1000 /dev/urandom | base64 -w 76 >"$WWW/public/small"
head -c 1048576 /dev/urandom >"$WWW/public/big"
echo "other" >"$WWW/public/other"
echo "the deathstar plans" >"$WWW/admin/secret"
head -c 204800 /dev/urandom >"$T_TMP/body200k"
head -c 5000000 /dev/urandom >"$T_TMP/body5m"
cat >"$T_TMP/nginx.conf" <<EOF
user root;
worker_processes 2;
daemon off;
pid $T_TMP/nginx.pid;
error_log $T_TMP/nginx.err;
events { worker_connections 1024; }
http {
	log_format t '\$remote_addr conn=\$connection n=\$connection_requests "\$request" \$status len=\$request_length sent=\$body_bytes_sent';
	access_log $ALOG t;
	client_body_temp_path $T_TMP/nginx-body;
	proxy_temp_path $T_TMP/nginx-proxy;
	fastcgi_temp_path $T_TMP/nginx-fcgi;
	uwsgi_temp_path $T_TMP/nginx-uwsgi;
	scgi_temp_path $T_TMP/nginx-scgi;
	keepalive_requests 100000;
	keepalive_timeout 60s;
	server {
		listen 8080;
		listen [::]:8080 ipv6only=on;
		root $WWW;
		location = /upload {
			client_max_body_size 10m;
			proxy_pass http://127.0.0.1:8081;
		}
	}
}
EOF
cat >"$T_TMP/upstream.py" <<'PY'
import hashlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = b""
        while len(data) < n:
            d = self.rfile.read(n - len(data))
            if not d:
                break
            data += d
        body = ("len=%d sha256=%s\n" % (len(data), hashlib.sha256(data).hexdigest())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", 8081), H).serve_forever()
PY

# hc.py: a raw HTTP/1.1 client.  One line per response
# ("200 len=.. sha=.. ct=.. conn=.. port=.. body=..") and then what became
# of the connection: eof, reset, open (nothing within 0.5 s) or extra data.
#   hc.py HOST MODE [DELAY] REQ...
#   MODE pipe: all requests in one write; seq: one after the other, each
#   answer awaited; two: one write (one segment) per request, at once,
#   TCP_NODELAY; bytes: one byte per segment (TCP_NODELAY), DELAY s
#   apart.  REQ: "GET /path", "POST /path @file" or "RAW:<escaped>".
#   hc.py HOST par N P PATH FILE: N GETs of PATH<i>, P at a time, each on a
#   connection of its own; prints "<status>:<count> ... max <time>", where
#   a status is "200-badbody" when the body is not FILE.
cat >"$T_TMP/hc.py" <<'PY'
import codecs, hashlib, os, socket, sys, time

PORT = 8080

class Conn:
    def __init__(self, host, nodelay=False):
        self.s = socket.create_connection((host, PORT), timeout=5)
        if nodelay:
            self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port = self.s.getsockname()[1]
        self.buf = b""
    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("eof with %d bytes pending %r" % (len(self.buf), self.buf[:60]))
        self.buf += d
    def until(self, sep):
        while sep not in self.buf:
            self.fill()
        i = self.buf.index(sep) + len(sep)
        r, self.buf = self.buf[:i], self.buf[i:]
        return r
    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        r, self.buf = self.buf[:n], self.buf[n:]
        return r
    def rest(self):
        try:
            while True:
                self.fill()
        except EOFError:
            pass
        r, self.buf = self.buf, b""
        return r
    def response(self):
        head = self.until(b"\r\n\r\n").decode("latin1").split("\r\n")
        status = int(head[0].split()[1])
        h = {}
        for l in head[1:]:
            if ":" in l:
                k, v = l.split(":", 1)
                h[k.strip().lower()] = v.strip()
        if "content-length" in h:
            body = self.take(int(h["content-length"]))
        elif h.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                n = int(self.until(b"\r\n").split(b";")[0], 16)
                if n == 0:
                    while self.until(b"\r\n") != b"\r\n":
                        pass
                    break
                body += self.take(n)
                self.take(2)
        else:
            body = self.rest()
        return status, h, body
    def describe(self, r):
        status, h, body = r
        return "%d len=%d sha=%s ct=%s conn=%s port=%d body=%r" % (
            status, len(body), hashlib.sha256(body).hexdigest()[:16],
            h.get("content-type"), h.get("connection"), self.port, body[:40])
    def end(self):
        if self.buf:
            return "extra %r" % self.buf[:60]
        self.s.settimeout(0.5)
        try:
            d = self.s.recv(65536)
            return "eof" if not d else "extra %r" % d[:60]
        except socket.timeout:
            return "open"
        except ConnectionResetError:
            return "reset"

def req(spec):
    if spec.startswith("RAW:"):
        return codecs.decode(spec[4:], "unicode_escape").encode("latin1")
    p = spec.split()
    if len(p) == 3 and p[2].startswith("@"):
        body = open(p[2][1:], "rb").read()
        return ("%s %s HTTP/1.1\r\nHost: b1\r\nContent-Length: %d\r\n\r\n"
                % (p[0], p[1], len(body))).encode() + body
    return ("%s %s HTTP/1.1\r\nHost: b1\r\n\r\n" % (p[0], p[1])).encode()

def par(host, n, p, path, want):
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor
    want = open(want, "rb").read()
    def one(i):
        t = time.time()
        try:
            c = Conn(host)
            c.s.sendall(req("GET %s%d" % (path, i)))
            r = c.response()
            c.s.close()
            return ("%d" % r[0]) + ("" if r[2] == want else "-badbody"), time.time() - t
        except Exception as e:
            return type(e).__name__, time.time() - t
    with ThreadPoolExecutor(p) as ex:
        res = list(ex.map(one, range(n)))
    counts = Counter(r[0] for r in res)
    print(" ".join("%s:%d" % kv for kv in sorted(counts.items())),
          "max %.3f s" % max(r[1] for r in res), flush=True)

def main():
    host, mode = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    if mode == "par":
        par(host, int(args[0]), int(args[1]), args[2], args[3])
        return
    delay = 0
    if mode == "bytes":
        delay, args = float(args[0]), args[1:]
    reqs = [req(a) for a in args]
    c = Conn(host, nodelay=(mode == "bytes"))
    t0 = time.time()
    got = 0
    try:
        if mode == "seq":
            for r in reqs:
                c.s.sendall(r)
                print(c.describe(c.response()), flush=True)
                got += 1
        else:
            data = b"".join(reqs)
            if mode == "pipe":
                c.s.sendall(data)
            elif mode == "two":
                c.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for r in reqs:
                    c.s.send(r)
            else:
                for i in range(len(data)):
                    c.s.send(data[i:i + 1])
                    time.sleep(delay)
            for _ in reqs:
                print(c.describe(c.response()), flush=True)
                got += 1
    except Exception as e:
        print("error after %d response(s) at %.3f s: %s: %s"
              % (got, time.time() - t0, type(e).__name__, e), flush=True)
        return
    print(c.end(), "%.3f s" % (time.time() - t0), flush=True)

if __name__ == "__main__":
    main()
PY

# hold.py HOST OUT TRIG1 TRIG2 SECONDS: one keep-alive connection, GET
# /public/small every 50 ms; once TRIG1 exists, one GET /admin/secret?held1
# on it, once TRIG2 exists one GET /admin/secret?held2, then stop.  OUT
# gets "admin1 <status>", "admin2 <status>", "fail ..." and "done n=.. port=..".
cat >"$T_TMP/hold.py" <<'PY'
import os, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[0]))
from hc import Conn, req
host, out, t1, t2, secs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
o = open(out, "w", buffering=1)
c = Conn(host)
n, state, end = 0, 0, time.time() + secs
try:
    while time.time() < end:
        t = time.time()
        c.s.sendall(req("GET /public/small?hold"))
        r = c.response()
        if r[0] != 200:
            o.write("fail %s\n" % c.describe(r))
            break
        n += 1
        if time.time() - t > 0.5:
            o.write("slow %.3f\n" % (time.time() - t))
        if state == 0 and os.path.exists(t1):
            c.s.sendall(req("GET /admin/secret?held1"))
            o.write("admin1 %s\n" % c.describe(c.response()))
            state = 1
        elif state == 1 and os.path.exists(t2):
            c.s.sendall(req("GET /admin/secret?held2"))
            o.write("admin2 %s\n" % c.describe(c.response()))
            state = 2
            break
        time.sleep(0.05)
except Exception as e:
    o.write("fail after %d: %s: %s\n" % (n, type(e).__name__, e))
o.write("done n=%d port=%d\n" % (n, c.port))
PY

spawn "$B1_NS" "$PY" "$T_TMP/upstream.py"
spawn "$B1_NS" nginx -c "$T_TMP/nginx.conf" -p "$T_TMP"
spawn "$GW_NS" sh -c "env LIBXDP_BPFFS='$LAB_BPFFS' '$XGATED' --config '$T_TMP/xgate.conf' 2>'$XLOG'"
XGATED_PID=$SPAWN_PID
wait_for "xgc status | grep -q applies" 15
wait_for "in_ns $B1_NS ss -ltnH | grep -q '\]:8080' && in_ns $B1_NS ss -ltnH | grep -q ':8081'" 5
check "xgated is up with 2 L7 workers" output_has "L7 fast path: 2 worker" cat "$XLOG"

hc() { in_ns "$C1_NS" "$PY" "$T_TMP/hc.py" "$@"; }
log_count() { grep -cF -- "$1" "$ALOG" || true; }
# never_logged TAG: nginx's access log has no request holding TAG.
never_logged()
{
	local n
	n=$(log_count "$1")
	echo "access log lines with '$1': $n"
	grep -F -- "$1" "$ALOG" || true
	((n == 0))
}
logged() # TAG N: exactly N access log lines hold TAG, all with status 200
{
	local n bad
	n=$(log_count "$1")
	bad=$(grep -F -- "$1" "$ALOG" | grep -vc '" 200 ' || true)
	echo "access log lines with '$1': $n (want $2), not 200: $bad"
	grep -F -- "$1" "$ALOG" | tail -5
	((n == $2 && bad == 0))
}

# get_same NS URL FILE: 200, and the body is FILE byte for byte.
get_same()
{
	local out=$T_TMP/got code
	rm -f "$out"
	code=$(in_ns "$1" curl -s -m 10 -o "$out" -w '%{http_code} %{time_total}s' "$2") || {
		echo "curl failed: $code"
		return 1
	}
	echo "$2: status/time $code, $(stat -c %s "$out" 2>/dev/null) bytes," \
		"sha256 $(sha256sum <"$out" | cut -c1-16) want $(sha256sum <"$3" | cut -c1-16)"
	[[ $code == "200 "* ]] && cmp "$out" "$3"
}

# denied NS URL [CURL ARGS]: xgate's 403: status, content-type, exact body.
denied()
{
	local code ns=$1 url=$2
	shift 2
	rm -f "$T_TMP/d.hdr" "$T_TMP/d.body"
	code=$(in_ns "$ns" curl -s -m 5 -D "$T_TMP/d.hdr" -o "$T_TMP/d.body" \
		-w '%{http_code} %{time_total}s' "$@" "$url") || {
		echo "curl failed: $code"
		cat -A "$T_TMP/d.hdr" 2>/dev/null
		return 1
	}
	echo "$url: status/time $code"
	cat -A "$T_TMP/d.hdr"
	echo "body:"
	cat -A "$T_TMP/d.body"
	[[ $code == "403 "* ]] &&
		grep -qi '^content-type: text/plain' "$T_TMP/d.hdr" &&
		cmp "$T_TMP/d.body" <(printf 'Access denied\r\n')
}

# post_same NS URL FILE [curl args]: 200 and the upstream saw FILE.
post_same()
{
	local ns=$1 url=$2 file=$3 out want
	shift 3
	want="len=$(stat -c %s "$file") sha256=$(sha256sum <"$file" | cut -d' ' -f1)"
	out=$(in_ns "$ns" curl -s -m 20 "$@" --data-binary "@$file" \
		-w '\n%{http_code} %{time_total}s' "$url") || {
		echo "curl failed: $out"
		return 1
	}
	echo "$url: got '$out'"
	echo "want '$want'"
	[[ $(head -1 <<<"$out") == "$want" && $(tail -1 <<<"$out") == "200 "* ]]
}

# --- 1. allowed GETs, byte for byte -------------------------------------
step "1. allowed GETs"
check "GET /public/small over IPv4: 200, same bytes" \
	get_same "$C1_NS" "http://$B4:8080/public/small" "$WWW/public/small"
check "GET /public/big (1 MiB) over IPv4: 200, same bytes" \
	get_same "$C1_NS" "http://$B4:8080/public/big" "$WWW/public/big"
check "GET /public/small over IPv6: 200, same bytes" \
	get_same "$C1_NS" "http://$B6:8080/public/small" "$WWW/public/small"
check "GET /public/big (1 MiB) over IPv6: 200, same bytes" \
	get_same "$C1_NS" "http://$B6:8080/public/big" "$WWW/public/big"
check "nginx logged the IPv6 GETs from c1's IPv6 address" \
	output_has "^$C1_IP6 .*GET /public/big" cat "$ALOG"

# --- 2. a denied GET --------------------------------------------------------
step "2. denied GET"
check "GET /admin/secret over IPv4: 403 text/plain 'Access denied\\r\\n'" \
	denied "$C1_NS" "http://$B4:8080/admin/secret"
check "GET /admin/secret over IPv6: the same 403" \
	denied "$C1_NS" "http://$B6:8080/admin/secret"
check "POST /public/small (method not allowed by the rules): 403" \
	denied "$C1_NS" "http://$B4:8080/public/small" --data x
check "/admin/secret never reached nginx" never_logged /admin/secret

# --- 3. keep-alive, the second request denied ----------------------------
step "3. keep-alive"
hc "$B4" seq "GET /public/small?ka1" "GET /admin/secret?ka2" >"$T_TMP/ka" 2>&1 || true
check "one connection: GET /public/small 200, then GET /admin/secret 403, then closed ($(tr '\n' '|' <"$T_TMP/ka"))" \
	"$PY" - "$T_TMP/ka" <<'PY'
import re, sys
l = open(sys.argv[1]).read().splitlines()
assert len(l) == 3, l
p1 = re.search(r"port=(\d+)", l[0]).group(1)
p2 = re.search(r"port=(\d+)", l[1]).group(1)
assert l[0].startswith("200 ") and l[1].startswith("403 "), l
assert p1 == p2, (p1, p2)
assert "Access denied" in l[1], l[1]
assert l[2].startswith(("eof", "reset")), l[2]
PY
check "the first request reached nginx" logged "/public/small?ka1" 1
check "the denied second one did not" never_logged "?ka2"
out=$(in_ns "$C1_NS" curl -s -m 5 -o /dev/null -o /dev/null \
	-w '%{http_code} %{num_connects}\n' \
	"http://$B4:8080/public/small?kc1" "http://$B4:8080/admin/secret?kc2" 2>&1 || true)
check "curl with two URLs on one connection: '$(tr '\n' ' ' <<<"$out")' is 200 then 403, reused" \
	test "$out" == $'200 1\n403 0'
check "curl's first request reached nginx" logged "/public/small?kc1" 1
check "curl's denied second one did not" never_logged "?kc2"

# --- 4. pipelining -------------------------------------------------------
step "4. pipelining"
hc "$B4" pipe "GET /public/small?pp1" "GET /public/big?pp2" >"$T_TMP/pp" 2>&1 || true
small_sha=$(sha256sum <"$WWW/public/small" | cut -c1-16)
big_sha=$(sha256sum <"$WWW/public/big" | cut -c1-16)
check "two allowed GETs in one write: two 200s in order ($(tr '\n' '|' <"$T_TMP/pp"))" \
	sh -c "sed -n 1p '$T_TMP/pp' | grep -q '^200 .*sha=$small_sha' &&
		sed -n 2p '$T_TMP/pp' | grep -q '^200 .*sha=$big_sha' &&
		sed -n 3p '$T_TMP/pp' | grep -q '^open'"
check "both reached nginx, on one connection, in order" \
	sh -c "grep -F '?pp' '$ALOG' | awk '{print \$2, \$3, \$5}' | tr '\n' ' ' |
		grep -qE '^(conn=[0-9]+) n=1 /public/small\?pp1 \1 n=2 /public/big\?pp2 \$'"
hc "$B4" pipe "GET /public/small?pd1" "GET /admin/secret?pd2" >"$T_TMP/pd" 2>&1 || true
check "allowed + denied in one write: 200 then 403, then closed ($(tr '\n' '|' <"$T_TMP/pd"))" \
	sh -c "sed -n 1p '$T_TMP/pd' | grep -q '^200 .*sha=$small_sha' &&
		sed -n 2p '$T_TMP/pd' | grep -q '^403 .*Access denied' &&
		sed -n 3p '$T_TMP/pd' | grep -qE '^(eof|reset)'"
check "the allowed one reached nginx" logged "/public/small?pd1" 1
check "the denied one did not" never_logged "?pd2"
# The same in two segments (autocorking off, so that the kernel does not
# merge them), five times: the 403 must wait for the server's 200.
in_ns "$C1_NS" sysctl -qw net.ipv4.tcp_autocorking=0
: >"$T_TMP/pt"
for i in 1 2 3 4 5; do
	hc "$B4" two "GET /public/small?pt$i" "GET /admin/secret?ptd$i" 2>&1 |
		cut -c1-110 | tr '\n' '|' >>"$T_TMP/pt" || true
	echo >>"$T_TMP/pt"
done
in_ns "$C1_NS" sysctl -qw net.ipv4.tcp_autocorking=1
check "allowed then denied in two back-to-back segments, 5 times: 200 then 403, then closed" \
	sh -c "cat '$T_TMP/pt'; test \$(grep -cE '^200 .*sha=$small_sha.*\|403 .*Access denied.*\|(eof|reset)' '$T_TMP/pt') -eq 5"
check "the allowed ones reached nginx and were answered in full" \
	sh -c "grep -F '/public/small?pt' '$ALOG'; test \$(grep -F '/public/small?pt' '$ALOG' | grep -c ' 200 .*sent=$(stat -c %s "$WWW/public/small")\$') -eq 5"
check "the denied ones did not" never_logged "?ptd"

# --- 5. one byte per segment -------------------------------------------------
step "5. byte by byte"
# first_is FILE REGEX: FILE's first line matches; if not, FILE and what
# the sockets on both ends and the fast path say.
first_is()
{
	sed -n 1p "$1" | grep -qE -- "$2" && return 0
	cat "$1"
	echo "c1 sockets to :8080:"
	in_ns "$C1_NS" ss -tniH dport = :8080 | cut -c1-300
	echo "b1 sockets on :8080:"
	in_ns "$B1_NS" ss -tniH sport = :8080 | cut -c1-300
	echo "xgatectl l7:"
	xgc l7 2>&1 | head -12
	return 1
}
hc "$B4" bytes 0.005 "GET /public/small?bb1" >"$T_TMP/bb" 2>&1 || true
check "an allowed request one byte per segment: 200 ($(tr '\n' '|' <"$T_TMP/bb"))" \
	first_is "$T_TMP/bb" "^200 .*sha=$small_sha"
check "it reached nginx once" logged "/public/small?bb1" 1
hc "$B4" bytes 0.005 "GET /admin/secret?bb2" >"$T_TMP/bd" 2>&1 || true
check "a denied request one byte per segment: 403 ($(tr '\n' '|' <"$T_TMP/bd"))" \
	first_is "$T_TMP/bd" '^403 .*Access denied'
check "it did not reach nginx" never_logged "?bb2"

# --- 6. reordering --------------------------------------------------------
# netem is not in every kernel; this reorders with what usually is: an
# htb root on c1's eth0 whose class 1:2 is slow (1 Mbit/s), and nftables
# sending a random third of c1's packets to port 8080 into it, so that
# they leave after packets sent later.  GSO off: one segment per packet.
step "6. reordering"
reorder_on()
{
	in_ns "$C1_NS" ethtool -K eth0 gso off &&
		in_ns "$C1_NS" tc qdisc add dev eth0 root handle 1: htb default 1 &&
		in_ns "$C1_NS" tc class add dev eth0 parent 1: classid 1:1 htb rate 10gbit prio 0 &&
		in_ns "$C1_NS" tc class add dev eth0 parent 1: classid 1:2 htb rate 1mbit \
			burst 1600 cburst 1600 prio 1 &&
		in_ns "$C1_NS" nft add table inet xgt_reorder &&
		in_ns "$C1_NS" nft add chain inet xgt_reorder post \
			'{ type filter hook postrouting priority 0; }' &&
		in_ns "$C1_NS" nft add rule inet xgt_reorder post \
			tcp dport 8080 numgen random mod 3 0 meta priority set 1:2
}
reorder_off()
{
	in_ns "$C1_NS" nft delete table inet xgt_reorder 2>/dev/null
	in_ns "$C1_NS" tc qdisc del dev eth0 root 2>/dev/null
	in_ns "$C1_NS" ethtool -K eth0 gso on
}
slow_pkts() { in_ns "$C1_NS" tc -s class show dev eth0 classid 1:2 | awk '/Sent/ {print $4; exit}'; }
ofo() { in_ns "$B1_NS" nstat -az TcpExtTCPOFOQueue | awk '/TCPOFOQueue/ {print $2}'; }
ofo0=$(ofo)
if reorder_on >"$T_TMP/reorder.err" 2>&1; then
	check "POST /upload 200 KB through reordering: 200, the upstream got it whole" \
		post_same "$C1_NS" "http://$B4:8080/upload" "$T_TMP/body200k"
	for i in 1 2 3; do
		check "GET /public/big through reordering ($i): 200, same bytes" \
			get_same "$C1_NS" "http://$B4:8080/public/big?ro$i" "$WWW/public/big"
	done
	check "GET /admin/secret through reordering: 403" \
		denied "$C1_NS" "http://$B4:8080/admin/secret?ro"
	hc "$B4" pipe "GET /public/small?ro4" "POST /upload @$T_TMP/body200k" "GET /public/small?ro5" >"$T_TMP/ro" 2>&1 || true
	check "pipelined GET, POST 200 KB, GET through reordering: 3 x 200 ($(cut -c1-80 "$T_TMP/ro" | tr '\n' '|'))" \
		sh -c "test \$(grep -c '^200 ' '$T_TMP/ro') -eq 3"
	# A 5 KB head: four segments, which the reordering shuffles.
	pad=$(head -c 5000 /dev/zero | tr '\0' a)
	: >"$T_TMP/rh"
	for i in 1 2 3 4 5; do
		hc "$B4" pipe "RAW:GET /public/small?rh$i HTTP/1.1\\r\\nHost: b1\\r\\nX-Pad: $pad\\r\\n\\r\\n" >>"$T_TMP/rh" 2>&1 || true
	done
	check "5 GETs with a 5 KB head (4 segments) through reordering: 5 x 200 ($(cut -c1-40 "$T_TMP/rh" | tr '\n' '|'))" \
		sh -c "test \$(grep -c '^200 .*sha=$small_sha' '$T_TMP/rh') -eq 5"
	hc "$B4" pipe "RAW:GET /admin/secret?rh HTTP/1.1\\r\\nHost: b1\\r\\nX-Pad: $pad\\r\\n\\r\\n" >"$T_TMP/rhd" 2>&1 || true
	check "a denied GET with a 5 KB head through reordering: 403 ($(cut -c1-80 "$T_TMP/rhd" | tr '\n' '|'))" \
		grep -q '^403 .*Access denied' "$T_TMP/rhd"
	slow=$(slow_pkts)
	ofo1=$(ofo)
	check "the reordering was real: $slow packets went the slow way; b1 queued $((ofo1 - ofo0)) out of order" \
		test "${slow:-0}" -gt 50
	reorder_off || true
	check "the reordering is removed" \
		sh -c "! ip netns exec '$C1_NS' tc qdisc show dev eth0 | grep -q htb &&
			! ip netns exec '$C1_NS' nft list tables | grep -q xgt_reorder"
else
	fail "reordering setup in c1: $(tr '\n' ' ' <"$T_TMP/reorder.err")"
	reorder_off || true
fi
check "/admin/secret?ro and ?rh never reached nginx" \
	sh -c "! grep -qE 'secret\?(ro|rh)' '$ALOG'"

# --- 7. large bodies -------------------------------------------------------
step "7. large bodies"
check "POST /upload 5 MB: 200, the upstream got it whole" \
	post_same "$C1_NS" "http://$B4:8080/upload" "$T_TMP/body5m"
check "POST /upload 5 MB chunked: 200, the upstream got it whole" \
	post_same "$C1_NS" "http://$B4:8080/upload" "$T_TMP/body5m" -H 'Transfer-Encoding: chunked'
check "POST /upload 5 MB over IPv6: 200, the upstream got it whole" \
	post_same "$C1_NS" "http://$B6:8080/upload" "$T_TMP/body5m"
hc "$B4" seq "POST /upload @$T_TMP/body200k" "GET /public/small?after-body" >"$T_TMP/ab" 2>&1 || true
check "after a body on a keep-alive connection the next request is judged (allowed: 200) ($(tr '\n' '|' <"$T_TMP/ab"))" \
	sh -c "sed -n 2p '$T_TMP/ab' | grep -q '^200 .*sha=$small_sha'"
hc "$B4" seq "POST /upload @$T_TMP/body200k" "GET /admin/secret?after-body" >"$T_TMP/ab2" 2>&1 || true
check "after a body on a keep-alive connection the next request is judged (denied: 403) ($(tr '\n' '|' <"$T_TMP/ab2"))" \
	sh -c "sed -n 1p '$T_TMP/ab2' | grep -q '^200 ' && sed -n 2p '$T_TMP/ab2' | grep -q '^403 .*Access denied'"
check "it did not reach nginx" never_logged "secret?after-body"

# --- 8. many flows, two workers ------------------------------------------
step "8. concurrency"
ethq() # counter: rx_queue_0 and rx_queue_1 values of gw0's COUNTER
{
	in_ns "$GW_NS" ethtool -S gw0 | awk -v c="$1" '
		$1 == "rx_queue_0_" c ":" { a = $2 } $1 == "rx_queue_1_" c ":" { b = $2 }
		END { print a + 0, b + 0 }'
}
read -r r0a r1a < <(ethq xdp_redirect)
hc "$B4" par 200 20 "/public/small?par" "$WWW/public/small" >"$T_TMP/par" 2>&1 || true
check "200 GETs, 20 at a time, each on its own connection: all 200 with the right body ($(cat "$T_TMP/par"))" \
	grep -q '^200:200 max' "$T_TMP/par"
check "nginx logged 200 of them" logged "/public/small?par" 200
hc "$B4" par 1000 50 "/public/small?pbr" "$WWW/public/small" >"$T_TMP/pbr" 2>&1 || true
check "1000 GETs, 50 at a time: all 200 with the right body ($(cat "$T_TMP/pbr"))" \
	grep -q '^200:1000 max' "$T_TMP/pbr"
hc "$B4" par 200 20 "/admin/secret?pbd" "$WWW/public/small" >"$T_TMP/pbd" 2>&1 || true
check "200 denied GETs, 20 at a time: all 403 ($(cat "$T_TMP/pbd"))" \
	grep -q '^403-badbody:200 max' "$T_TMP/pbd"
check "none of those reached nginx" never_logged "secret?pbd"
in_ns "$C1_NS" wrk -t2 -c20 -d3s "http://$B4:8080/public/small" >"$T_TMP/wrk" 2>&1 || true
sed 's/^/   wrk| /' "$T_TMP/wrk"
check "wrk -t2 -c20 -d3s: requests made, no non-2xx, no socket errors" \
	sh -c "grep -qE '^ +[0-9]+ requests in' '$T_TMP/wrk' &&
		! grep -qE 'Non-2xx|Socket errors' '$T_TMP/wrk'"
read -r r0b r1b < <(ethq xdp_redirect)
in_ns "$GW_NS" ethtool -S gw0 | grep -E 'rx_queue_[01]_xdp' | sed 's/^/   gw0| /'
# veth counts XDP per rx queue only in native mode: generic XDP runs on
# the skb, after the driver, and no ethtool counter sees it.
if [[ $XDP_MODE == native ]]; then
	check "both rx queues of gw0 redirected packets to the workers (xdp_redirect q0 $r0a -> $r0b, q1 $r1a -> $r1b)" \
		test "$r0b" -gt "$r0a" -a "$r1b" -gt "$r1a"
fi

# --- 9. malformed requests -------------------------------------------------
step "9. malformed"
hc "$B4" pipe 'RAW:GET /public/small?tecl HTTP/1.1\r\nHost: b1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$T_TMP/m1" 2>&1 || true
check "Content-Length and Transfer-Encoding together: 400, then closed ($(tr '\n' '|' <"$T_TMP/m1"))" \
	sh -c "sed -n 1p '$T_TMP/m1' | grep -q '^400 ' && sed -n 2p '$T_TMP/m1' | grep -qE '^(eof|reset)'"
check "it never reached nginx" never_logged "?tecl"
pad=$(head -c 10000 /dev/zero | tr '\0' a)
hc "$B4" pipe "RAW:GET /public/small?big431 HTTP/1.1\\r\\nHost: b1\\r\\nX-Pad: $pad\\r\\n\\r\\n" >"$T_TMP/m2" 2>&1 || true
check "a 10 KB head: 431, then closed ($(cut -c1-200 "$T_TMP/m2" | tr '\n' '|'))" \
	sh -c "sed -n 1p '$T_TMP/m2' | grep -q '^431 ' && sed -n 2p '$T_TMP/m2' | grep -qE '^(eof|reset)'"
check "it never reached nginx" never_logged "?big431"
check "a request still goes through after them" \
	get_same "$C1_NS" "http://$B4:8080/public/small" "$WWW/public/small"

# --- 10. a policy change under a held connection ---------------------------
step "10. policy update"
check "no /admin/secret reached nginx so far" never_logged /admin/secret
spawn "$C1_NS" "$PY" "$T_TMP/hold.py" "$B4" "$T_TMP/hold" "$T_TMP/trig1" "$T_TMP/trig2" 25
HOLD_PID=$SPAWN_PID
sleep 1
t0=$(date +%s%N)
write_policy "/admin/.*"
probe() { [[ $(in_ns "$C1_NS" curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$B4:8080/admin/secret?$1") == "$2" ]]; }
wait_for "probe p-allow 200" 5 || true
ms=$((($(date +%s%N) - t0) / 1000000))
check "after allowing /admin/.*, a new connection gets /admin/secret (200) ($ms ms)" \
	probe new1 200
touch "$T_TMP/trig1"
wait_for "grep -qE '^(admin1|fail|done)' $T_TMP/hold" 5 || true
check "the held connection's next /admin/secret follows the new rules: 200 ($(grep -E '^(admin1|fail)' "$T_TMP/hold" | head -2 | tr '\n' '|'))" \
	grep -q '^admin1 200 ' "$T_TMP/hold"
sleep 0.5
t0=$(date +%s%N)
write_policy
wait_for "probe p-deny 403" 5 || true
ms=$((($(date +%s%N) - t0) / 1000000))
check "after the rule is removed again, a new connection gets 403 ($ms ms)" \
	denied "$C1_NS" "http://$B4:8080/admin/secret?new2"
touch "$T_TMP/trig2"
wait_for "grep -q '^done' $T_TMP/hold" 8 || true
stop "$HOLD_PID"
sed 's/^/   hold| /' "$T_TMP/hold"
check "and the held connection's next one is denied again: 403" \
	grep -q '^admin2 403 .*Access denied' "$T_TMP/hold"
check "the held connection never failed an allowed request ($(tail -1 "$T_TMP/hold"))" \
	sh -c "! grep -qE '^(fail|slow)' '$T_TMP/hold' && grep -qE '^done n=[1-9][0-9]' '$T_TMP/hold'"
check "held requests reached nginx on one connection" \
	sh -c "test \$(grep -F '?hold' '$ALOG' | awk '{print \$2}' | sort -u | wc -l) -eq 1"
check "the held connection's allowed /admin/secret reached nginx" logged "secret?held1" 1
check "the new connection's allowed /admin/secret reached nginx" logged "secret?new1" 1
check "the held connection's denied one did not" never_logged "secret?held2"
check "the new connection's denied one did not" never_logged "secret?new2"

# --- 11. L3/L4 deny --------------------------------------------------------
step "11. c2"
rc=0
in_ns "$C2_NS" curl -s -m 2 -o /dev/null "http://$B4:8080/public/small" || rc=$?
check "c2 (alliance) gets nothing from b1:8080 over IPv4 (curl exit $rc, want 28)" test "$rc" -eq 28
rc=0
in_ns "$C2_NS" curl -s -m 2 -o /dev/null "http://$B6:8080/public/small" || rc=$?
check "c2 gets nothing from b1:8080 over IPv6 (curl exit $rc, want 28)" test "$rc" -eq 28
check "c2 never reached nginx" never_logged "$C2_IP4 "

check "xgated is still running" kill -0 "$XGATED_PID"
check "xgated did not log errors" sh -c "! grep -iE 'error|fail|abort|assert' '$XLOG'"
step "done"
echo "   xgatectl l7:"
xgc l7 2>&1 | head -20 | sed 's/^/   l7| /' || true
echo "   xgated log (last 30 lines):"
tail -30 "$XLOG" | sed 's/^/   xgated| /'
finish
