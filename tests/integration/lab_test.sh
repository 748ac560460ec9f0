#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# lab_test.sh: the lab itself (tools/lab.sh), before any xgate part runs in
# it.  The gateway only forwards with the kernel here; every other
# integration test builds on these addresses, routes and switches working.
. "$(dirname "$0")/lib.sh"

need_cmd ip ethtool ping nc ss xdp-loader

# tcp_connect CLIENT_NS SERVER_NS ADDR EXPECT_SRC: a TCP connection from the
# client to ADDR:9000 in the server namespace carries a line, and the
# server sees the client's own address (the gateway routes, it does not
# translate).
tcp_connect()
{
	local cns=$1 sns=$2 addr=$3 src=$4 log pid token rc=0

	log=$T_TMP/nc-$sns-$RANDOM.log
	token="hello-$RANDOM"
	spawn "$sns" nc -n -v -l "$addr" 9000 >"$log" 2>&1
	pid=$SPAWN_PID
	if ! wait_for "output_has :9000 in_ns $sns ss -ltnH" 5; then
		echo "server on $addr:9000 did not start"
		rc=1
	elif ! echo "$token" | in_ns "$cns" nc -N -w 3 "$addr" 9000; then
		echo "client could not connect to $addr:9000"
		rc=1
	elif ! wait_for "grep -q '$token' '$log'" 3; then
		echo "server did not receive the line"
		rc=1
	elif ! grep -q "received on $src " "$log"; then
		echo "server saw another source than $src"
		rc=1
	fi
	stop "$pid"
	((rc == 0)) || sed 's/^/server: /' "$log"
	return "$rc"
}

# The lab's namespaces that exist now.
lab_namespaces() # prefix
{
	ip netns list | awk -v p="$1-" 'index($1, p) == 1 { print $1 }'
}

lab_up
P1=$LAB_PREFIX

# gw, two switches, two clients, three backends.
check "up creates 8 namespaces" \
	test "$(lab_namespaces "$P1" | wc -l)" -eq 8
check "bpffs mounted at $LAB_BPFFS" \
	test "$(stat -f -c %T "$LAB_BPFFS")" = bpf_fs

# Both directions of the front/back pair, both families.
check "ping c1 -> b1 IPv4" in_ns "$C1_NS" ping -c 2 -i 0.2 -W 2 "$B1_IP4"
check "ping c1 -> b1 IPv6" in_ns "$C1_NS" ping -6 -c 2 -i 0.2 -W 2 "$B1_IP6"
check "ping c2 -> b3 IPv4" in_ns "$C2_NS" ping -c 2 -i 0.2 -W 2 "$B3_IP4"
check "ping c2 -> b3 IPv6" in_ns "$C2_NS" ping -6 -c 2 -i 0.2 -W 2 "$B3_IP6"
check "tcp c1 -> b1 IPv4" tcp_connect "$C1_NS" "$B1_NS" "$B1_IP4" "$C1_IP4"
check "tcp c1 -> b1 IPv6" tcp_connect "$C1_NS" "$B1_NS" "$B1_IP6" "$C1_IP6"
check "tcp c2 -> b3 IPv4" tcp_connect "$C2_NS" "$B3_NS" "$B3_IP4" "$C2_IP4"
check "tcp c2 -> b3 IPv6" tcp_connect "$C2_NS" "$B3_NS" "$B3_IP6" "$C2_IP6"

# The MACs tests craft frames with are the ones on the wire.
check "c1 has its documented MAC" \
	test "$(in_ns "$C1_NS" cat "/sys/class/net/$C1_IF/address")" = "$C1_MAC"
# XDP_REDIRECT into a veth needs NAPI on its peer: GRO on the switch ports.
check "GRO on the switch port facing gw1" \
	output_has '^generic-receive-offload: on' \
	in_ns "$SW1_NS" ethtool -k "$SW1_GW_PORT"

# The gateway can run XDP: an XDP_PASS program attaches (libxdp pins into
# the lab's bpffs, since /sys/fs/bpf is not one inside `ip netns exec`),
# traffic still flows, and it detaches again.
# xdp-tools ships an XDP_PASS program ("xdp_pass") inside its dispatcher.
PASS_OBJ=
for f in /usr/lib/*/bpf/xdp-dispatcher.o /usr/lib/bpf/xdp-dispatcher.o \
	/usr/local/lib/bpf/xdp-dispatcher.o; do
	[[ -f $f ]] && { PASS_OBJ=$f; break; }
done
xdpl() { in_ns "$GW_NS" env LIBXDP_BPFFS="$LAB_BPFFS" xdp-loader "$@"; }
if [[ -n $PASS_OBJ ]]; then
	check "xdp-loader attaches XDP_PASS to $GW0 and $GW1" \
		eval "xdpl load -m native -n xdp_pass $GW0 $PASS_OBJ &&
		      xdpl load -m native -n xdp_pass $GW1 $PASS_OBJ"
	check "xdp-loader status shows it" \
		output_has "^$GW0 .*xdp_pass +native" xdpl status
	check "ping c1 -> b2 with XDP_PASS on the gateway" \
		in_ns "$C1_NS" ping -c 1 -W 2 "$B2_IP4"
	check "tcp c1 -> b2 IPv6 with XDP_PASS on the gateway" \
		tcp_connect "$C1_NS" "$B2_NS" "$B2_IP6" "$C1_IP6"
	check "xdp-loader detaches" \
		eval "xdpl unload -a $GW0 && xdpl unload -a $GW1"
	check_not "no XDP program left on the gateway" \
		output_has prog/xdp ip -n "$GW_NS" link show
else
	fail "xdp-dispatcher.o (xdp-tools) not found for the XDP_PASS check"
fi

# up again on a complete lab is a quiet no-op.
check "up twice succeeds" \
	output_has 'already up' env XG_LAB_PREFIX="$P1" "$LAB" up
check "ping c1 -> b1 after second up" in_ns "$C1_NS" ping -c 1 -W 2 "$B1_IP4"

# up on a half-made lab rebuilds it.
ip netns del "$B2_NS"
check "up rebuilds a half-made lab" \
	output_has rebuilding env XG_LAB_PREFIX="$P1" "$LAB" up
check "ping c1 -> b2 after rebuild" in_ns "$C1_NS" ping -c 1 -W 2 "$B2_IP4"

# A second lab lives beside the first without disturbing it.
lab_up "${P1}b"
P2=$LAB_PREFIX
check "second lab: ping c2 -> b1 IPv6" in_ns "$C2_NS" ping -6 -c 1 -W 2 "$B1_IP6"
lab_use "$P1"
check "first lab still works" in_ns "$C1_NS" ping -c 1 -W 2 "$B3_IP4"
lab_down "$P2"
check "second lab gone" test -z "$(lab_namespaces "$P2")"
check "first lab untouched by second's down" \
	in_ns "$C2_NS" ping -6 -c 1 -W 2 "$B1_IP6"

# down leaves nothing, and is fine when nothing is there.
lab_down "$P1"
check "down removes every namespace" test -z "$(lab_namespaces "$P1")"
check_not "down unmounts the bpffs" mountpoint -q "$LAB_BPFFS"
check "down twice succeeds" lab_down "$P1"

finish
