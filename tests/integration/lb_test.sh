#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Service load balancing on the lab: three HTTP backends behind a VIP.
# 3,000 connections are all answered and spread within 15% per backend;
# a backend marked terminating finishes its open connections and gets no
# new ones; removing a backend breaks no connection to the others.
. "$(dirname "$0")/lib.sh"

lab_up
PIN=$LAB_BPFFS/xgate
VIP=198.19.0.100

# An HTTP/1.1 server (keep-alive) that answers with its own name.
cat >"$T_TMP/server.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = sys.argv[1].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
PY
# The client: N new connections, one request each; prints name counts.
# With --hold NAME it also keeps one keep-alive connection that landed on
# NAME and reports, every 0.2 s for S seconds, whether it still works.
cat >"$T_TMP/client.py" <<'PY'
import collections, http.client, json, sys, time
vip, n = sys.argv[1], int(sys.argv[2])
seen, fails = collections.Counter(), 0
for i in range(n):
    try:
        c = http.client.HTTPConnection(vip, 80, timeout=3)
        c.request("GET", "/")
        seen[c.getresponse().read().decode()] += 1
        c.close()
    except OSError:
        fails += 1
print(json.dumps({"seen": seen, "fails": fails}))
PY
cat >"$T_TMP/hold.py" <<'PY'
import http.client, sys, time
vip, want, secs, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
for _ in range(200):
    c = http.client.HTTPConnection(vip, 80, timeout=2)
    c.request("GET", "/")
    if c.getresponse().read().decode() == want:
        break
    c.close()
else:
    sys.exit("never landed on " + want)
end = time.time() + secs
with open(out, "w") as f:
    f.write("held\n"); f.flush()
    while time.time() < end:
        try:
            c.request("GET", "/")
            f.write("ok " + c.getresponse().read().decode() + "\n")
        except OSError as e:
            f.write("fail %s\n" % e)
        f.flush()
        time.sleep(0.2)
PY

check "attach to both legs" xg attach gw0 gw1
for b in 1 2 3; do
	ns_var=B${b}_NS
	spawn "${!ns_var}" python3 "$T_TMP/server.py" "b$b"
done
for b in 1 2 3; do
	ns_var=B${b}_NS
	wait_for "output_has ':8080 ' in_ns ${!ns_var} ss -ltnH" 5
done
BACKENDS=(1=$B1_IP4:8080 2=$B2_IP4:8080 3=$B3_IP4:8080)
check "service put" xg service put 10 $VIP:80 tcp "${BACKENDS[@]}"
check "service listed" output_has "10 +$VIP:80/tcp" xg service list

out=$(in_ns "$C1_NS" python3 "$T_TMP/client.py" $VIP 3000)
echo "       | $out"
read -r fails n1 n2 n3 < <(python3 -c "
import json,sys; d=json.loads(sys.argv[1]); s=d['seen']
print(d['fails'], s.get('b1',0), s.get('b2',0), s.get('b3',0))" "$out")
check "3,000 connections all answered ($fails failed)" test "$fails" -eq 0
for n in "$n1" "$n2" "$n3"; do
	check "backend share $n within 15% of 1000" test "$n" -ge 850 -a "$n" -le 1150
done

# Terminating: an open connection on b3 keeps working, new ones avoid b3.
spawn "$C2_NS" python3 "$T_TMP/hold.py" $VIP b3 4 "$T_TMP/hold3"
wait_for "grep -q held $T_TMP/hold3" 10
check "service put with b3 terminating" xg service put 10 $VIP:80 tcp \
	"${BACKENDS[0]}" "${BACKENDS[1]}" "${BACKENDS[2]}/1/terminating"
out=$(in_ns "$C1_NS" python3 "$T_TMP/client.py" $VIP 300)
echo "       | $out"
check "new connections avoid the terminating backend" \
	python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(d['fails'] or d['seen'].get('b3',0))" "$out"
sleep 4.5
check "its open connection finished its work on b3" \
	test "$(grep -c '^ok b3' "$T_TMP/hold3")" -ge 10 -a "$(grep -c '^fail' "$T_TMP/hold3")" -eq 0

# Removal: b3 out of the service and gone; connections to b1, b2 go on.
spawn "$C2_NS" python3 "$T_TMP/hold.py" $VIP b1 4 "$T_TMP/hold1"
spawn "$C1_NS" python3 "$T_TMP/hold.py" $VIP b2 4 "$T_TMP/hold2"
wait_for "grep -q held $T_TMP/hold1 && grep -q held $T_TMP/hold2" 10
check "service put without b3" xg service put 10 $VIP:80 tcp "${BACKENDS[0]}" "${BACKENDS[1]}"
sleep 4.5
for b in 1 2; do
	check "open connection to b$b unbroken by the removal" \
		test "$(grep -c "^ok b$b" "$T_TMP/hold$b")" -ge 10 -a "$(grep -c '^fail' "$T_TMP/hold$b")" -eq 0
done
out=$(in_ns "$C1_NS" python3 "$T_TMP/client.py" $VIP 200)
check "after removal: all answered, none by b3" \
	python3 -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(d['fails'] or d['seen'].get('b3',0))" "$out"
check "service del" xg service del 10 $VIP:80 tcp
out=$(in_ns "$C1_NS" python3 "$T_TMP/client.py" $VIP 1)
check "VIP no longer answers after service del" \
	python3 -c "import json,sys; sys.exit(json.loads(sys.argv[1])['fails'] != 1)" "$out"

# No usable backend: the gateway answers a reset, so the client is told
# at once rather than retrying a silent VIP until its timeout.
check "service put with no backend" xg service put 10 $VIP:80 tcp
start=$(date +%s%N)
rc=0
in_ns "$C1_NS" curl -s -o /dev/null --max-time 5 "http://$VIP/" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "curl is refused (exit 7, got $rc) within a second ($ms ms)" \
	test "$rc" -eq 7 -a "$ms" -lt 1000
check "the answered drop is counted as no-backend" \
	output_has "service has no usable backend" xg counters
check "service del (empty)" xg service del 10 $VIP:80 tcp

finish
