#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The loader's promises: a clear error naming the problem when the
# interface does not exist, the XDP mode is not supported, or the pin root
# is not on a bpffs; map sizes are load-time settings; maps pinned by one
# attach are reused by the next (the datapath's state survives a reload);
# generic mode works where asked for.
. "$(dirname "$0")/lib.sh"

lab_up
PIN=$LAB_BPFFS/xgate
# fails_with REGEX CMD...: CMD fails, and says what matches REGEX
fails_with()
{
	local re=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	echo "$out"
	((rc != 0)) && grep -qE -- "$re" <<<"$out"
}

check "unknown interface is named" \
	fails_with "nosuch0: interface does not exist" xg attach nosuch0
check "offload on veth: mode not supported, with a way out" \
	fails_with "gw0: XDP mode 'offload' is not supported.*try mode generic" \
	xg attach --mode offload gw0
mkdir -p "$T_TMP/plain"
check "pin root outside bpffs is refused" \
	fails_with "not on a bpffs|bpffs is not mounted" \
	in_ns "$GW_NS" env LIBXDP_BPFFS="$LAB_BPFFS" "$XGATECTL" --pin-root "$T_TMP/plain/xgate" attach gw0
check "bad size value is refused" fails_with "bad option value" xg attach --ct-max 0 gw0

check "attach with sizes" xg attach --ct-max 8192 --ipcache-max 4096 gw0 gw1
check "ct map has the size asked for" output_has "max_entries 8192" bpftool map show pinned "$PIN/xg_ct"
check "ipcache map has the size asked for" output_has "max_entries 4096" bpftool map show pinned "$PIN/xg_ipcache"
check "an entry goes in" xg ipcache set 198.18.0.11 1001
id1=$(bpftool map show pinned "$PIN/xg_ipcache" | awk -F: 'NR == 1 { print $1 }')
check "detach" xg detach gw0 gw1
check "re-attach with the same sizes" xg attach --ct-max 8192 --ipcache-max 4096 gw0 gw1
id2=$(bpftool map show pinned "$PIN/xg_ipcache" | awk -F: 'NR == 1 { print $1 }')
check "the pinned map was reused ($id1 = $id2)" test "$id1" = "$id2"
check "its entries survived" output_has "198.18.0.11/32 +1001" xg ipcache list
check "detach again" xg detach gw0 gw1
check "a changed size is refused with the reason" \
	fails_with "pinned map .*another size" xg attach --ct-max 16384 gw0
check "nothing is left attached after the refusal" \
	fails_with "no XDP program attached|not attached" xg detach gw0
check "generic mode attaches" xg attach --mode generic --ct-max 8192 --ipcache-max 4096 gw0
check "generic mode is in place" output_has "xdpgeneric" in_ns "$GW_NS" ip -d link show gw0
check "and detaches" xg detach gw0

# Maglev table size: a load-time setting, prime, recorded for the
# control plane, and kept by the pins like a map size.  Fresh pins: the
# attaches above recorded the default size.
rm -rf "$PIN"
check "a non-prime Maglev size is refused, naming the setting" \
	fails_with "maglev_table_size: must be a prime" xg attach --ct-max 8192 --ipcache-max 4096 --maglev-m 1000 gw0
check "attach with a small Maglev table and a service map size" \
	xg attach --ct-max 8192 --ipcache-max 4096 --maglev-m 251 --svc-max 2048 gw0
check "the service map has the size asked for" output_has "max_entries 2048" bpftool map show pinned "$PIN/xg_svc"
check "so do reverse NAT and the tables' outer map" \
	sh -c "bpftool map show pinned '$PIN/xg_revnat' | grep -q 'max_entries 2048' && bpftool map show pinned '$PIN/xg_maglev' | grep -q 'max_entries 2048'"
check "a service gets a table of that size" \
	xg service put 7 198.18.200.1:80 tcp 70=198.19.0.10:80
# the value is the inner map's id, as 4 little-endian hex bytes
inner_id=$(bpftool -j map lookup pinned "$PIN/xg_maglev" key 7 0 0 0 |
	jq -r '.value | map(ltrimstr("0x")) | reverse | join("")')
inner_id=$((16#$inner_id))
inner=$(bpftool map show id "$inner_id")
check "16 slots to an element: 251 slots are 16 elements ($inner)" \
	grep -q "max_entries 16 " <<<"$inner"
check "the service is listed" output_has "198.18.200.1:80" xg service list
check "detach (Maglev)" xg detach gw0
check "another Maglev size over the same pins is refused with the reason" \
	fails_with "maglev_table_size: the pinned service tables .* have 251 slots, this load wants 16381" \
	xg attach --ct-max 8192 --ipcache-max 4096 gw0
check "clean up the service" xg service del 7 198.18.200.1:80 tcp

finish
