#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The lab demo: builds the lab topology (tools/lab.sh), starts xgated with
# the shipped config (config/xgate.conf) and the example documents of
# config/examples/ in its file kvstore (/etc/xgate/policies), then sends
# allowed and denied traffic and shows what xgate decided and why:
# status, explain, live monitor events, counters, the connection table.
#
# KEEP_LAB=1 leaves the lab and xgated up afterwards (stop them with
# `kill $(cat /run/xgate/demo.pid); tools/lab.sh down`).
set -euo pipefail
cd "$(dirname "$0")/.."

XGATECTL=$PWD/build/xgatectl
XGATED=$PWD/build/xgated
CONF=$PWD/config/xgate.conf
# The shipped config's lab and pin root (/run/xgate-lab/xg/...).
export XG_LAB_PREFIX=xg
POLICIES=/etc/xgate/policies
PIDS=()
TMP=$(mktemp -d)

cleanup() {
	local pid
	if [[ ${KEEP_LAB:-0} != 1 ]]; then
		# Each background job leads its own process group (setsid).
		for pid in "${PIDS[@]}"; do
			kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
		done
		wait 2>/dev/null || true
		tools/lab.sh down >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
xgc() { "$XGATECTL" "$@"; } # the daemon's socket: /run/xgate/xgate.sock

say "lab: client namespaces -> gateway (gw0, gw1) -> backend namespaces"
tools/lab.sh up
eval "$(tools/lab.sh env)"

say "documents in the file kvstore ($POLICIES)"
mkdir -p "$POLICIES"
for f in config/examples/endpoints.yaml config/examples/services.yaml \
	config/examples/policies/*.yaml; do
	[[ -e $POLICIES/$(basename "$f") ]] || cp "$f" "$POLICIES/"
done
ls -l "$POLICIES"

# Web servers on the backends that answer with their name.
cat >"$TMP/server.py" <<'PY'
import socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class S(ThreadingHTTPServer):
    address_family = socket.AF_INET6
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from " + sys.argv[1] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = ("ship landed on " + sys.argv[1] + "\n").encode()
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
	setsid ip netns exec "${!ns_var}" python3 "$TMP/server.py" "b$b" >/dev/null 2>&1 &
	PIDS+=($!)
done

say "xgated --config config/xgate.conf (in the gateway namespace)"
pkill -TERM -f "^$XGATED" 2>/dev/null || true
setsid ip netns exec "$GW_NS" env LIBXDP_BPFFS="$LAB_BPFFS" "$XGATED" \
	--config "$CONF" >"$TMP/xgated.log" 2>&1 &
PIDS+=($!)
mkdir -p /run/xgate && echo "${PIDS[-1]}" >/run/xgate/demo.pid
for _ in $(seq 100); do
	xgc status 2>/dev/null | grep -q applies && break
	sleep 0.1
done
cat "$TMP/xgated.log"

say "xgatectl status"
xgc status

setsid ip netns exec "$GW_NS" "$XGATECTL" --pin-root "$LAB_BPFFS/xgate" \
	monitor --timeout 15 >"$TMP/monitor" 2>&1 &
PIDS+=($!)
MON=${PIDS[-1]}
sleep 0.3

try() { # what, then the command
	local what=$1 out
	shift
	if out=$("$@" 2>/dev/null); then
		printf '  %-58s ok %s\n' "$what" "$(head -1 <<<"$out")"
	else
		printf '  %-58s blocked\n' "$what"
	fi
}

say "traffic"
try "c1 (empire) -> b2:8080, IPv4" in_ns "$C1_NS" curl -s -m 2 "http://$B2_IP4:8080/"
try "c1 (empire) -> b3:8080, IPv6" in_ns "$C1_NS" curl -s -m 2 "http://[$B3_IP6]:8080/"
try "c1 (empire) -> b1 ping (deathstar: ICMP from the empire)" in_ns "$C1_NS" ping -c1 -W1 "$B1_IP4"
try "c2 (alliance intruder) -> b2:8080 (denied)" in_ns "$C2_NS" curl -s -m 2 "http://$B2_IP4:8080/"
try "c2 (alliance intruder) -> b1 ping (denied)" in_ns "$C2_NS" ping -c1 -W1 "$B1_IP4"
try "c1 -> b2:22 (no rule allows it)" in_ns "$C1_NS" timeout 2 bash -c "exec 3<>/dev/tcp/$B2_IP4/22"
try "c1 -> b1:8080 POST /v1/request-landing (the HTTP rule allows it)" \
	in_ns "$C1_NS" curl -sf -m 2 -X POST "http://$B1_IP4:8080/v1/request-landing"
try "c1 -> b1:8080 PUT /v1/exhaust-port (the L7 fast path answers 403)" \
	in_ns "$C1_NS" curl -s -m 2 -X PUT "http://$B1_IP4:8080/v1/exhaust-port"
echo "  (flows with HTTP rules go over AF_XDP to xgated's workers, which"
echo "   judge every request; a refused one never reaches the server)"
for i in 1 2 3 4 5 6; do
	try "c1 -> service web 198.19.0.100:80 (Maglev; b1 refuses GET), #$i" \
		in_ns "$C1_NS" curl -s -m 1 "http://198.19.0.100/"
done

say "xgatectl l7: the fast path's verdicts, with the rule that decided"
xgc l7 5

say "xgatectl explain: why"
xgc explain "$C2_IP4" "$B2_IP4" tcp 8080
echo
xgc explain "$C1_IP4" "$B2_IP4" tcp 8080

say "a bad document is refused; what was enforced stays"
printf 'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: oops}\nspec:\n  endpointSelector: {}\n  ingress: [{toPorts: [{ports: [{port: "99999"}]}]}]\n' >"$TMP/oops.yaml"
xgc policy apply -f "$TMP/oops.yaml" || true

sleep 1
say "xgatectl monitor (events from the ring buffer: reason, identities, rule)"
kill -TERM -- "-$MON" 2>/dev/null || true
wait "$MON" 2>/dev/null || true
cat "$TMP/monitor"

say "xgatectl counters"
in_ns "$GW_NS" "$XGATECTL" --pin-root "$LAB_BPFFS/xgate" counters

say "xgatectl ct list"
in_ns "$GW_NS" "$XGATECTL" --pin-root "$LAB_BPFFS/xgate" ct list

if [[ ${KEEP_LAB:-0} == 1 ]]; then
	say "lab and xgated left up (KEEP_LAB=1): xgatectl status | policy list | explain ..."
fi
