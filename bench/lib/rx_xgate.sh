# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# xgate as a receiver on the live drop rig (bench/lib/rig.sh): the
# datapath attached natively to the DUT's veth, doing identity policy.
# The floods' sources (198.18.1.0/24) are one identity, the flood's
# destination another; the destination's ingress policy holds N entries:
# one deny for the flood's sources and N-1 allows from other identities
# on other ports.  So every packet of the many-flow flood is a policy
# decision on a new flow (until its verdict is cached), in a policy map
# of N entries.  Source with `. bench/lib/rx_xgate.sh` after rig.sh.

RX_XGATE_CTL=${RX_XGATE_CTL:-$RIG_ROOT/build/xgatectl}
RX_XGATE_SRC_ID=5000
RX_XGATE_DST_ID=6000

rx_xgate_ctl() {
	rig_dut env LIBXDP_BPFFS="$RIG_BPFFS" "$RX_XGATE_CTL" \
		--pin-root "$RIG_BPFFS/xgate" "$@"
}

rx_setup_xgate() {
	local n=$1 rules i

	((n >= 1)) || n=1
	RIG_RX_N=$n
	rx_xgate_ctl attach --fwd pass "$RIG_DUT_DEV" >/dev/null || return 1
	rx_xgate_ctl ipcache set "$(rig_match_prefix)" "$RX_XGATE_SRC_ID" || return 1
	rx_xgate_ctl ipcache set "$RIG_DST" "$RX_XGATE_DST_ID" || return 1
	rules=$(mktemp)
	{
		echo "ingress deny subject=$RX_XGATE_DST_ID peer=$RX_XGATE_SRC_ID cookie=1"
		# fillers: one exact-port entry each, none matching a flood
		for ((i = 1; i < n; i++)); do
			echo "ingress allow subject=$RX_XGATE_DST_ID peer=$((10000 + i)) proto=tcp port=$((1 + i % 65535))"
		done
	} >"$rules"
	rx_xgate_ctl rules apply "$rules" >/dev/null
	local rc=$?
	rm -f "$rules"
	return $rc
}

# XDP_DROP verdicts on the DUT's veth, as for every XDP receiver.
rx_count_xgate() {
	rig_xdp_stat xdp_drops
}

rx_teardown_xgate() {
	rx_xgate_ctl detach "$RIG_DUT_DEV" >/dev/null 2>&1 || true
}
