#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# identity_etcd_test.sh: ctrl/identity_etcd.c (through the test program
# identity_etcd.c) against a real etcd on loopback.  Processes allocating
# the same 200 label sets at the same moment, in different orders, agree
# on every id and leave no orphan id key; a fresh process reads the same
# ids and allocates none; an id made after a process read etcd is found;
# no etcd is an error at open.  The program is taken from $BUILD (default
# build), as `make BUILD=...` built it.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/etcd_lib.sh"

need_cmd etcd etcdctl curl ss

build_dir=${BUILD:-build}
[[ $build_dir == /* ]] || build_dir=$XG_ROOT/$build_dir
BIN=$build_dir/tests/integration/identity_etcd
if [[ ! -x $BIN ]]; then
	fail "$BIN is not built (make BUILD=${BUILD:-build} all)"
	T_DONE=1
	exit 1
fi

etcd_cluster_start 1 id
EP=${ETCD_EP[id1]}
N=200

# Where a prefix's "i id" lists go: /t1/ -> $T_TMP/t1.ids<process>.
ids_file() # PREFIX PROCESS
{
	local tag=${1//\//}
	echo "$T_TMP/$tag.ids$2"
}

# race PREFIX ORDER...: one allocating process per ORDER, all started at
# the same instant; each one's "i id" list must be the same.
race()
{
	local prefix=$1 start i rc=0 n_procs
	local -a pids=()
	shift
	n_procs=$#
	# Far enough ahead for every process to have connected and read.
	start=$(($(date +%s%3N) + 1500))
	i=0
	for order in "$@"; do
		XG_DEBUG=1 "$BIN" alloc "$EP" "$prefix" "$N" "$order" "$start" \
			>"$(ids_file "$prefix" $i)" 2>"$T_TMP/log$i" &
		pids+=($!)
		i=$((i + 1))
	done
	for i in "${!pids[@]}"; do
		if ! wait "${pids[$i]}"; then
			echo "process $i failed:"
			cat "$T_TMP/log$i"
			rc=1
		fi
	done
	for ((i = 1; i < n_procs; i++)); do
		if ! diff "$(ids_file "$prefix" 0)" "$(ids_file "$prefix" $i)"; then
			echo "process $i disagrees with process 0"
			rc=1
		fi
	done
	[[ $(wc -l <"$(ids_file "$prefix" 0)") -eq $N ]] || rc=1
	# How hard they raced: numbers taken by another process first, and
	# orphans of lost races deleted (neither is an error).
	echo "highest id: $(sort -n -k2 "$(ids_file "$prefix" 0)" | tail -n 1)"
	echo "orphans deleted: $(cat "$T_TMP"/log* | grep -c 'lost the race' || true)"
	return $rc
}

# fresh PREFIX: a process that only reads gives the same list.
fresh()
{
	"$BIN" check "$EP" "$1" "$N" >"$T_TMP/check" &&
		diff "$(ids_file "$1" 0)" "$T_TMP/check"
}

count_keys() # PREFIX
{
	local out
	out=$(etcdctl --endpoints="$EP" get --prefix "$1" --keys-only -w json)
	out=$(grep -o '"count":[0-9]*' <<<"$out" || true)
	echo "${out#*:}"
}

# One id key and one by-labels key per label set: every orphan of a lost
# race was deleted by the process that made it.
no_orphans() # PREFIX
{
	local ids by
	ids=$(count_keys "${1}identities/")
	by=$(count_keys "${1}identities-by-labels/")
	echo "id keys: ${ids:-0}, by-labels keys: ${by:-0}"
	[[ ${ids:-0} -eq $N && ${by:-0} -eq $N ]]
}

check "two processes, the same $N label sets in opposite orders: same ids" \
	race /t1/ fwd rev
check "a fresh process reads the same $N ids and allocates none" fresh /t1/
check "etcd: one id key and one by-labels key per set (no orphan)" \
	no_orphans /t1/

check "four processes, shuffled orders: same ids" race /t4/ 11 22 33 44
check "a fresh process reads the same ids (four-process race)" fresh /t4/
check "etcd: no orphan after the four-process race" no_orphans /t4/
# Batches: new sets numbered many to a transaction, racing processes that
# number them one by one and other batches (a batch that meets a key
# another made writes nothing, and its sets go one by one).
check "batching processes racing one-by-one ones: same ids" \
	race /t5/ many:11 many:22 fwd 44
check "a fresh process reads the same ids (batch race)" fresh /t5/
check "etcd: no orphan after the batch race" no_orphans /t5/
check "a batch alone numbers every set (one process)" race /t6/ many:7
batched() { [[ $(grep -c 'label sets numbered in one transaction' "$T_TMP/log0") -eq 4 ]]; }
check "... in 4 transactions of 50 (not one by one)" batched
check "... the same a fresh process reads" fresh /t6/
check "... no orphan" no_orphans /t6/

check "an id made after a process read etcd: lookup and get find it" \
	"$BIN" fetch "$EP" /t1/

etcd_pick_port
check "no etcd: open fails with the client's error" \
	"$BIN" down "http://127.0.0.1:$ETCD_PORT"

finish
