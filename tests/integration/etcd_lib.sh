# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# etcd_lib.sh: etcd servers for integration tests, sourced after lib.sh
# (or on its own).  Members listen on free loopback ports (never 2379 or
# 2380), keep their data under one temp dir, and are stopped by PID on
# any exit; the dir is removed then too.
#
#   . "$(dirname "$0")/etcd_lib.sh"
#   ETCD_EXTRA_ARGS=(--experimental-watch-progress-notify-interval=1s)
#   etcd_cluster_start 3 m      # members m1 m2 m3, healthy when it returns
#   "${ETCD_EP[m2]}"            # http://127.0.0.1:PORT
#   "$ETCD_ENDPOINTS"           # all of them, comma-separated
#   etcd_member_kill m2         # SIGKILL (or: etcd_member_kill m2 TERM)
#   etcd_member_start m2        # back, same ports and data
#   etcd_wait_healthy m2
#   etcd_member_by_endpoint URL # prints the member's name
#   etcd_cluster_stop           # every member (exit does it anyway)

ETCD_BIN=${ETCD_BIN:-etcd}
ETCD_ROOT=$(mktemp -d /tmp/xgate-etcd.XXXXXX)
ETCD_EXTRA_ARGS=()
ETCD_ENDPOINTS=
declare -A ETCD_PID=()         # member -> PID while it runs
declare -A ETCD_EP=()          # member -> client URL
declare -A ETCD_PEER=()        # member -> peer URL
declare -A ETCD_INITIAL=()     # member -> its --initial-cluster
ETCD_PORTS_TAKEN=" "           # handed out by this process

# etcd_pick_port: sets ETCD_PORT to a loopback TCP port nothing uses and
# that this process has not handed out.  A variable, not output: $(...)
# would run it in a subshell that forgets what it handed out.
etcd_pick_port()
{
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 40000))
		[[ $ETCD_PORTS_TAKEN == *" $p "* ]] && continue
		# Any TCP socket on it, listening or not.
		[[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]] || continue
		ETCD_PORTS_TAKEN+="$p "
		ETCD_PORT=$p
		return 0
	done
	echo "etcd_pick_port: no free port" >&2
	return 1
}

# etcd_member_start NAME: starts a member that etcd_cluster_start set up
# (again after a kill: same ports, same data, so it rejoins).
etcd_member_start()
{
	local name=$1 state=new
	[[ -n ${ETCD_EP[$name]:-} ]] || {
		echo "etcd_member_start: unknown member $name" >&2
		return 1
	}
	[[ -z ${ETCD_PID[$name]:-} ]] || return 0
	[[ ! -d $ETCD_ROOT/$name/member ]] || state=existing
	"$ETCD_BIN" --name "$name" --data-dir "$ETCD_ROOT/$name" \
		--listen-client-urls "${ETCD_EP[$name]}" \
		--advertise-client-urls "${ETCD_EP[$name]}" \
		--listen-peer-urls "${ETCD_PEER[$name]}" \
		--initial-advertise-peer-urls "${ETCD_PEER[$name]}" \
		--initial-cluster "${ETCD_INITIAL[$name]}" \
		--initial-cluster-state "$state" \
		--initial-cluster-token "xgate-test-$$" \
		"${ETCD_EXTRA_ARGS[@]}" \
		>>"$ETCD_ROOT/$name.log" 2>&1 &
	ETCD_PID[$name]=$!
	# Not a job: bash would print "Killed" for it wherever the test's
	# output happens to be.  It is still reaped, so kill -0 sees it go.
	disown "${ETCD_PID[$name]}"
}

etcd_healthy() # NAME
{
	local out
	out=$(curl -s --max-time 1 "${ETCD_EP[$1]}/health" 2>/dev/null) || return 1
	[[ $out == *'"health":"true"'* ]]
}

# etcd_wait_healthy NAME [SECONDS]: until the member answers healthy (it
# has a leader); on timeout the end of its log goes to stderr.
etcd_wait_healthy()
{
	local name=$1 timeout=${2:-20} i
	for ((i = 0; i < timeout * 10; i++)); do
		etcd_healthy "$name" && return 0
		if [[ -n ${ETCD_PID[$name]:-} ]] &&
			! kill -0 "${ETCD_PID[$name]}" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "etcd member $name not healthy; its log ends:" >&2
	tail -n 20 "$ETCD_ROOT/$name.log" >&2
	return 1
}

# etcd_cluster_start N [PREFIX]: N members PREFIX1..PREFIXN (default
# prefix "etcd") in one cluster; returns once every one is healthy.
etcd_cluster_start()
{
	local n=$1 prefix=${2:-etcd} i name initial='' eps=''
	local -a names=()
	for ((i = 1; i <= n; i++)); do
		name=$prefix$i
		names+=("$name")
		etcd_pick_port || return 1
		ETCD_EP[$name]=http://127.0.0.1:$ETCD_PORT
		etcd_pick_port || return 1
		ETCD_PEER[$name]=http://127.0.0.1:$ETCD_PORT
		initial+=${initial:+,}$name=${ETCD_PEER[$name]}
		eps+=${eps:+,}${ETCD_EP[$name]}
	done
	ETCD_ENDPOINTS=$eps
	for name in "${names[@]}"; do
		ETCD_INITIAL[$name]=$initial
		etcd_member_start "$name" || return 1
	done
	for name in "${names[@]}"; do
		etcd_wait_healthy "$name" || return 1
	done
}

# etcd_member_kill NAME [SIGNAL]: default KILL, as a crash; waits for it.
etcd_member_kill()
{
	local name=$1 sig=${2:-KILL} pid=${ETCD_PID[$1]:-} i
	[[ -n $pid ]] || return 0
	kill -s "$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -s KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	unset "ETCD_PID[$name]"
}

etcd_member_by_endpoint() # URL
{
	local name
	for name in "${!ETCD_EP[@]}"; do
		[[ ${ETCD_EP[$name]} == "$1" ]] && { echo "$name"; return 0; }
	done
	return 1
}

# etcd_cluster_stop: every running member, TERM first.  Their data stays
# until exit, so a later cluster's names must differ (a new prefix).
etcd_cluster_stop()
{
	local name
	for name in "${!ETCD_PID[@]}"; do
		etcd_member_kill "$name" TERM
	done
}

etcd_cleanup()
{
	etcd_cluster_stop
	rm -rf "$ETCD_ROOT"
}

# Our cleanup runs first on exit, then whatever EXIT trap was set before
# (lib.sh's, which prints the summary and needs the exit status: it gets
# it back from the subshell).
_etcd_prev_exit=$(trap -p EXIT)
_etcd_prev_exit=${_etcd_prev_exit#trap -- \'}
_etcd_prev_exit=${_etcd_prev_exit%\' EXIT}
if [[ -n $_etcd_prev_exit ]]; then
	trap '_etcd_rc=$?; etcd_cleanup; (exit $_etcd_rc); '"$_etcd_prev_exit" EXIT
else
	trap '_etcd_rc=$?; etcd_cleanup; exit $_etcd_rc' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi
