#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# etcd_client_test.sh: ctrl/kv's etcd client (through the test program
# etcd_client.c) against real etcd 3.4 on loopback.  One member for
# put/get/delete, paging, create, leases, watch order and progress, a
# watch across a SIGKILL and restart, a compacted start revision, and
# failover past a dead endpoint; then a 3-member cluster losing the
# member the client is on.  The program is taken from $BUILD (default
# build), as `make BUILD=...` built it.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"

need_cmd etcd etcdctl curl ss

build_dir=${BUILD:-build}
[[ $build_dir == /* ]] || build_dir=$XG_ROOT/$build_dir
BIN=$build_dir/tests/integration/etcd_client
if [[ ! -x $BIN ]]; then
	fail "$BIN is not built (make BUILD=${BUILD:-build} all)"
	T_DONE=1
	exit 1
fi

# A quiet watch hears from the server every second.
ETCD_EXTRA_ARGS=(--experimental-watch-progress-notify-interval=1s)
etcd_cluster_start 1 single
EP=${ETCD_EP[single1]}

check "put, get, delete" "$BIN" kv "$EP"
check "range over a prefix, more keys than a page" "$BIN" range "$EP"
check "create twice: the second sees the first value" "$BIN" create "$EP"
check "lease: key expires without keepalive, stays with it" \
	"$BIN" lease "$EP"
check "watch: puts and deletes in order, progress, prompt stop" \
	"$BIN" watch "$EP"

# The program says KILL when its watch has seen 10 events, and waits
# for GO: by then etcd has been killed and is back on the same port.
watch_restart()
{
	local line rc=0
	coproc WR { "$BIN" watch-restart "$EP"; }
	if read -r -t 30 line <&"${WR[0]}" && [[ $line == KILL ]]; then
		etcd_member_kill single1 &&
			etcd_member_start single1 &&
			etcd_wait_healthy single1 &&
			echo GO >&"${WR[1]}" || rc=1
	else
		echo "program said '${line:-}' instead of KILL" >&2
		rc=1
	fi
	if ((rc)); then
		kill "$WR_PID" 2>/dev/null
	fi
	wait "$WR_PID" || rc=1
	return $rc
}
check "watch survives SIGKILL and restart: nothing lost or repeated" \
	watch_restart

compacted()
{
	local i rev
	for i in 1 2 3; do
		etcdctl --endpoints="$EP" put "/cmp/k$i" "v$i" >/dev/null ||
			return 1
	done
	rev=$(etcdctl --endpoints="$EP" get /cmp/k3 -w json |
		grep -o '"revision":[0-9]*' | head -n 1 | cut -d: -f2)
	[[ -n $rev ]] || return 1
	etcdctl --endpoints="$EP" compact "$rev" || return 1
	"$BIN" compacted "$EP" /cmp/
}
check "watch from a compacted revision: XG_ETCD_COMPACTED, then resync" \
	compacted

etcd_pick_port
check "failover: first endpoint a dead port" \
	"$BIN" failover "http://127.0.0.1:$ETCD_PORT" "$EP"

etcd_cluster_stop

# etcd_lib's cluster, tried once: the program names the member its watch
# (and its unary calls) are on; that one is killed under it.
cluster()
{
	local line name rc=0
	etcd_cluster_start 3 c || return 1
	coproc CL { "$BIN" cluster "${ETCD_EP[c1]}" "${ETCD_EP[c2]}" \
		"${ETCD_EP[c3]}"; }
	if read -r -t 30 line <&"${CL[0]}" && [[ $line == "KILL "* ]] &&
		name=$(etcd_member_by_endpoint "${line#KILL }"); then
		echo "killing $name (${line#KILL })" >&2
		etcd_member_kill "$name" && echo GO >&"${CL[1]}" || rc=1
	else
		echo "program said '${line:-}' instead of KILL <endpoint>" >&2
		rc=1
	fi
	if ((rc)); then
		kill "$CL_PID" 2>/dev/null
	fi
	wait "$CL_PID" || rc=1
	return $rc
}
check "3-member cluster: client keeps working when its member dies" cluster

finish
