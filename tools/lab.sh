#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lab.sh owns the test lab: the network namespaces, veth pairs, bridges,
# addresses, routes and the private bpffs that integration tests and
# benchmarks run xgate in.  Nothing outside the namespaces named below
# (and the bpffs under /run/xgate-lab/<prefix>) is created or touched.
#
#   c1, c2 --- sw0 (bridge) --- gw0 [gw] gw1 --- sw1 (bridge) --- b1, b2, b3
#      front 198.18.0.0/24, 2001:2::/64     back 198.19.0.0/24, 2001:2:0:1::/64
#
#   veth pairs (namespace:interface):  gw:gw0 ~ sw0:p-gw0   gw:gw1 ~ sw1:p-gw1
#                                      cN:eth0 ~ sw0:p-cN   bN:eth0 ~ sw1:p-bN
#   each switch's ports are enslaved to its bridge br0.
#
# Every namespace is "<prefix>-<role>"; the prefix comes from XG_LAB_PREFIX
# (default "xg") so that several labs can exist at once.  Addresses are the
# same in every lab: they never leave their namespaces.
#
# Usage: lab.sh up|down|status|env
#   up      build the lab; if it is already complete, check it and return;
#           if it is half made, tear it down and build it again.
#   down    remove every namespace (and the bpffs) this lab made.
#   status  print the namespaces and their addresses.
#   env     print shell assignments (GW_NS=..., C1_IP4=...) for `eval`.
set -euo pipefail

PREFIX=${XG_LAB_PREFIX:-xg}
# Queues of the gateway's legs (XG_LAB_QUEUES, 1..8): with more than one,
# flows spread over them by hash, as on a multi-queue NIC, and the L7
# fast path runs a worker per queue.
GW_QUEUES=${XG_LAB_QUEUES:-1}
if [[ ! $GW_QUEUES =~ ^[1-8]$ ]]; then
	echo "lab: bad XG_LAB_QUEUES '$GW_QUEUES' (1 to 8)" >&2
	exit 2
fi
if [[ ! $PREFIX =~ ^[A-Za-z0-9_]([A-Za-z0-9_-]{0,30})$ ]]; then
	echo "lab: bad XG_LAB_PREFIX '$PREFIX' (letters, digits, _ and -, at most 31)" >&2
	exit 2
fi

STATE_DIR=/run/xgate-lab/$PREFIX
# `ip netns exec` remounts /sys, so /sys/fs/bpf from outside is not visible
# inside a namespace; a bpffs mounted elsewhere (here under /run) is.
LAB_BPFFS=${LAB_BPFFS:-$STATE_DIR/bpffs}
# Records which path `up` mounted, so `down` never unmounts a bpffs it did
# not mount (LAB_BPFFS=/sys/fs/bpf must not take the host's away).
BPFFS_MARK=$STATE_DIR/bpffs.mounted

GW_NS=$PREFIX-gw
SW0_NS=$PREFIX-sw0
SW1_NS=$PREFIX-sw1

GW0=gw0
GW1=gw1
GW0_IP4=198.18.0.1
GW0_IP6=2001:2::1
GW1_IP4=198.19.0.1
GW1_IP6=2001:2:0:1::1
FRONT_NET4=198.18.0.0/24
FRONT_NET6=2001:2::/64
BACK_NET4=198.19.0.0/24
BACK_NET6=2001:2:0:1::/64
HOST_IF=eth0

# name  ipv4  ipv6; clients sit on the front switch, backends on the back.
CLIENTS=(
	"c1 198.18.0.11 2001:2::11"
	"c2 198.18.0.12 2001:2::12"
)
BACKENDS=(
	"b1 198.19.0.11 2001:2:0:1::11"
	"b2 198.19.0.12 2001:2:0:1::12"
	"b3 198.19.0.13 2001:2:0:1::13"
)

# Deterministic MACs let tests craft frames without asking the lab:
# 02:<kind>:<the four IPv4 octets>.  kind 00 is a host (or gateway) leg,
# 01 the switch port facing it, 02 the bridge itself.
mac_for() # kind ipv4
{
	local IFS=.
	# shellcheck disable=SC2086
	set -- "$1" $2
	printf '02:%s:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4" "$5"
}

all_ns()
{
	local h
	for h in "${CLIENTS[@]}" "${BACKENDS[@]}"; do
		echo "$PREFIX-${h%% *}"
	done
	echo "$GW_NS" "$SW0_NS" "$SW1_NS"
}

ns_exists()
{
	[[ -e /run/netns/$1 ]]
}

nsx() # ns cmd...
{
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# A namespace with lo up and IPv6 duplicate address detection off: with DAD
# on, a new address stays "tentative" for about a second and cannot be used
# as a source, which makes the first ping of a test fail at random.
# accept_dad has to be off before the interfaces arrive, since each new
# interface copies the "default" settings.
make_ns()
{
	ip netns add "$1"
	ip -n "$1" link set lo up
	nsx "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# veth pair created directly in its two namespaces, so that two labs never
# race for the same interface name in the root namespace.
veth() # ns_a if_a mac_a ns_b if_b mac_b [queues]
{
	local q=${7:-1}

	ip -n "$1" link add "$2" address "$3" numtxqueues "$q" numrxqueues "$q" \
		type veth peer name "$5" netns "$4" address "$6" \
		numtxqueues "$q" numrxqueues "$q"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

# A switch is a silent L2 box: IPv6 off in its namespace (no link-local
# addresses, router or MLD solicitations of its own to confuse a test that
# counts frames; the bridge forwards IPv6 all the same), and multicast
# snooping off so that neighbour solicitations are flooded whether or not
# the bridge has seen an MLD report (it has no querier to refresh them).
make_switch() # ns net4
{
	local br_mac
	br_mac=$(mac_for 02 "${2%/*}")
	make_ns "$1"
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$1" link add br0 address "$br_mac" type bridge \
		stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$1" link set br0 up
}

attach_host() # name ipv4 ipv6 switch_ns gw_ip4 gw_ip6
{
	local ns=$PREFIX-$1

	make_ns "$ns"
	veth "$ns" "$HOST_IF" "$(mac_for 00 "$2")" \
		"$4" "p-$1" "$(mac_for 01 "$2")"
	ip -n "$4" link set "p-$1" master br0
	ip -n "$ns" addr add "$2/24" dev "$HOST_IF"
	ip -n "$ns" addr add "$3/64" dev "$HOST_IF" nodad
	ip -n "$ns" route add default via "$5"
	ip -n "$ns" -6 route add default via "$6"
	# Checksum offload off on the hosts.  With it on, veth hands the
	# host's TCP/UDP segments on with CHECKSUM_PARTIAL: the checksum is
	# never computed, only promised in skb metadata.  Kernel forwarding
	# keeps that promise, but an XDP_REDIRECT (or AF_XDP) at the gateway
	# turns the skb into a bare frame and the promise is lost, so the
	# backend sees a wrong checksum and drops the segment (TcpInCsumErrors
	# counts up; ping still works since ICMP checksums are done in
	# software).  Found on 6.18 with a bpf_fib_lookup + bpf_redirect
	# forwarder on gw0/gw1: even the SYN was dropped until "tx off".
	# The gateway legs keep it on: what the gateway sends itself never
	# meets an XDP program on its way.
	nsx "$ns" ethtool -K "$HOST_IF" tx off >/dev/null
}

build()
{
	local h name ip4 ip6

	make_ns "$GW_NS"
	make_switch "$SW0_NS" "$FRONT_NET4"
	make_switch "$SW1_NS" "$BACK_NET4"

	nsx "$GW_NS" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1

	veth "$GW_NS" "$GW0" "$(mac_for 00 $GW0_IP4)" \
		"$SW0_NS" p-gw0 "$(mac_for 01 $GW0_IP4)" "$GW_QUEUES"
	veth "$GW_NS" "$GW1" "$(mac_for 00 $GW1_IP4)" \
		"$SW1_NS" p-gw1 "$(mac_for 01 $GW1_IP4)" "$GW_QUEUES"
	ip -n "$SW0_NS" link set p-gw0 master br0
	ip -n "$SW1_NS" link set p-gw1 master br0
	ip -n "$GW_NS" addr add $GW0_IP4/24 dev $GW0
	ip -n "$GW_NS" addr add $GW0_IP6/64 dev $GW0 nodad
	ip -n "$GW_NS" addr add $GW1_IP4/24 dev $GW1
	ip -n "$GW_NS" addr add $GW1_IP6/64 dev $GW1 nodad

	# A frame the gateway XDP_REDIRECTs out of gw0/gw1 goes through
	# ndo_xdp_xmit, which veth only accepts when the *peer* has NAPI
	# running: the peer needs an XDP program or GRO.  Without this the
	# redirect "succeeds" and the frame is silently dropped (counted only in
	# the ingress device's rx_queue_0_drops in `ethtool -S`, nowhere on
	# the egress side).
	nsx "$SW0_NS" ethtool -K p-gw0 gro on >/dev/null
	nsx "$SW1_NS" ethtool -K p-gw1 gro on >/dev/null

	for h in "${CLIENTS[@]}"; do
		read -r name ip4 ip6 <<<"$h"
		attach_host "$name" "$ip4" "$ip6" "$SW0_NS" $GW0_IP4 $GW0_IP6
	done
	for h in "${BACKENDS[@]}"; do
		read -r name ip4 ip6 <<<"$h"
		attach_host "$name" "$ip4" "$ip6" "$SW1_NS" $GW1_IP4 $GW1_IP6
	done
}

# These capture output before matching: `cmd | grep -q` under pipefail
# fails at random when grep exits first and cmd dies of SIGPIPE.
has_addr() # ns dev addr/len
{
	local out
	out=$(ip -n "$1" -o addr show dev "$2" 2>/dev/null) || return 1
	[[ $out == *" $3 "* ]]
}

is_up() # ns dev
{
	local out
	out=$(ip -n "$1" -o link show dev "$2" 2>/dev/null) || return 1
	[[ $out == *"state UP"* ]]
}

enslaved() # ns port
{
	local out
	out=$(ip -n "$1" -o link show dev "$2" 2>/dev/null) || return 1
	[[ $out == *"master br0"* ]]
}

has_default() # ns -4|-6
{
	local out
	out=$(ip -n "$1" "$2" route show default 2>/dev/null) || return 1
	[[ -n $out ]]
}

sysctl_is() # ns key value
{
	[[ $(nsx "$1" sysctl -n "$2" 2>/dev/null) == "$3" ]]
}

offload_is() # ns dev feature on|off
{
	local out
	out=$(nsx "$1" ethtool -k "$2" 2>/dev/null) || return 1
	[[ $'\n'$out$'\n' == *$'\n'"$3: $4"[$' \n']* ]]
}

# need WHAT CMD...: run a check; on failure remember what was missing so
# that `up` and `status` can say why a lab is not complete.
MISSING=
need()
{
	local what=$1
	shift
	"$@" || { MISSING=$what; return 1; }
}

# Complete means: every namespace, every link up and enslaved, every
# address, default route and offload setting in place.  Anything less is
# "half made".
complete()
{
	local ns h name ip4 ip6 sw leg

	for ns in $(all_ns); do
		need "namespace $ns" ns_exists "$ns" || return 1
	done
	for leg in "$GW0 $GW0_IP4 $GW0_IP6 p-gw0 $SW0_NS" \
		   "$GW1 $GW1_IP4 $GW1_IP6 p-gw1 $SW1_NS"; do
		read -r name ip4 ip6 h sw <<<"$leg"
		need "$GW_NS $name up" is_up "$GW_NS" "$name" || return 1
		need "$GW_NS $name $ip4" has_addr "$GW_NS" "$name" "$ip4/24" || return 1
		need "$GW_NS $name $ip6" has_addr "$GW_NS" "$name" "$ip6/64" || return 1
		need "$sw $h in br0" enslaved "$sw" "$h" || return 1
		need "$sw $h gro on" offload_is "$sw" "$h" generic-receive-offload on || return 1
	done
	need "$GW_NS ip_forward" sysctl_is "$GW_NS" net.ipv4.ip_forward 1 || return 1
	need "$GW_NS ipv6 forwarding" \
		sysctl_is "$GW_NS" net.ipv6.conf.all.forwarding 1 || return 1
	for h in "${CLIENTS[@]/#/$SW0_NS }" "${BACKENDS[@]/#/$SW1_NS }"; do
		read -r sw name ip4 ip6 <<<"$h"
		ns=$PREFIX-$name
		need "$ns $HOST_IF up" is_up "$ns" $HOST_IF || return 1
		need "$ns $ip4" has_addr "$ns" $HOST_IF "$ip4/24" || return 1
		need "$ns $ip6" has_addr "$ns" $HOST_IF "$ip6/64" || return 1
		need "$ns ipv4 default route" has_default "$ns" -4 || return 1
		need "$ns ipv6 default route" has_default "$ns" -6 || return 1
		need "$ns tx checksum off" \
			offload_is "$ns" $HOST_IF tx-checksumming off || return 1
		need "$sw p-$name in br0" enslaved "$sw" "p-$name" || return 1
	done
	return 0
}

any_ns_exists()
{
	local ns
	for ns in $(all_ns); do
		ns_exists "$ns" && return 0
	done
	return 1
}

is_bpffs() # path
{
	mountpoint -q "$1" && [[ $(stat -f -c %T "$1") == bpf_fs ]]
}

mount_bpffs()
{
	mkdir -p "$STATE_DIR" "$LAB_BPFFS"
	if ! is_bpffs "$LAB_BPFFS"; then
		mount -t bpf bpf "$LAB_BPFFS"
		echo "$LAB_BPFFS" >"$BPFFS_MARK"
	fi
}

umount_bpffs()
{
	local path

	[[ -f $BPFFS_MARK ]] || return 0
	path=$(<"$BPFFS_MARK")
	if is_bpffs "$path"; then
		# Lazy as a fallback: a shell left cd'ed into it must not
		# make `down` fail halfway.
		umount "$path" 2>/dev/null || umount -l "$path"
	fi
	rm -f "$BPFFS_MARK"
	rmdir "$path" 2>/dev/null || true
}

cmd_down()
{
	local ns pids

	for ns in $(all_ns); do
		ns_exists "$ns" || continue
		# Processes still inside keep the namespace (and its veths)
		# alive after `ip netns del`; they are not ours to kill.
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		if [[ -n $pids ]]; then
			echo "lab: warning: $ns still has processes: $pids" >&2
		fi
		ip netns del "$ns"
	done
	umount_bpffs
	# /run/xgate-lab itself stays: removing it could race with another
	# lab's `up` creating its own directory there.
	rmdir "$STATE_DIR" 2>/dev/null || true
	echo "lab $PREFIX down"
}

summary()
{
	local h name ip4 ip6

	echo "lab $PREFIX up; bpffs $LAB_BPFFS"
	printf '  %-14s %-7s %-15s %-16s %s\n' namespace if ipv4 ipv6 mac
	printf '  %-14s %-7s %-15s %-16s %s\n' \
		"$GW_NS" $GW0 $GW0_IP4 $GW0_IP6 "$(mac_for 00 $GW0_IP4)" \
		"$GW_NS" $GW1 $GW1_IP4 $GW1_IP6 "$(mac_for 00 $GW1_IP4)"
	for h in "${CLIENTS[@]}" "${BACKENDS[@]}"; do
		read -r name ip4 ip6 <<<"$h"
		printf '  %-14s %-7s %-15s %-16s %s\n' "$PREFIX-$name" \
			$HOST_IF "$ip4" "$ip6" "$(mac_for 00 "$ip4")"
	done
	echo "  switches: $SW0_NS (front), $SW1_NS (back)"
}

cmd_up()
{
	if complete; then
		mount_bpffs
		echo "lab $PREFIX already up"
		return 0
	fi
	if any_ns_exists; then
		echo "lab $PREFIX is half made ($MISSING missing); rebuilding" >&2
		cmd_down
	fi
	# A failed build must not leave a half-made lab behind; set -e exits
	# from deep inside build(), so the teardown hangs on EXIT.
	trap 'echo "lab: up failed; tearing down" >&2; cmd_down' EXIT
	build
	mount_bpffs
	complete || { echo "lab: built but incomplete: $MISSING" >&2; exit 1; }
	trap - EXIT
	summary
}

cmd_status()
{
	local ns any=0

	for ns in $(all_ns); do
		if ns_exists "$ns"; then
			any=1
			echo "$ns:"
			ip -n "$ns" -br addr show | awk '$1 != "lo" { print "  " $0 }'
		else
			echo "$ns: (missing)"
		fi
	done
	if is_bpffs "$LAB_BPFFS"; then
		echo "bpffs: $LAB_BPFFS"
	else
		echo "bpffs: $LAB_BPFFS (not mounted)"
	fi
	if ((any == 0)); then
		echo "lab $PREFIX is down"
	elif complete; then
		echo "lab $PREFIX is up"
	else
		echo "lab $PREFIX is half made: $MISSING missing"
	fi
}

cmd_env()
{
	local h name ip4 ip6 up list

	kv() { printf '%s=%q\n' "$1" "$2"; }

	kv LAB_PREFIX "$PREFIX"
	kv LAB_BPFFS "$LAB_BPFFS"
	kv GW_NS "$GW_NS"
	kv SW0_NS "$SW0_NS"
	kv SW1_NS "$SW1_NS"
	kv GW0 $GW0
	kv GW1 $GW1
	kv GW0_IP4 $GW0_IP4
	kv GW0_IP6 $GW0_IP6
	kv GW0_MAC "$(mac_for 00 $GW0_IP4)"
	kv GW1_IP4 $GW1_IP4
	kv GW1_IP6 $GW1_IP6
	kv GW1_MAC "$(mac_for 00 $GW1_IP4)"
	kv SW0_GW_PORT p-gw0
	kv SW1_GW_PORT p-gw1
	kv FRONT_NET4 $FRONT_NET4
	kv FRONT_NET6 $FRONT_NET6
	kv BACK_NET4 $BACK_NET4
	kv BACK_NET6 $BACK_NET6
	kv HOST_IF $HOST_IF
	for h in "${CLIENTS[@]}" "${BACKENDS[@]}"; do
		read -r name ip4 ip6 <<<"$h"
		up=${name^^}
		kv "${up}_NS" "$PREFIX-$name"
		kv "${up}_IF" $HOST_IF
		kv "${up}_IP4" "$ip4"
		kv "${up}_IP6" "$ip6"
		kv "${up}_MAC" "$(mac_for 00 "$ip4")"
	done
	list=()
	for h in "${CLIENTS[@]}"; do list+=("${h%% *}"); done
	kv LAB_CLIENTS "${list[*]}"
	list=()
	for h in "${BACKENDS[@]}"; do list+=("${h%% *}"); done
	kv LAB_BACKENDS "${list[*]}"
}

need_root()
{
	if [[ $(id -u) -ne 0 ]]; then
		echo "lab: $1 needs root" >&2
		exit 1
	fi
}

case ${1:-} in
up) need_root up; cmd_up ;;
down) need_root down; cmd_down ;;
status) need_root status; cmd_status ;;
env) cmd_env ;;
*)
	echo "usage: $0 up|down|status|env  (XG_LAB_PREFIX=${PREFIX}, LAB_BPFFS=${LAB_BPFFS})" >&2
	exit 2
	;;
esac
