# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash disable=SC2034  # variables are for the sourcing script
#
# Shared by kernel-pktgen.sh and dpdk-pktgen.sh: xgate-pktgen's command line
# (the options both scripts take), the benchmarking-range checks and the
# flow plan.  Sourced, never run.  Callers set PG_NAME first.
#
# Live traffic belongs to the benchmarking ranges: 198.18.0.0/15 (RFC 2544)
# and 2001:2::/48 (RFC 5180).  Sources must be inside them; destinations
# too unless --allow-any-dst.

# The two floods bench/lib/rig.sh measures, by name (--flood).
PG_FLOOD_SINGLE4=(--src 198.18.1.1 --sport 1024)
PG_FLOOD_MANY4=(--src-range 198.18.1.0-198.18.1.255 --sport 1024-1279 --flows 65536)
PG_FLOOD_SINGLE6=(--src 2001:2::1:1 --sport 1024)
PG_FLOOD_MANY6=(--src-range 2001:2::1:0-2001:2::1:ff --sport 1024-1279 --flows 65536)

pg_die() {
	echo "$PG_NAME: $*" >&2
	exit 2
}

pg_warn() {
	echo "$PG_NAME: $*" >&2
}

# Dotted quad -> integer; fails on anything else.
pg_ip4_int() {
	local IFS=. x n=0
	local -a octets

	[[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
	read -ra octets <<<"$1"
	for x in "${octets[@]}"; do
		((10#$x <= 255)) || return 1
		n=$(((n << 8) | 10#$x))
	done
	echo "$n"
}

pg_int_ip4() {
	local n=$1
	echo "$(((n >> 24) & 255)).$(((n >> 16) & 255)).$(((n >> 8) & 255)).$((n & 255))"
}

pg_ip4_in_bench() {
	(((${1} & 0xfffe0000) == 0xc6120000))
}

# IPv6 text -> eight 4-digit groups joined by ':'; fails on anything else
# (embedded IPv4 forms included).
pg_ip6_expand() {
	local a=$1 head tail g n i
	local -a h=() t=() groups=()

	[[ $a =~ ^[0-9a-fA-F:]+$ ]] || return 1
	if [[ $a == *::* ]]; then
		head=${a%%::*}
		tail=${a#*::}
		[[ $tail == *::* ]] && return 1
		[[ -n $head ]] && IFS=: read -ra h <<<"$head"
		[[ -n $tail ]] && IFS=: read -ra t <<<"$tail"
		n=$((8 - ${#h[@]} - ${#t[@]}))
		((n >= 1)) || return 1
		groups=("${h[@]}")
		for ((i = 0; i < n; i++)); do
			groups+=(0)
		done
		groups+=("${t[@]}")
	else
		IFS=: read -ra groups <<<"$a"
		((${#groups[@]} == 8)) || return 1
	fi
	local -a hex=()
	for g in "${groups[@]}"; do
		[[ $g =~ ^[0-9a-fA-F]{1,4}$ ]] || return 1
		hex+=("0x$g")
	done
	printf '%04x:%04x:%04x:%04x:%04x:%04x:%04x:%04x\n' "${hex[@]}"
}

pg_ip6_in_bench() {
	local e

	e=$(pg_ip6_expand "$1") || return 1
	[[ $e == 2001:0002:0000:* ]]
}

pg_mac_ok() {
	[[ $1 =~ ^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$ ]]
}

pg_uint() {
	[[ $1 =~ ^[0-9]+$ ]]
}

# Packets per second with an optional k/M/G suffix -> integer.
pg_rate() {
	local v=$1 mul=1

	case $v in
	*[kK]) mul=1000; v=${v%?} ;;
	*[mM]) mul=1000000; v=${v%?} ;;
	*[gG]) mul=1000000000; v=${v%?} ;;
	esac
	[[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || return 1
	awk -v v="$v" -v m="$mul" 'BEGIN { printf "%d\n", v * m + 0.5 }'
}

# Defaults, then pg_opt for every argument the caller does not know.
pg_defaults() {
	PG_DEV=
	PG_SRC=
	PG_SRC_RANGE=
	PG_DST=
	PG_SPORT=1024
	PG_SPORT_LAST=1024
	PG_SPORT_RANGE=0
	PG_DPORT=9
	PG_FLOWS=0
	PG_SIZE=64
	PG_RATE=0
	PG_DURATION=
	PG_COUNT=0
	PG_PROTO=udp
	PG_IPV6=0
	PG_DST_MAC=
	PG_SRC_MAC=
	PG_ALLOW_ANY_DST=0
	PG_JSON=0
	PG_FLOOD=
	declare -gA PG_GIVEN=()
}

# Handles one option of the common set: sets PG_USED to the words it took
# (1 or 2) and returns 0, or returns 1 when the option is not common.
pg_opt() {
	local o=$1 v=${2-}

	case $o in
	-6) o=--ipv6 ;;
	-i) o=--dev ;;
	-s) o=--src ;;
	-d) o=--dst ;;
	-f) o=--flows ;;
	-S) o=--size ;;
	-r) o=--rate ;;
	-t) o=--duration ;;
	-n) o=--count ;;
	-p) o=--proto ;;
	esac
	PG_USED=1
	case $o in
	--ipv6) PG_IPV6=1 ;;
	--allow-any-dst) PG_ALLOW_ANY_DST=1 ;;
	--json) PG_JSON=1 ;;
	--dev | --src | --src-range | --dst | --sport | --dport | --flows | \
	--size | --rate | --duration | --count | --proto | --dst-mac | \
	--src-mac | --flood)
		[[ $# -ge 2 ]] || pg_die "$o needs a value"
		PG_USED=2
		;;
	*) return 1 ;;
	esac
	PG_GIVEN[$o]=1
	case $o in
	--dev) PG_DEV=$v ;;
	--src) PG_SRC=$v ;;
	--src-range) PG_SRC_RANGE=$v ;;
	--dst) PG_DST=$v ;;
	--sport)
		[[ $v =~ ^([0-9]+)(-([0-9]+))?$ ]] || pg_die "bad --sport '$v'"
		PG_SPORT=$((10#${BASH_REMATCH[1]}))
		PG_SPORT_LAST=$((10#${BASH_REMATCH[3]:-$PG_SPORT}))
		PG_SPORT_RANGE=0
		[[ -n ${BASH_REMATCH[3]} ]] && PG_SPORT_RANGE=1
		((PG_SPORT >= 1 && PG_SPORT_LAST <= 65535 &&
			PG_SPORT <= PG_SPORT_LAST)) || pg_die "bad --sport '$v'"
		;;
	--dport)
		if ! pg_uint "$v" || ((10#$v < 1 || 10#$v > 65535)); then
			pg_die "bad --dport '$v'"
		fi
		PG_DPORT=$((10#$v))
		;;
	--flows)
		if ! pg_uint "$v" || ((10#$v < 1)); then
			pg_die "bad --flows '$v'"
		fi
		PG_FLOWS=$((10#$v))
		;;
	--size)
		if ! pg_uint "$v" || ((10#$v < 64 || 10#$v > 1518)); then
			pg_die "bad --size '$v' (64-1518, with FCS)"
		fi
		PG_SIZE=$((10#$v))
		;;
	--rate) PG_RATE=$(pg_rate "$v") || pg_die "bad --rate '$v'" ;;
	--duration)
		[[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || pg_die "bad --duration '$v'"
		PG_DURATION=$v
		;;
	--count) pg_uint "$v" || pg_die "bad --count '$v'"; PG_COUNT=$((10#$v)) ;;
	--proto)
		[[ $v == udp || $v == tcp-syn ]] || pg_die "bad --proto '$v' (udp|tcp-syn)"
		PG_PROTO=$v
		;;
	--dst-mac) pg_mac_ok "$v" || pg_die "bad --dst-mac '$v'"; PG_DST_MAC=$v ;;
	--src-mac) pg_mac_ok "$v" || pg_die "bad --src-mac '$v'"; PG_SRC_MAC=$v ;;
	--flood)
		[[ $v == single || $v == many ]] || pg_die "bad --flood '$v' (single|many)"
		PG_FLOOD=$v
		;;
	esac
	return 0
}

# Applies --flood (after all options, so --ipv6 may come later; options
# given on the command line win over the preset's), then
# checks addresses and works out the flow plan exactly as xgate-pktgen:
#   PG_NR_ADDRS addresses from PG_SRC_FIRST (IPv4: integer; IPv6: text,
#   ranges vary the low 16 bits here), PG_NR_PORTS ports from PG_SPORT,
#   PG_NR_FLOWS pairs, addresses changing fastest.
pg_plan() {
	local -a preset=()
	local first last n i

	case $PG_FLOOD in
	single) ((PG_IPV6)) && preset=("${PG_FLOOD_SINGLE6[@]}") || preset=("${PG_FLOOD_SINGLE4[@]}") ;;
	many) ((PG_IPV6)) && preset=("${PG_FLOOD_MANY6[@]}") || preset=("${PG_FLOOD_MANY4[@]}") ;;
	esac
	if [[ -n ${PG_GIVEN[--src]-}${PG_GIVEN[--src-range]-} ]]; then
		preset=("${preset[@]:2}")	# keep the user's sources
	fi
	# A user's range or flow count replaces the preset's flow count too.
	if [[ -n ${PG_GIVEN[--src]-}${PG_GIVEN[--src-range]-}${PG_GIVEN[--sport]-}${PG_GIVEN[--flows]-} ]]; then
		local -a kept=()
		for ((i = 0; i < ${#preset[@]}; i += 2)); do
			[[ ${preset[i]} == --flows ]] || kept+=("${preset[@]:i:2}")
		done
		preset=("${kept[@]}")
	fi
	i=0
	while ((i < ${#preset[@]})); do
		if [[ -z ${PG_GIVEN[${preset[i]}]-} ]]; then
			pg_opt "${preset[@]:i:2}" || pg_die "internal: bad preset"
		fi
		i=$((i + 2))
	done

	[[ -n $PG_DEV ]] || pg_die "--dev is required"
	[[ -n $PG_DST ]] || pg_die "--dst is required"
	[[ -n $PG_SRC || -n $PG_SRC_RANGE ]] || pg_die "--src, --src-range or --flood is required"

	if ((PG_IPV6)); then
		pg_ip6_expand "$PG_DST" >/dev/null || pg_die "bad IPv6 destination '$PG_DST'"
		if ((!PG_ALLOW_ANY_DST)) && ! pg_ip6_in_bench "$PG_DST"; then
			pg_die "destination $PG_DST is outside 2001:2::/48: refused (--allow-any-dst to override)"
		fi
	else
		n=$(pg_ip4_int "$PG_DST") || pg_die "bad destination '$PG_DST' (IPv6 needs --ipv6)"
		if ((!PG_ALLOW_ANY_DST)) && ! pg_ip4_in_bench "$n"; then
			pg_die "destination $PG_DST is outside 198.18.0.0/15: refused (--allow-any-dst to override)"
		fi
	fi

	local nr_addrs=1 have_range=0
	if [[ -n $PG_SRC_RANGE ]]; then
		[[ $PG_SRC_RANGE == *-* ]] || pg_die "bad --src-range '$PG_SRC_RANGE'"
		first=${PG_SRC_RANGE%%-*}
		last=${PG_SRC_RANGE#*-}
		have_range=1
	else
		first=$PG_SRC
		last=$PG_SRC
	fi
	if ((PG_IPV6)); then
		local ef el
		ef=$(pg_ip6_expand "$first") || pg_die "bad IPv6 source '$first'"
		el=$(pg_ip6_expand "$last") || pg_die "bad IPv6 source '$last'"
		[[ ${ef%:*} == "${el%:*}" ]] ||
			pg_die "--src-range '$PG_SRC_RANGE': only the last 16 bits may differ here"
		nr_addrs=$((0x${el##*:} - 0x${ef##*:} + 1))
		((nr_addrs >= 1)) || pg_die "bad --src-range '$PG_SRC_RANGE'"
		PG_SRC_FIRST=$ef
		PG_SRC_PREFIX6=${ef%:*}
		PG_SRC_LOW6=$((0x${ef##*:}))
	else
		local fi_ li
		fi_=$(pg_ip4_int "$first") || pg_die "bad source '$first' (IPv6 needs --ipv6)"
		li=$(pg_ip4_int "$last") || pg_die "bad source '$last'"
		((li >= fi_)) || pg_die "bad --src-range '$PG_SRC_RANGE'"
		nr_addrs=$((li - fi_ + 1))
		PG_SRC_FIRST=$fi_
	fi

	local nr_ports=$((PG_SPORT_LAST - PG_SPORT + 1)) flows=$PG_FLOWS
	if ((have_range && PG_SPORT_RANGE)); then
		((flows)) || flows=$((nr_addrs * nr_ports))
		((flows <= nr_addrs * nr_ports)) ||
			pg_die "--flows $flows is more than $nr_addrs addresses x $nr_ports ports"
	elif ((have_range)); then
		((flows)) || flows=$nr_addrs
		nr_ports=$(((flows + nr_addrs - 1) / nr_addrs))
	elif ((PG_SPORT_RANGE)); then
		((flows)) || flows=$nr_ports
		nr_addrs=$(((flows + nr_ports - 1) / nr_ports))
	else
		((flows)) || flows=1
		nr_addrs=$((flows < 256 ? flows : 256))
		nr_ports=$(((flows + nr_addrs - 1) / nr_addrs))
	fi
	((nr_addrs <= flows)) || nr_addrs=$flows
	((nr_ports <= (flows + nr_addrs - 1) / nr_addrs)) ||
		nr_ports=$(((flows + nr_addrs - 1) / nr_addrs))
	((PG_SPORT + nr_ports - 1 <= 65535)) ||
		pg_die "$flows flows need source ports $PG_SPORT-$((PG_SPORT + nr_ports - 1)): past 65535"

	if ((PG_IPV6)); then
		((PG_SRC_LOW6 + nr_addrs - 1 <= 0xffff)) ||
			pg_die "$flows flows need more source addresses than the last 16 bits hold"
		pg_ip6_in_bench "$PG_SRC_FIRST" ||
			pg_die "source $first is outside 2001:2::/48: refused"
	else
		if ! pg_ip4_in_bench "$PG_SRC_FIRST" ||
			! pg_ip4_in_bench $((PG_SRC_FIRST + nr_addrs - 1)); then
			pg_die "source addresses $(pg_int_ip4 "$PG_SRC_FIRST")-$(pg_int_ip4 $((PG_SRC_FIRST + nr_addrs - 1))) leave 198.18.0.0/15: refused"
		fi
	fi
	PG_NR_ADDRS=$nr_addrs
	PG_NR_PORTS=$nr_ports
	PG_NR_FLOWS=$flows
	if [[ -z $PG_DURATION ]]; then
		((PG_COUNT)) && PG_DURATION=0 || PG_DURATION=10
	fi
}

# The n-th source address of the plan, as text.
pg_src_addr() {
	if ((PG_IPV6)); then
		printf '%s:%04x\n' "$PG_SRC_PREFIX6" $((PG_SRC_LOW6 + $1))
	else
		pg_int_ip4 $((PG_SRC_FIRST + $1))
	fi
}

pg_gcd() {
	local a=$1 b=$2 t

	while ((b)); do
		t=$((a % b))
		a=$b
		b=$t
	done
	echo "$a"
}

# The MAC of DEV's veth peer, when the peer is in this namespace or in a
# named one; nothing otherwise.
pg_veth_peer_mac() {
	local dev=$1 line peer_idx
	local -a nsopt=()

	line=$(ip -o -d link show dev "$dev" 2>/dev/null) || return 0
	[[ $line == *" veth "* ]] || return 0
	[[ $line =~ ^[0-9]+:\ [^@]+@if([0-9]+): ]] || return 0
	peer_idx=${BASH_REMATCH[1]}
	if [[ $line =~ link-netns\ ([^ ]+) ]]; then
		nsopt=(-n "${BASH_REMATCH[1]}")
	elif [[ $line == *link-netnsid* ]]; then
		return 0
	fi
	ip "${nsopt[@]}" -o link show 2>/dev/null | awk -v i="$peer_idx" '
		{ split($1, a, ":"); if (a[1] != i) next
		  for (k = 2; k < NF; k++) if ($k == "link/ether") { print $(k + 1); exit } }'
}
