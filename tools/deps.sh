#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs the Debian packages xgate needs to build, test and benchmark,
# and mounts bpffs.  Quick when everything is there: it only asks dpkg.
set -euo pipefail

PKGS=(
	make gcc clang llvm bpftool pkg-config
	libbpf-dev libxdp-dev xdp-tools libelf-dev zlib1g-dev
	libcmocka-dev libclang-rt-14-dev
	iproute2 iptables nftables ethtool procps psmisc
	netcat-openbsd socat jq gnuplot-nox python3 curl iputils-ping
	libconfig-dev libfyaml-dev libjson-c-dev libcurl4-openssl-dev
	liburcu-dev etcd-server etcd-client
	libhyperscan-dev nginx-light haproxy wrk
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs is not mounted at boot on every machine; xgate pins under it.
if [[ $(id -u) -eq 0 ]] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
exit 0
