#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh: runs the integration tests, tests/integration/*_test.sh (or the
# ones named on the command line), each as its own process with its own
# lab, one after another; prints each one's result and a total of their
# assertions as "N passed, N failed".  Exit 1 if anything failed.
#
#   XG_TEST_VERBOSE=1   stream every test's output (default: only a
#                       failing test's output is shown)
#   XG_TEST_TIMEOUT=s   per-test limit, default 300; the test is sent
#                       SIGTERM, so its own trap still tears its lab down
#   XG_ALLOW_SKIP=1     not being root skips instead of failing
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
timeout_s=${XG_TEST_TIMEOUT:-300}

if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP integration tests: they need root (network namespaces, XDP)"
	if [[ ${XG_ALLOW_SKIP:-0} == 1 ]]; then
		echo "0 passed, 0 failed"
		exit 0
	fi
	echo "0 passed, 1 failed"
	exit 1
fi

if (($#)); then
	tests=()
	for t in "$@"; do
		[[ $t == */* ]] || t=$here/$t
		tests+=("$t")
	done
else
	tests=("$here"/*_test.sh)
	[[ -e ${tests[0]} ]] || tests=()
fi

# A test killed outright (SIGKILL: no trap runs) leaves its lab behind.
# The labs tests make are named after their process (lib.sh: xgt<pid>,
# xe<x><pid>, with a letter after); take down those whose process is
# gone, so a shared machine does not collect namespaces run after run.
reap_stale_labs()
{
	local d name pid

	for d in /run/xgate-lab/*/; do
		[[ -d $d ]] || continue
		name=$(basename "$d")
		[[ $name =~ ^(xgt|xe[a-z])([0-9]+)[a-z]?$ ]] || continue
		pid=${BASH_REMATCH[2]}
		kill -0 "$pid" 2>/dev/null && continue
		echo "reaping lab $name: the test process $pid that made it is gone"
		XG_LAB_PREFIX=$name "$here/../../tools/lab.sh" down >/dev/null 2>&1 ||
			echo "reaping lab $name failed" >&2
	done
}
reap_stale_labs

logdir=$(mktemp -d /tmp/xgate-integration.XXXXXX)
# An interrupt stops the running test (by its PID; it cleans up on TERM)
# and then us.
child=
on_signal()
{
	if [[ -n $child ]]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child"
		echo "INTERRUPTED $name:"
		sed 's/^/    /' "$log"
		total_fail=$((total_fail + 1))
	fi
	rm -rf "$logdir"
	echo "$total_pass passed, $total_fail failed"
	exit 130
}
trap on_signal INT TERM

total_pass=0
total_fail=0
name='' log=''
for t in "${tests[@]}"; do
	name=$(basename "$t")
	log=$logdir/$name.log
	start=$(date +%s)
	# In the background and waited for, so that a signal to us is
	# handled at once.  timeout puts the test in a process group of its
	# own (Ctrl-C reaches only us; we pass it on as TERM) and kills it
	# 10 s after TERM if it has not ended by then.
	timeout -k 10 "$timeout_s" bash "$t" >"$log" 2>&1 &
	child=$!
	tailer=
	if [[ ${XG_TEST_VERBOSE:-0} == 1 ]]; then
		tail -n +1 -f --pid="$child" "$log" &
		tailer=$!
	fi
	wait "$child"
	rc=$?
	child=
	[[ -z $tailer ]] || wait "$tailer"
	secs=$(($(date +%s) - start))

	# The closing line every test prints through lib.sh.
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [[ -n $summary ]]; then
		read -r p _ f _ <<<"$summary"
	else
		p=0 f=0
	fi
	# No closing line, or a bad exit with no failed assertion (a crash):
	# one failure, so that it cannot go unnoticed.
	if [[ -z $summary ]] || ((rc != 0 && f == 0)); then
		f=$((f + 1))
		summary="$p passed, $f failed (exit $rc)"
	fi
	((rc != 124)) || summary+=" (timed out after ${timeout_s}s)"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))

	if ((f == 0)); then
		echo "PASS $name: $summary (${secs}s)"
	else
		echo "FAIL $name: $summary (${secs}s)"
		[[ ${XG_TEST_VERBOSE:-0} == 1 ]] || sed 's/^/    /' "$log"
	fi
done
rm -rf "$logdir"

((${#tests[@]})) || echo "no integration tests found in $here"
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
