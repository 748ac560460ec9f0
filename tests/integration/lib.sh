# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib.sh: sourced by every tests/integration/*_test.sh.  It owns one test
# process's lab (tools/lab.sh under a prefix of its own), the background
# processes the test starts, the cleanup that runs on any exit, and the
# assertion count that ends the output as "N passed, N failed".
#
#   . "$(dirname "$0")/lib.sh"
#   lab_up                      # lab "xgt<pid>", its variables in the shell
#   spawn "$B1_NS" nc -l ...    # background; killed at exit
#   check "ping c1->b1" in_ns "$C1_NS" ping -c1 -W1 "$B1_IP4"
#   finish                      # or fall off the end with status 0
#
# Tests run under `set -euo pipefail`: a command that fails outside an
# assertion aborts the test, which counts as one more failure, and the
# lab is still torn down.

set -euo pipefail

XG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$XG_ROOT/tools/lab.sh
T_NAME=$(basename "$0" .sh)
T_PASS=0
T_FAIL=0
T_DONE=0
T_LAB_PREFIXES=() # labs this process brought up, to take down at exit
T_PIDS=()         # background processes this process started
T_TMP=$(mktemp -d "/tmp/xgate-$T_NAME.XXXXXX") # scratch; removed at exit

pass()
{
	T_PASS=$((T_PASS + 1))
	echo "ok   - $*"
}

fail()
{
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL - $*"
}

# check WHAT CMD...: one assertion; CMD's output is shown only on failure.
# CMD runs in this shell (not a subshell), so what it spawns is still
# tracked for cleanup.
check()
{
	local what=$1 rc=0
	shift
	"$@" >"$T_TMP/check.out" 2>&1 || rc=$?
	if ((rc == 0)); then
		pass "$what"
	else
		fail "$what (exit $rc)"
		sed 's/^/       | /' "$T_TMP/check.out"
	fi
	return 0
}

# check_not WHAT CMD...: an assertion that CMD fails.
check_not()
{
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		fail "$what (command succeeded)"
	else
		pass "$what"
	fi
	return 0
}

# output_has REGEX CMD...: CMD succeeds and its output (stdout and stderr)
# matches the extended REGEX.  Use it instead of `cmd | grep -q`, which
# under pipefail fails at random: grep exits at the first match and cmd
# dies of SIGPIPE (and if cmd is tools/lab.sh, dies halfway).
output_has()
{
	local re=$1 out
	shift
	out=$("$@" 2>&1) || return 1
	grep -qE -- "$re" <<<"$out"
}

in_ns() # ns cmd...
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# spawn NS CMD...: run CMD in NS in the background; sets SPAWN_PID.  setsid
# gives it a process group of its own, so that cleanup stops a pipeline or
# shell started this way together with its children, and nothing else.
SPAWN_PID=
spawn()
{
	local ns=$1
	shift
	setsid ip netns exec "$ns" "$@" &
	SPAWN_PID=$!
	T_PIDS+=("$SPAWN_PID")
}

# stop PID: end one process spawn started (and its group), then reap it.
stop()
{
	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# wait_for CMD TIMEOUT: evaluate the string CMD every 0.1 s until it
# succeeds (0) or TIMEOUT seconds pass (1).  A string, so it may hold
# anything: wait_for "output_has :8080 in_ns $B1_NS ss -ltnH" 5
wait_for()
{
	local cmd=$1 timeout=${2:-5} deadline
	# TIMEOUT may be fractional; bash arithmetic is integer, so in ms.
	deadline=$(($(date +%s%3N) + $(awk -v t="$timeout" 'BEGIN { print int(t * 1000) }')))
	while :; do
		if eval "$cmd" >/dev/null 2>&1; then
			return 0
		fi
		(($(date +%s%3N) < deadline)) || return 1
		sleep 0.1
	done
}

# lab_up [PREFIX]: bring up a lab (default prefix xgt<pid>, unique per
# test process) and import its variables (GW_NS, C1_IP4, LAB_BPFFS, ...).
lab_up()
{
	local prefix=${1:-xgt$$} out

	# Registered before `up`, so a lab that fails halfway is removed too.
	T_LAB_PREFIXES+=("$prefix")
	if ! out=$(XG_LAB_PREFIX=$prefix "$LAB" up 2>&1); then
		echo "$out" >&2
		echo "lab_up: tools/lab.sh up failed for $prefix" >&2
		return 1
	fi
	eval "$(XG_LAB_PREFIX=$prefix "$LAB" env)"
}

# xg ARGS...: xgatectl in the lab's gateway namespace, on a pin root in
# the lab's own bpffs (visible there, unlike /sys/fs/bpf).
XGATECTL=$XG_ROOT/build/xgatectl
xg()
{
	in_ns "$GW_NS" env LIBXDP_BPFFS="$LAB_BPFFS" "$XGATECTL" \
		--pin-root "$LAB_BPFFS/xgate" "$@"
}

# lab_use PREFIX: import the variables of a lab already up (lab_up of a
# second lab overwrites the first one's; this switches back).
lab_use()
{
	eval "$(XG_LAB_PREFIX=$1 "$LAB" env)"
}

# lab_down [PREFIX]: take a lab down now (cleanup does it anyway).
lab_down()
{
	local prefix=${1:-${LAB_PREFIX:-xgt$$}}
	XG_LAB_PREFIX=$prefix "$LAB" down >/dev/null
}

need_cmd() # cmd... : abort the test early when a tool is missing
{
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			fail "required command '$c' not found (tools/deps.sh installs it)"
			T_DONE=1
			exit 1
		fi
	done
}

# Runs on every exit: stop what we spawned (a process left in a namespace
# keeps it alive after `ip netns del`), take our labs down, then print the
# closing line.  A non-zero exit that did not come through finish (or an
# early stop that already counted its failure) is an abort: one failure.
t_cleanup()
{
	local rc=$? pid prefix

	trap - EXIT INT TERM ERR
	set +e
	if ((rc != 0 && T_DONE == 0)); then
		fail "$T_NAME aborted (exit $rc${T_LAST_ERR:+, $T_LAST_ERR})"
	fi
	for pid in "${T_PIDS[@]}"; do
		stop "$pid"
	done
	for prefix in "${T_LAB_PREFIXES[@]}"; do
		XG_LAB_PREFIX=$prefix "$LAB" down >/dev/null 2>&1 ||
			fail "cleanup: lab $prefix down failed"
	done
	rm -rf "$T_TMP"
	echo "$T_PASS passed, $T_FAIL failed"
	((T_FAIL == 0)) && exit 0
	exit 1
}

finish()
{
	T_DONE=1
	exit 0
}

# Where a top-level command failed under set -e (no errtrace: inside
# functions and assertions failures are expected and not recorded).
T_LAST_ERR=
trap 'T_LAST_ERR="line $LINENO: $BASH_COMMAND"' ERR
trap t_cleanup EXIT
# INT/TERM go through exit so that the EXIT trap does the cleanup once.
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ $(id -u) -ne 0 ]]; then
	fail "$T_NAME needs root (network namespaces)"
	T_DONE=1
	exit 1
fi
