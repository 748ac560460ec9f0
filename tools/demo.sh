#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The lab demo: builds the lab topology (tools/lab.sh), attaches xgate to
# both legs of the gateway, loads the example identities and policy from
# config/examples/, then sends allowed and denied traffic and shows what
# xgate did: live events, counters and the connection table.
#
# KEEP_LAB=1 leaves the lab up afterwards (tear it down with
# `tools/lab.sh down`).  XG_LAB_PREFIX picks the lab (default "xg").
set -euo pipefail
cd "$(dirname "$0")/.."

XGATECTL=$PWD/build/xgatectl
export XG_LAB_PREFIX=${XG_LAB_PREFIX:-xg}
PIDS=()
TMP=$(mktemp -d)

cleanup() {
	local pid
	# Each background job leads its own process group (setsid): kill the
	# group, since python3 may be a wrapper (pyenv) that forks the server.
	for pid in "${PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [[ ${KEEP_LAB:-0} != 1 ]]; then
		tools/lab.sh down >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
xg() { in_ns "$GW_NS" env LIBXDP_BPFFS="$LAB_BPFFS" "$XGATECTL" --pin-root "$PIN" "$@"; }

say "lab: client namespaces -> gateway -> backend namespaces"
tools/lab.sh up
eval "$(tools/lab.sh env)"
PIN=$LAB_BPFFS/xgate

say "attach xgate to both gateway legs ($GW0, $GW1)"
xg detach "$GW0" "$GW1" >/dev/null 2>&1 || true
xg attach "$GW0" "$GW1"

say "identities (config/examples/demo.ipcache)"
while read -r prefix id _; do
	[[ -z $prefix || $prefix == \#* ]] && continue
	xg ipcache set "$prefix" "$id"
done <config/examples/demo.ipcache
xg ipcache list

say "policy (config/examples/demo.rules)"
grep -v '^#' config/examples/demo.rules | sed '/^$/d'
xg rules apply config/examples/demo.rules
xg rules list

# A web server on the api backend, v4 and v6.
setsid ip netns exec "$B1_NS" python3 -m http.server 8080 --bind :: >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	in_ns "$B1_NS" ss -ltn | grep -q ':8080 ' && break
	sleep 0.1
done

setsid ip netns exec "$GW_NS" "$XGATECTL" --pin-root "$PIN" monitor --timeout 12 \
	>"$TMP/monitor" 2>&1 &
PIDS+=($!)
sleep 0.3

try() { # what, then the command
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then
		printf '  %-52s ok\n' "$what"
	else
		printf '  %-52s blocked\n' "$what"
	fi
}

say "traffic"
try "c1 (frontend) -> b1:8080 HTTP, IPv4" in_ns "$C1_NS" curl -s --max-time 2 "http://$B1_IP4:8080/"
try "c1 (frontend) -> b1:8080 HTTP, IPv6" in_ns "$C1_NS" curl -s --max-time 2 "http://[$B1_IP6]:8080/"
try "c1 (frontend) -> b1 ping" in_ns "$C1_NS" ping -c1 -W1 "$B1_IP4"
try "c2 (intruder) -> b1:8080 HTTP (denied)" in_ns "$C2_NS" curl -s --max-time 2 "http://$B1_IP4:8080/"
try "c2 (intruder) -> b1 ping (denied)" in_ns "$C2_NS" ping -c1 -W1 "$B1_IP4"
try "c1 (frontend) -> b1:22 (not allowed: default deny)" in_ns "$C1_NS" timeout 2 bash -c "exec 3<>/dev/tcp/$B1_IP4/22"

sleep 1
say "xgatectl monitor (sampled events from the ring buffer)"
kill -TERM -- "-${PIDS[-1]}" 2>/dev/null || true
wait "${PIDS[-1]}" 2>/dev/null || true
cat "$TMP/monitor"

say "xgatectl counters"
xg counters

say "xgatectl ct list"
xg ct list

if [[ ${KEEP_LAB:-0} == 1 ]]; then
	say "lab left up (KEEP_LAB=1); xgatectl: ip netns exec $GW_NS $XGATECTL --pin-root $PIN ..."
fi
