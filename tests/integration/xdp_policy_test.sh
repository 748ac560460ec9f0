#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The XDP policy datapath on the lab topology, attached natively to both
# gateway legs: real TCP, UDP and ICMP between namespaces.  Allowed flows
# connect, denied ones do not, replies pass; drop counters and ring-buffer
# events match what was sent; a policy change cuts an established flow;
# detaching hands forwarding back to the kernel.
. "$(dirname "$0")/lib.sh"

lab_up
PIN=$LAB_BPFFS/xgate

# counter NAME: packets of a verdict (pass/drop/forward) or drop reason
counter()
{
	xg counters | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'
}

check "attach natively to both legs" xg attach gw0 gw1
check "gw0 runs an XDP program" output_has "xdp" in_ns "$GW_NS" ip -d link show gw0
check "gw1 runs an XDP program" output_has "xdp" in_ns "$GW_NS" ip -d link show gw1

while read -r prefix id _; do
	[[ -z $prefix || $prefix == \#* ]] && continue
	xg ipcache set "$prefix" "$id"
done <"$XG_ROOT/config/examples/demo.ipcache"

cat >"$T_TMP/rules" <<'RULES'
ingress allow subject=2001 peer=1001 proto=tcp port=8080 cookie=1
ingress allow subject=2001 peer=1001 proto=tcp port=9000 cookie=6
ingress allow subject=2001 peer=1001 proto=icmp port=8 cookie=2
ingress allow subject=2001 peer=1001 proto=icmpv6 port=128 cookie=3
ingress deny subject=2001 peer=1002 cookie=4
ingress allow subject=2000 peer=any proto=udp port=53 cookie=5
RULES
check "policy applies" xg rules apply "$T_TMP/rules"

# Servers: HTTP and a TCP echo on b1, a UDP echo on b2:53.
spawn "$B1_NS" sh -c 'exec python3 -m http.server 8080 --bind :: >/dev/null 2>&1'
spawn "$B1_NS" sh -c 'exec socat TCP6-LISTEN:9000,ipv6only=0,reuseaddr,fork EXEC:cat 2>/dev/null'
spawn "$B2_NS" sh -c 'exec socat UDP4-RECVFROM:53,fork EXEC:cat 2>/dev/null'
wait_for "output_has ':8080 ' in_ns $B1_NS ss -ltnH" 5
wait_for "output_has ':9000 ' in_ns $B1_NS ss -ltnH" 5
wait_for "output_has ':53 ' in_ns $B2_NS ss -lunH" 5

# The monitor's output goes to a file (spawn would mix it into ours).
setsid ip netns exec "$GW_NS" "$XGATECTL" --pin-root "$PIN" monitor --timeout 60 \
	>"$T_TMP/monitor" 2>&1 &
MON_PID=$!
T_PIDS+=("$MON_PID")
sleep 0.3

fwd0=$(counter forward)
check "c1 -> b1:8080 HTTP over IPv4" in_ns "$C1_NS" curl -sf --max-time 3 "http://$B1_IP4:8080/"
check "c1 -> b1:8080 HTTP over IPv6" in_ns "$C1_NS" curl -sf --max-time 3 "http://[$B1_IP6]:8080/"
check "c1 -> b1 ping (v4), replies pass" in_ns "$C1_NS" ping -c2 -i0.2 -W1 "$B1_IP4"
check "c1 -> b1 ping (v6), replies pass" in_ns "$C1_NS" ping -6 -c2 -i0.2 -W1 "$B1_IP6"
check "c2 -> b2 UDP 53 gets its answer" output_has "^hello$" in_ns "$C2_NS" \
	bash -c "echo hello | socat -t1 - UDP4:$B2_IP4:53"
fwd1=$(counter forward)
check "allowed traffic was forwarded by XDP ($fwd0 -> $fwd1)" test "$fwd1" -gt $((fwd0 + 10))

check_not "c2 -> b1:8080 denied" in_ns "$C2_NS" curl -sf --max-time 2 "http://$B1_IP4:8080/"
check_not "c1 -> b1:22 default-denied" in_ns "$C1_NS" timeout 2 bash -c "exec 3<>/dev/tcp/$B1_IP4/22"
check_not "c1 -> b2 UDP 54 default-denied" output_has "hello" in_ns "$C1_NS" \
	bash -c "echo hello | socat -t1 - UDP4:$B2_IP4:54"

deny0=$(counter POLICY_DENY)
check_not "c2 -> b1 ping denied" in_ns "$C2_NS" ping -c3 -i0.2 -W1 "$B1_IP4"
deny1=$(counter POLICY_DENY)
check "3 pings sent, POLICY_DENY counted 3 ($deny0 -> $deny1)" test $((deny1 - deny0)) -eq 3

# A flow established before a policy change is cut by it.
cat >"$T_TMP/echo.py" <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 9000), timeout=1)
end = time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        s.sendall(b"ping\n")
        ok = s.recv(16) == b"ping\n"
    except OSError:
        ok = False
    print("ok" if ok else "fail", flush=True)
    time.sleep(0.2)
PY
spawn "$C1_NS" bash -c "python3 $T_TMP/echo.py $B1_IP4 6 >$T_TMP/echo.out 2>&1"
ECHO_PID=$SPAWN_PID
wait_for "grep -q ok $T_TMP/echo.out" 5
check "long-lived flow up before the change" grep -q ok "$T_TMP/echo.out"
sed '/port=9000/d' "$T_TMP/rules" >"$T_TMP/rules2"
check "policy without the 9000 rule applies" xg rules apply "$T_TMP/rules2"
sleep 2
wait "$ECHO_PID" 2>/dev/null || true
check "established flow cut after the change" test "$(tail -n 3 "$T_TMP/echo.out" | grep -c fail)" -eq 3
check "other flows unaffected" in_ns "$C1_NS" curl -sf --max-time 3 "http://$B1_IP4:8080/"

sleep 0.5
stop "$MON_PID"
check "monitor shows c2's denied pings with identities and rule" \
	test "$(grep -c "POLICY_DENY .*icmp 198.18.0.12:.* -> 198.19.0.11:0 ids 1002->2001 .*rule 4" "$T_TMP/monitor")" -eq 3
check "monitor shows admitted flows" grep -q "ALLOW .*198.18.0.11:.* -> 198.19.0.11:8080 ids 1001->2001" "$T_TMP/monitor"
check "monitor shows the default deny" grep -q "POLICY_DEFAULT_DENY .*198.19.0.11:22" "$T_TMP/monitor"
check "conntrack lists the allowed flows" output_has "198.19.0.11:8080 ids 1001->2001" xg ct list

check "detach from both legs" xg detach gw0 gw1
check "without xgate the kernel forwards c2 -> b1 again" in_ns "$C2_NS" curl -sf --max-time 3 "http://$B1_IP4:8080/"

finish
