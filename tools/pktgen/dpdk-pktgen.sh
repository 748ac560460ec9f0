#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dpdk-pktgen.sh writes xgate-pktgen's floods as a DPDK Pktgen command file
# (flood.pkt: port set-up in Pktgen's CLI syntax) and a Lua script it runs
# last (flood-run.lua: start, wait for --duration or --count, stop, print
# and save what was sent), then starts Pktgen with them when asked (--run).
# Without --run it only writes the files and prints the command line, and
# says what this machine lacks to run it (binary, hugepages, a NIC bound to
# a DPDK driver).
#
#   dpdk-pktgen.sh --port 0 --dst 198.19.0.10 --dst-mac 0c:42:a1:00:00:01 \
#           --flood many --duration 10 --out /tmp/flood
#   pktgen -l 0-2 -n 4 -a 0000:03:00.0 -- -P -m "[1:2].0" -f /tmp/flood/flood.pkt
#
# What DPDK Pktgen does differently from xgate-pktgen:
#   - range mode steps every field by its increment on every packet, so the
#     source address and port advance together: A addresses x P ports give
#     A*P distinct flows only when gcd(A, P) = 1, and the port count is
#     raised to the next coprime (256 addresses x 257 ports = 65,792 flows
#     for the many-flow flood);
#   - --rate is a percentage of the link (set <port> rate): give the link
#     speed with --link-gbps (default 10) for the conversion from pps;
#   - the script writes IPv4 UDP only: which TCP flags and IPv6 range
#     settings a Pktgen build takes differs between releases.
set -euo pipefail

PG_NAME=dpdk-pktgen
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pktgen-common.sh
source "$HERE/pktgen-common.sh"

usage() {
	cat <<EOF
usage: $PG_NAME --dst ADDR --dst-mac MAC (--src ADDR | --src-range A-B | --flood single|many) [options]

xgate-pktgen's options:
  --src ADDR  --src-range A-B  --dst ADDR  --sport P[-Q]  --dport P  --flows N
  --size BYTES (with FCS)  --rate PPS (0 = line rate)  --duration SEC  --count N
  --dst-mac MAC (required)  --src-mac MAC  --allow-any-dst  --json
  --flood single|many (the two floods bench/lib/rig.sh measures)
DPDK Pktgen's:
  --port N         Pktgen port id (default 0)
  --link-gbps G    link speed for --rate (default 10)
  --burst N        packets per TX burst (default 64)
  --out DIR        where to write flood.pkt and flood-run.lua (default: a new
                   directory under \${TMPDIR:-/tmp})
  --run            start Pktgen with them (needs --eal and --map)
  --eal "ARGS"     EAL arguments, e.g. "-l 0-2 -n 4 -a 0000:03:00.0"
  --map "MAP"      Pktgen core map, e.g. "[1:2].0"
  --no-quit        leave Pktgen running after the flood
EOF
}

PORT=0
LINK_GBPS=10
BURST=64
OUT=
RUN=0
EAL=
MAP=
QUIT=1
pg_defaults
while (($#)); do
	if pg_opt "$@"; then
		shift "$PG_USED"
		continue
	fi
	case $1 in
	--port | --burst)
		if [[ $# -lt 2 ]] || ! pg_uint "$2"; then
			pg_die "$1 needs a number"
		fi
		[[ $1 == --port ]] && PORT=$((10#$2)) || BURST=$((10#$2))
		shift 2
		;;
	--link-gbps)
		[[ $# -ge 2 && $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || pg_die "--link-gbps needs a number"
		LINK_GBPS=$2
		shift 2
		;;
	--out | --eal | --map)
		[[ $# -ge 2 ]] || pg_die "$1 needs a value"
		case $1 in
		--out) OUT=$2 ;;
		--eal) EAL=$2 ;;
		--map) MAP=$2 ;;
		esac
		shift 2
		;;
	--run) RUN=1; shift ;;
	--no-quit) QUIT=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) pg_die "unknown option '$1' (--help lists them)" ;;
	esac
done
[[ -n $PG_DEV ]] || PG_DEV="port$PORT"
pg_plan

((!PG_IPV6)) || pg_die "IPv6 is not written by this script (Pktgen's IPv6 range" \
	"commands differ between releases); use xgate-pktgen or kernel-pktgen.sh"
[[ $PG_PROTO == udp ]] || pg_die "--proto tcp-syn is not written by this script" \
	"(Pktgen's TCP flags are not settable in every release); use xgate-pktgen"
[[ -n $PG_DST_MAC ]] || pg_die "give --dst-mac: a DPDK port has no kernel peer to ask"

nr_addrs=$PG_NR_ADDRS
nr_ports=$PG_NR_PORTS
if ((nr_addrs > 1 && nr_ports > 1)); then
	while (($(pg_gcd "$nr_addrs" "$nr_ports") != 1)); do
		nr_ports=$((nr_ports + 1))
	done
	((PG_SPORT + nr_ports - 1 <= 65535)) ||
		pg_die "no coprime port count fits below 65535 from --sport $PG_SPORT"
	if ((nr_ports != PG_NR_PORTS || nr_addrs * nr_ports != PG_NR_FLOWS)); then
		pg_warn "Pktgen steps address and port together: $nr_addrs addresses x" \
			"$nr_ports ports = $((nr_addrs * nr_ports)) flows (asked for $PG_NR_FLOWS)"
	fi
fi
flows=$((nr_addrs * nr_ports))

# Percent of the link: a frame takes size + 20 bytes (preamble, SFD, gap).
rate_pct=100
if ((PG_RATE)); then
	rate_pct=$(awk -v p="$PG_RATE" -v s="$PG_SIZE" -v g="$LINK_GBPS" 'BEGIN {
		r = p * (s + 20) * 8 / (g * 1e9) * 100
		if (r > 100) r = 100
		printf "%.2f\n", r }')
fi

if [[ -z $OUT ]]; then
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/xgate-dpdk-pktgen.XXXXXX")
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PKT=$OUT/flood.pkt
LUA=$OUT/flood-run.lua
RESULT=$OUT/result.json

src_first=$(pg_src_addr 0)
src_last=$(pg_src_addr $((nr_addrs - 1)))
sport_last=$((PG_SPORT + nr_ports - 1))
ms=$(awk -v d="$PG_DURATION" 'BEGIN { printf "%d\n", d * 1000 }')

{
	echo "# Written by xgate's tools/pktgen/dpdk-pktgen.sh."
	echo "# $flows flow(s): $src_first-$src_last x ports $PG_SPORT-$sport_last -> $PG_DST:$PG_DPORT, $PG_SIZE-byte frames"
	echo "stop $PORT"
	echo "disable $PORT range"
	echo "set $PORT type ipv4"
	echo "set $PORT proto udp"
	echo "set $PORT size $PG_SIZE"
	echo "set $PORT count $PG_COUNT"
	echo "set $PORT rate $rate_pct"
	echo "set $PORT burst $BURST"
	echo "set $PORT dst mac $PG_DST_MAC"
	[[ -n $PG_SRC_MAC ]] && echo "set $PORT src mac $PG_SRC_MAC"
	echo "set $PORT src ip $src_first/32"
	echo "set $PORT dst ip $PG_DST"
	echo "set $PORT sport $PG_SPORT"
	echo "set $PORT dport $PG_DPORT"
	if ((flows > 1)); then
		echo "# Range mode: every field moves by its 'inc' on every packet."
		echo "range $PORT proto udp"
		echo "range $PORT dst mac start $PG_DST_MAC"
		[[ -n $PG_SRC_MAC ]] && echo "range $PORT src mac start $PG_SRC_MAC"
		for f in start min max; do
			echo "range $PORT size $f $PG_SIZE"
		done
		echo "range $PORT size inc 0"
		for f in start min max; do
			echo "range $PORT dst ip $f $PG_DST"
		done
		echo "range $PORT dst ip inc 0.0.0.0"
		echo "range $PORT src ip start $src_first"
		echo "range $PORT src ip min $src_first"
		echo "range $PORT src ip max $src_last"
		echo "range $PORT src ip inc 0.0.0.$((nr_addrs > 1 ? 1 : 0))"
		for f in start min max; do
			echo "range $PORT dst port $f $PG_DPORT"
		done
		echo "range $PORT dst port inc 0"
		echo "range $PORT src port start $PG_SPORT"
		echo "range $PORT src port min $PG_SPORT"
		echo "range $PORT src port max $sport_last"
		echo "range $PORT src port inc $((nr_ports > 1 ? 1 : 0))"
		echo "enable $PORT range"
	fi
	echo "script $LUA"
} >"$PKT"

cat >"$LUA" <<EOF
-- Written by xgate's tools/pktgen/dpdk-pktgen.sh: runs the flood that
-- flood.pkt set up, then prints and saves what port $PORT sent.
local port = "$PORT"
local pid = $PORT
local duration_ms = $ms
local count = $PG_COUNT
local quit = $([[ $QUIT == 1 ]] && echo true || echo false)

-- portStats() moved the counters under .curr in recent releases.
local function sent()
	local t = pktgen.portStats(port, "port")
	local s = t and (t[pid] or t[port])
	if s == nil then return 0 end
	if s.curr ~= nil then return s.curr.opackets end
	return s.opackets or 0
end

pktgen.clr()
pktgen.start(port)
local waited = 0
if count > 0 then
	while sent() < count and (duration_ms == 0 or waited < duration_ms) do
		pktgen.delay(100)
		waited = waited + 100
	end
else
	pktgen.delay(duration_ms)
	waited = duration_ms
end
pktgen.stop(port)
pktgen.delay(500)

local n = sent()
local secs = waited / 1000
local pps = secs > 0 and n / secs or 0
print(string.format("sent %d packets in %.3f s: %.3f Mpps", n, secs, pps / 1e6))
local f = io.open("$RESULT", "w")
if f then
	f:write(string.format('{"tool":"dpdk-pktgen","port":%d,"size":$PG_SIZE,"flows":$flows,' ..
		'"sent":%d,"seconds":%.3f,"pps":%.0f,"mpps":%.4f}\n', pid, n, secs, pps, pps / 1e6))
	f:close()
end
if quit and pktgen.quit then pktgen.quit() end
EOF

PKTGEN=${PKTGEN:-pktgen}
missing=()
if ! command -v "$PKTGEN" >/dev/null; then
	missing+=("the DPDK Pktgen binary ('$PKTGEN' is not in PATH): build it from https://github.com/pktgen/Pktgen-DPDK against DPDK, or set PKTGEN=/path/to/pktgen")
fi
huge=$(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)
if [[ ${huge:-0} == 0 ]]; then
	missing+=("hugepages: none reserved (e.g. echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)")
fi
if ! ls /sys/bus/pci/drivers/vfio-pci/0000:* >/dev/null 2>&1 &&
	! ls /sys/bus/pci/drivers/uio_pci_generic/0000:* >/dev/null 2>&1 &&
	! ls /sys/bus/pci/drivers/igb_uio/0000:* >/dev/null 2>&1; then
	missing+=("a NIC bound to vfio-pci (or uio_pci_generic/igb_uio), see dpdk-devbind.py --status (mlx5 NICs keep their kernel driver: ignore this then)")
fi

echo "$PG_NAME: wrote $PKT and $LUA ($flows flow(s), rate $rate_pct% of ${LINK_GBPS}G)" >&2
cmd=("$PKTGEN")
# shellcheck disable=SC2206  # EAL arguments are words on purpose
[[ -n $EAL ]] && cmd+=($EAL)
cmd+=(-- -P -m "${MAP:-[1:2].$PORT}" -f "$PKT")
echo "$PG_NAME: run: ${cmd[*]}" >&2
for m in "${missing[@]}"; do
	pg_warn "missing: $m"
done
((RUN)) || exit 0

((${#missing[@]} == 0)) || pg_die "cannot run Pktgen here (see the missing items above)"
[[ -n $EAL && -n $MAP ]] || pg_die "--run needs --eal and --map"
"${cmd[@]}"
if [[ -s $RESULT ]]; then
	if ((PG_JSON)); then
		cat "$RESULT"
	else
		awk -F'[,:}]' '{ for (i = 1; i < NF; i++) if ($i ~ /"(sent|seconds|mpps)"/) printf "%s %s ", $i, $(i + 1); print "" }' "$RESULT" | tr -d '"'
	fi
fi
