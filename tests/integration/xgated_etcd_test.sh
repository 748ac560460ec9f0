#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Two gateways, one etcd cluster: a 3-member etcd on loopback and two
# labs, each with its own xgated (running in the host namespace, where
# etcd and the API are; its datapath attached in the lab's gateway
# namespace).  Documents put into etcd are enforced on both; both agree
# on every identity and report what they applied under nodes/; a member
# killed changes nothing; etcd gone entirely leaves enforcement as it
# was with status saying so, and its return resyncs; a watch that must
# resume from a compacted revision catches up from what it knew.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"

need_cmd etcd etcdctl curl ss

XGATED=$XG_ROOT/build/xgated
PFX=/xgate/v1/
ETCD_EXTRA_ARGS=(--experimental-watch-progress-notify-interval=1s)
etcd_cluster_start 3 m
ectl() { etcdctl --endpoints="$ETCD_ENDPOINTS" "$@"; }
# Writes right after a member is killed can land in a leader election
# (the killed one may have led); a put or del is idempotent, so retry.
# The value comes from stdin, so each try reopens the file.
ectl_write() # [--value FILE] ARGS...
{
	local i file=/dev/null
	if [[ $1 == --value ]]; then
		file=$2
		shift 2
	fi
	for ((i = 0; i < 5; i++)); do
		ectl --command-timeout=3s "$@" <"$file" && return 0
		sleep 1
	done
	return 1
}

declare -A SOCK LOG PID BPFFS
# gateway NAME: a lab and an xgated for it
gateway()
{
	local name=$1 eps
	lab_up "xe$name$$"
	eps=$(sed 's/,/", "/g' <<<"$ETCD_ENDPOINTS")
	SOCK[$name]=$T_TMP/$name.sock
	BPFFS[$name]=$LAB_BPFFS
	LOG[$name]=$T_TMP/$name.log
	cat >"$T_TMP/$name.conf" <<EOF
node = "gw-$name";
netns = "$GW_NS";
interfaces = ( { name = "gw0"; }, { name = "gw1"; } );
pin_root = "$LAB_BPFFS/xgate";
state_dir = "$T_TMP/state-$name";
kvstore = { type = "etcd"; endpoints = [ "$eps" ]; prefix = "$PFX"; timeout_ms = 1000; };
api = { socket = "${SOCK[$name]}"; metrics = ""; };
EOF
	declare -g "LAB_$name=xe$name$$"
}
start_xgated() # NAME
{
	setsid env LIBXDP_BPFFS="${BPFFS[$1]}" "$XGATED" --config "$T_TMP/$1.conf" \
		>>"${LOG[$1]}" 2>&1 &
	PID[$1]=$!
	T_PIDS+=("${PID[$1]}")
}
xgc() { local n=$1; shift; "$XGATECTL" --socket "${SOCK[$n]}" "$@"; }
get() { in_ns "$1" curl -s -m 2 "http://$2:8080/"; }
# allowed NAME SRC_IP DST_IP: explain on gateway NAME says allow
allowed() { xgc "$1" explain "$2" "$3" tcp 8080 | grep -q 'verdict  allow'; }

gateway a
gateway b

# HTTP servers on the backends of both labs.
for lab in "$LAB_a" "$LAB_b"; do
	lab_use "$lab"
	for ns in "$B2_NS" "$B3_NS"; do
		spawn "$ns" python3 -m http.server 8080 --bind 0.0.0.0
	done
done

put() { ectl_write --value "$2" put "$PFX$1" >/dev/null; }
put endpoints/lab.yaml "$XG_ROOT/config/examples/endpoints.yaml"
put services/lab.yaml "$XG_ROOT/config/examples/services.yaml"
put policies/front-network.yaml "$XG_ROOT/config/examples/policies/front-network.yaml"

start_xgated a
start_xgated b
for n in a b; do
	wait_for "xgc $n status | grep -q 'revision [0-9]* applied'" 20
	check "gateway $n: etcd healthy and a revision applied" \
		output_has "kvstore +etcd .*: healthy" xgc "$n" status
done
for lab in "$LAB_a" "$LAB_b"; do
	lab_use "$lab"
	wait_for "in_ns $B2_NS ss -ltnH | grep -q :8080" 5
	check "$lab: c1 reaches b2 (policy from etcd)" output_has "Directory listing" get "$C1_NS" "$B2_IP4"
	check_not "$lab: c2 does not" get "$C2_NS" "$B2_IP4"
done
ids_a=$(xgc a -o json identity list | jq -c '[.identities[] | select(.id < 16777216)] | sort_by(.id)')
ids_b=$(xgc b -o json identity list | jq -c '[.identities[] | select(.id < 16777216)] | sort_by(.id)')
check "both gateways have the same identities ($(jq length <<<"$ids_a") of them)" \
	test -n "$ids_a" -a "$ids_a" = "$ids_b" -a "$(jq length <<<"$ids_a")" -gt 3

# A policy written through xgatectl (into etcd), then deleted.
cat >"$T_TMP/allow-c2.yaml" <<'EOF'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: allow-c2}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: intruder}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
EOF
check "xgatectl policy apply writes it into etcd" xgc a policy apply -f "$T_TMP/allow-c2.yaml"
check "it is in etcd" output_has "name: allow-c2" ectl get "${PFX}policies/allow-c2.yaml" --print-value-only
for n in a b; do
	check "gateway $n enforces it" wait_for "allowed $n 198.18.0.12 198.19.0.13" 3
done
lab_use "$LAB_b"
check "lab b: c2 now reaches b3" output_has "Directory listing" get "$C2_NS" "$B3_IP4"
check "the fleet's applied revisions are in nodes/" \
	sh -c "etcdctl --endpoints='$ETCD_ENDPOINTS' get --prefix '${PFX}nodes/' --print-value-only | grep -c '\"revision\"' | grep -qx 2"
check "status shows fleet convergence: both nodes at the revision" \
	wait_for "xgc a status | grep -q 'fleet  *2 of 2 reporting'" 10
ectl_write del "${PFX}policies/allow-c2.yaml" >/dev/null
for n in a b; do
	check "gateway $n: deleted in etcd, removed here" wait_for "! allowed $n 198.18.0.12 198.19.0.13" 3
done

# A burst of 20 changes, a few ms apart: each gateway writes nodes/<node>
# once the burst has settled (and at least once a second), not per change.
node_version() { ectl get "${PFX}nodes/gw-$1" -w json | jq '.kvs[0].version'; }
node_rev() { ectl get "${PFX}nodes/gw-$1" --print-value-only | jq .revision; }
v0=$(node_version a)
last=$(python3 - "${ETCD_ENDPOINTS%%,*}" "${PFX}policies/burst.yaml" <<'PY'
import base64, json, sys, urllib.request
ep, key = sys.argv[1], sys.argv[2]
b64 = lambda s: base64.b64encode(s.encode()).decode()
for i in range(20):
    doc = ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
           "metadata: {name: burst}\nspec:\n"
           "  endpointSelector: {matchLabels: {app: web}}\n  ingress:\n"
           "  - fromEndpoints: [{matchLabels: {app: intruder}}]\n"
           f"    toPorts: [{{ports: [{{port: \"{9000 + i}\", protocol: TCP}}]}}]\n")
    req = urllib.request.Request(ep + "/v3/kv/put", method="POST",
                                 data=json.dumps({"key": b64(key), "value": b64(doc)}).encode())
    rev = json.load(urllib.request.urlopen(req, timeout=3))["header"]["revision"]
print(rev)
PY
)
check "after a burst of 20 changes nodes/gw-a reports the last one ($last)" \
	wait_for "[[ \$(node_rev a) -ge $last ]]" 5
v1=$(node_version a)
check "... written at most 4 times for it ($((v1 - v0)))" test $((v1 - v0)) -le 4
ectl_write del "${PFX}policies/burst.yaml" >/dev/null

# One member killed: both keep syncing through the others.
etcd_member_kill m1
put policies/allow-c2.yaml "$T_TMP/allow-c2.yaml"
for n in a b; do
	check "member m1 down: gateway $n still syncs" wait_for "allowed $n 198.18.0.12 198.19.0.13" 5
done

# All of etcd away: nothing changes in the maps; status says so.
etcd_member_kill m2
etcd_member_kill m3
for n in a b; do
	check "etcd gone: gateway $n says it is not healthy" \
		wait_for "xgc $n status | grep -q 'NOT HEALTHY'" 10
done
lab_use "$LAB_a"
check "etcd gone: enforcement unchanged (c1 reaches b2)" output_has "Directory listing" get "$C1_NS" "$B2_IP4"
check "etcd gone: and c2 still reaches b3 (the last state)" output_has "Directory listing" get "$C2_NS" "$B3_IP4"
# A port no rule allows: a refused connection (exit 7) would mean the
# SYN got through; policy drops it, so curl times out (exit 28).
timed_out() { local rc=0; in_ns "$1" curl -s -m 1 "http://$2:8081/" || rc=$?; test "$rc" -eq 28; }
check "etcd gone: a port no rule allows stays dropped" timed_out "$C2_NS" "$B2_IP4"
for m in m1 m2 m3; do
	etcd_member_start "$m"
done
for m in m1 m2 m3; do
	etcd_wait_healthy "$m"
done
for n in a b; do
	check "etcd back: gateway $n healthy again" wait_for "xgc $n status | grep -q ': healthy'" 15
done
ectl_write del "${PFX}policies/allow-c2.yaml" >/dev/null
for n in a b; do
	check "etcd back: gateway $n follows changes again" \
		wait_for "! allowed $n 198.18.0.12 198.19.0.13" 10
done

# Compaction: gateway b is frozen while etcd restarts (its watch dies
# unseen), documents are put and one deleted, and the history compacted;
# thawed, b must resume from a revision etcd no longer has.  It catches
# up from what it knows: the changes read alone, the deletion found by
# counting (ctrl/kv/gone.h), applied as one.  noise.yaml is
# front-network.yaml under another name: c1 stays allowed, by it.
kill -STOP "${PID[b]}"
for m in m1 m2 m3; do
	etcd_member_kill "$m"
done
for m in m1 m2 m3; do
	etcd_member_start "$m"
done
for m in m1 m2 m3; do
	etcd_wait_healthy "$m"
done
put policies/allow-c2.yaml "$T_TMP/allow-c2.yaml"
sed 's/front-network/noise/' "$XG_ROOT/config/examples/policies/front-network.yaml" >"$T_TMP/noise.yaml"
put policies/noise.yaml "$T_TMP/noise.yaml"
ectl_write del "${PFX}policies/front-network.yaml" >/dev/null
rev=$(ectl get / -w json | jq -r '.header.revision')
ectl compact "$rev" >/dev/null
kill -CONT "${PID[b]}"
check "gateway b resyncs after compaction and enforces the new state" \
	wait_for "allowed b 198.18.0.12 198.19.0.13" 15
check "gateway a agrees" wait_for "allowed a 198.18.0.12 198.19.0.13" 15
check "gateway b caught up from the compacted revision instead of reading all" \
	wait_for "grep -q 'compacted: catching up' '${LOG[b]}'" 10
check "... reading the 2 documents changed and finding the 1 deleted" \
	grep -q 'caught up from revision .*: 2 changed, 1 gone' "${LOG[b]}"
# decided_by NAME POLICY: c1 -> b2:8080 is allowed by POLICY on NAME
decided_by() { local o; o=$(xgc "$1" explain 198.18.0.11 198.19.0.12 tcp 8080) && [[ $o == *"policy default/$2,"* ]]; }
for n in a b; do
	check "gateway $n: c1 now allowed by noise, front-network gone" \
		wait_for "decided_by $n noise" 10
done
status_says() { local o; o=$(xgc "$1" status) && [[ $o == *"$2"* ]]; }
check "gateway b: status says how it last read etcd (the catch-up)" \
	wait_for "status_says b 'last catch-up from revision'" 5
# (a may have caught up too: its watch came back when etcd did, maybe
# after the compaction)
check "gateway a: status says how it last read etcd" status_says a '; last '
lists_no_front_network() { local o; o=$(xgc b policy list) && [[ $o != *front-network* ]]; }
check "gateway b: front-network no longer listed" lists_no_front_network

# SIGHUP still reads every key (a user's way to make sure).
kill -HUP "${PID[b]}"
check "SIGHUP: gateway b reads every key again" \
	wait_for "grep -q 'etcd: full resync requested' '${LOG[b]}'" 10
check "... and still enforces the same" wait_for "allowed b 198.18.0.12 198.19.0.13" 10

for n in a b; do
	kill -TERM "${PID[$n]}" 2>/dev/null || true
done
finish
