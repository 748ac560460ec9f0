#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xgated on the lab with the file kvstore: the example documents are
# enforced on real traffic; a policy written through xgatectl is applied
# quickly; a bad document is refused with file:line:col while the old
# state keeps enforcing; explain says which rule decided; SIGKILL under
# traffic and a restart drop no packet of an established flow and the
# restarted daemon writes nothing it does not need to; SIGHUP reloads;
# SIGTERM leaves the datapath enforcing.
. "$(dirname "$0")/lib.sh"

lab_up
XGATED=$XG_ROOT/build/xgated
POL=$T_TMP/policies
SOCK=$T_TMP/xgate.sock
MPORT=$((20000 + $$ % 10000))
mkdir -p "$POL"
cp "$XG_ROOT"/config/examples/endpoints.yaml "$XG_ROOT"/config/examples/services.yaml "$POL/"
cp "$XG_ROOT"/config/examples/policies/*.yaml "$POL/"
cat >"$T_TMP/xgate.conf" <<EOF
node = "lab";
interfaces = ( { name = "gw0"; }, { name = "gw1"; } );
pin_root = "$LAB_BPFFS/xgate";
state_dir = "$T_TMP/state";
kvstore = { type = "file"; path = "$POL"; };
api = { socket = "$SOCK"; metrics = "127.0.0.1:$MPORT"; };
EOF

xgc() { "$XGATECTL" --socket "$SOCK" "$@"; }
start_xgated()
{
	spawn "$GW_NS" env LIBXDP_BPFFS="$LAB_BPFFS" "$XGATED" --config "$T_TMP/xgate.conf"
	XGATED_PID=$SPAWN_PID
	wait_for "xgc status | grep -q 'applies'" 15
}

# HTTP/1.1 keep-alive servers on the backends' port 8080.
cat >"$T_TMP/server.py" <<'PY'
import socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class S(ThreadingHTTPServer):
    address_family = socket.AF_INET6  # dual stack: v4-mapped too
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = (sys.argv[1] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
S(("::", 8080), H).serve_forever()
PY
for b in 1 2 3; do
	ns_var=B${b}_NS
	spawn "${!ns_var}" python3 "$T_TMP/server.py" "b$b"
done
wait_for "in_ns $B2_NS ss -ltnH | grep -q :8080" 5

# A client that keeps one connection and asks every 20 ms; it reports
# any failure or answer slower than 500 ms (a packet lost and resent).
cat >"$T_TMP/hold.py" <<'PY'
import http.client, sys, time
c = http.client.HTTPConnection(sys.argv[1], 8080, timeout=5)
out = open(sys.argv[2], "w", buffering=1)
end = time.time() + float(sys.argv[3])
n = 0
while time.time() < end:
    t = time.time()
    try:
        c.request("GET", "/")
        c.getresponse().read()
        n += 1
        if time.time() - t > 0.5:
            out.write("slow %.3f\n" % (time.time() - t))
    except Exception as e:
        out.write("fail %s\n" % e)
        break
    time.sleep(0.02)
out.write("done %d\n" % n)
PY

get() # NS ADDR: an HTTP GET to ADDR:8080 from NS, 2 s at most
{
	in_ns "$1" curl -s -m 2 "http://$2:8080/"
}

start_xgated
check "xgated is up and says its kvstore is healthy" output_has "healthy, watching" xgc status
check "status -o json is JSON" sh -c "'$XGATECTL' --socket '$SOCK' -o json status | jq -e .ok"
check "c1 (empire) reaches b2:8080" output_has b2 get "$C1_NS" "$B2_IP4"
check "c1 reaches b3 over IPv6" output_has b3 get "$C1_NS" "[$B3_IP6]"
check_not "c2 (the intruder) does not reach b2" get "$C2_NS" "$B2_IP4"
check "explain names the rule that denies c2" \
	output_has "ingress  DENIED  POLICY_DEFAULT_DENY" xgc explain "$C2_IP4" "$B2_IP4" tcp 8080
check "explain names the rule that allows c1" \
	output_has "policy default/front-network, ingress\[0\]" xgc explain "$C1_IP4" "$B2_IP4" tcp 8080
in_ns "$GW_NS" "$XGATECTL" --socket "$SOCK" --pin-root "$LAB_BPFFS/xgate" \
	monitor --count 1 --timeout 5 >"$T_TMP/mon" 2>&1 &
MON_PID=$!
sleep 0.5
get "$C1_NS" "$B3_IP4" >/dev/null || true
wait "$MON_PID" || true
check "monitor names the policy rule that admitted a flow ($(cat "$T_TMP/mon"))" \
	grep -q "(default/front-network ingress\[0\])" "$T_TMP/mon"
check "identities are listed" output_has "k8s:app=intruder" xgc identity list
check "endpoints are listed" output_has "$B2_IP4/32" xgc endpoint list
check "metrics on loopback" \
	output_has 'xgate_drops_total{reason="POLICY_DEFAULT_DENY"} [1-9]' \
	in_ns "$GW_NS" curl -s -m 2 "http://127.0.0.1:$MPORT/metrics"

# A new policy through xgatectl: c2 may reach b3 (its own rule).
cat >"$T_TMP/allow-c2.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-c2-b3}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: intruder}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
EOF
check "policy validate prints the entries" output_has "allow-c2-b3 +ingress" \
	xgc policy validate -f "$T_TMP/allow-c2.yaml"
t0=$(date +%s%N)
check "policy apply" xgc policy apply -f "$T_TMP/allow-c2.yaml"
wait_for "xgc explain $C2_IP4 $B3_IP4 tcp 8080 | grep -q 'verdict  allow'" 2
ms=$((($(date +%s%N) - t0) / 1000000))
check "the change is enforced ($ms ms from apply to explain)" test "$ms" -lt 1000
check "c2 now reaches b3" output_has b3 get "$C2_NS" "$B3_IP4"
check "policy list shows it" output_has "allow-c2-b3 +policies/allow-c2.yaml" xgc policy list
check "policy get returns its text" output_has "name: allow-c2-b3" xgc policy get policies/allow-c2.yaml

# A bad document: refused by apply with the place; written straight into
# the directory, refused by the daemon; what was enforced stays.
printf 'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: allow-c2-b3}\nspec:\n  endpointSelector: {}\n  ingress: [{toPorts: [{ports: [{port: "99999"}]}]}]\n' >"$T_TMP/bad.yaml"
check "apply refuses a bad document, naming field and line:col" \
	output_has "spec.ingress\[0\].toPorts\[0\].ports\[0\].port:6:40: must be 0-65535" \
	sh -c "'$XGATECTL' --socket '$SOCK' policy apply -f '$T_TMP/bad.yaml' --key policies/allow-c2.yaml 2>&1; true"
cp "$T_TMP/bad.yaml" "$POL/policies/allow-c2.yaml"
wait_for "xgc status | grep -q 'must be 0-65535'" 2
check "status shows the refused file with line:col" \
	output_has "policies/allow-c2.yaml: spec.ingress\[0\].toPorts\[0\].ports\[0\].port:6:40" xgc status
check "the previous version stays enforced (c2 still reaches b3)" output_has b3 get "$C2_NS" "$B3_IP4"
check "c1 still reaches b2" output_has b2 get "$C1_NS" "$B2_IP4"
check "policy delete" xgc policy delete policies/allow-c2.yaml
wait_for "xgc explain $C2_IP4 $B3_IP4 tcp 8080 | grep -q 'verdict  drop'" 2
check_not "after delete c2 no longer reaches b3" get "$C2_NS" "$B3_IP4"
check "and the error is gone" sh -c "! '$XGATECTL' --socket '$SOCK' status | grep -q refused"

# SIGKILL under traffic, then a new daemon: no packet of the established
# flows is lost (ping counts losses; the HTTP connection must neither
# fail nor stall), and the restart adopts the maps without rewriting.
spawn "$C1_NS" ping -q -i 0.01 -c 600 "$B1_IP4"
PING_PID=$SPAWN_PID
spawn "$C1_NS" python3 "$T_TMP/hold.py" "$B2_IP4" "$T_TMP/hold" 6
wait_for "test -s $T_TMP/hold || sleep 0.5" 2
sleep 1
drops0=$(in_ns "$GW_NS" curl -s "http://127.0.0.1:$MPORT/metrics" | awk '/^xgate_drops_total/ { s += $2 } END { print s + 0 }')
kill -KILL "$XGATED_PID"
wait "$XGATED_PID" 2>/dev/null || true
sleep 1
: >"$T_TMP/restart.log"
spawn "$GW_NS" sh -c "env LIBXDP_BPFFS='$LAB_BPFFS' '$XGATED' --config '$T_TMP/xgate.conf' 2>'$T_TMP/restart.log'"
XGATED_PID=$SPAWN_PID
wait_for "xgc status | grep -q applies" 15
ping_rc=0
wait "$PING_PID" || ping_rc=$?
check "ping through the kill and restart lost nothing (rc $ping_rc)" test "$ping_rc" -eq 0
wait_for "grep -q done $T_TMP/hold" 10
check "the HTTP connection neither failed nor stalled ($(tail -1 "$T_TMP/hold"))" \
	sh -c "! grep -qE 'fail|slow' '$T_TMP/hold' && grep -q done '$T_TMP/hold'"
sed "s/^/       | /" "$T_TMP/restart.log"
check "the restarted daemon adopted the attached datapath" output_has "adopted" cat "$T_TMP/restart.log"
check "and its first apply changed nothing" \
	output_has "ipcache \+0 -0, policy \+0 -0, services \+0 -0" cat "$T_TMP/restart.log"
drops1=$(in_ns "$GW_NS" curl -s "http://127.0.0.1:$MPORT/metrics" | awk '/^xgate_drops_total/ { s += $2 } END { print s + 0 }')
check "no drop counted during the restart ($drops0 -> $drops1)" test "$drops0" -eq "$drops1"

xgm() { in_ns "$GW_NS" "$XGATECTL" --pin-root "$LAB_BPFFS/xgate" "$@"; }
get "$C1_NS" "$B2_IP4" >/dev/null || true
check "ct list shows flows" output_has "tcp .* -> $B2_IP4:8080" xgm ct list
check "ct flush" output_has "[1-9][0-9]* flows flushed" xgm ct flush
check "ct list is empty after it" sh -c "test -z \"\$(ip netns exec '$GW_NS' '$XGATECTL' --pin-root '$LAB_BPFFS/xgate' ct list)\""
check "traffic after a flush is judged again and still allowed" output_has b2 get "$C1_NS" "$B2_IP4"

# SIGHUP rereads the config; SIGTERM stops, the datapath stays.
kill -HUP -- "-$XGATED_PID"
wait_for "grep -q reloaded $T_TMP/restart.log" 3
check "SIGHUP reloads the config" grep -q reloaded "$T_TMP/restart.log"
kill -TERM -- "-$XGATED_PID"
wait_for "! xgc status" 5
check "SIGTERM stops xgated" sh -c "! '$XGATECTL' --socket '$SOCK' status 2>/dev/null"
check "the datapath keeps enforcing without it (c1 reaches b2)" output_has b2 get "$C1_NS" "$B2_IP4"
check_not "and keeps denying (c2 does not)" get "$C2_NS" "$B2_IP4"

finish
