#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""kube-proxy's iptables mode, written out for N services: the baseline of
bench/lb_scaling.  The output is iptables-restore input for table nat, the
same text for iptables-legacy-restore and iptables-nft-restore.

  kube_proxy_rules.py full N   the whole table: N services, the last one
                               (index N - 1) on the lab's answering backends
  kube_proxy_rules.py add I    for --noflush: service I (dummy backends),
                               its rule first in KUBE-SERVICES
  kube_proxy_rules.py del I    for --noflush: removes what `add I` added
  kube_proxy_rules.py vip I    prints service I's VIP:PORT

Services are those of bench/src/lb_fill.h (ClusterIP 198.18.128.0/17,
3 backends each), chains and rules the shape kube-proxy 1.2x writes:

  PREROUTING, OUTPUT -> KUBE-SERVICES: one rule per service
      -d VIP/32 -p tcp --dport P -j KUBE-SVC-<hash>
    then the nodeports rule, last, as kube-proxy keeps it;
  KUBE-SVC-<hash>: KUBE-MARK-MASQ for sources outside the cluster CIDR,
    then one rule per endpoint, `-m statistic --mode random --probability
    1/k` (k = endpoints left), the last one unconditional;
  KUBE-SEP-<hash>: KUBE-MARK-MASQ for hairpin traffic, then DNAT.

A packet to the last service walks N rules of KUBE-SERVICES: that walk is
what the benchmark measures.  The cluster CIDR is the lab's front
network, where the clients are (they play pods): kube-proxy marks no
client flow for masquerade, so iptables, like xgate, only DNATs.
"""
import base64
import hashlib
import sys

VIP_BASE = 0xC6128000  # 198.18.128.0
VIPS = 32766
PORT_BASE = 80
BACKENDS = 3
REAL_BASE = 0xC613000B  # 198.19.0.11
REAL_PORT = 8080
POOL_BASE = 0xC6138000  # 198.19.128.0
POOL = 12288
CLUSTER_CIDR = "198.18.0.0/24"


def ip(n):
    return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def service(i, real):
    """(name, vip, port, [backend ip:port]) of service i, as lb_fill.h."""
    vip = ip(VIP_BASE + 1 + i % VIPS)
    port = PORT_BASE + i // VIPS
    eps = []
    for j in range(BACKENDS):
        if real:
            eps.append(f"{ip(REAL_BASE + j)}:{REAL_PORT}")
        else:
            eps.append(f"{ip(POOL_BASE + 1 + (i * BACKENDS + j) % POOL)}:{REAL_PORT}")
    return f"bench/svc-{i}:http", vip, port, eps


def chain(prefix, text):
    # kube-proxy: base32 of the SHA-256 of the port name (+ protocol,
    # + endpoint), first 16 characters.
    h = base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"{prefix}-{h[:16]}"


def service_rules(i, real, insert=False):
    """Chain declarations and rules of one service."""
    name, vip, port, eps = service(i, real)
    svc = chain("KUBE-SVC", name + "tcp")
    seps = [chain("KUBE-SEP", name + "tcp" + ep) for ep in eps]
    decl = [f":{c} - [0:0]" for c in [svc] + seps]
    top = "-I KUBE-SERVICES 1" if insert else "-A KUBE-SERVICES"
    rules = [f'{top} -d {vip}/32 -p tcp -m comment --comment "{name} cluster IP" '
             f"-m tcp --dport {port} -j {svc}",
             f'-A {svc} ! -s {CLUSTER_CIDR} -d {vip}/32 -p tcp -m comment '
             f'--comment "{name} cluster IP" -m tcp --dport {port} -j KUBE-MARK-MASQ']
    k = len(eps)
    for j, (ep, sep) in enumerate(zip(eps, seps)):
        stat = "" if j == k - 1 else \
            f" -m statistic --mode random --probability {1.0 / (k - j):0.10f}"
        rules.append(f'-A {svc} -m comment --comment "{name} -> {ep}"{stat} -j {sep}')
    for ep, sep in zip(eps, seps):
        addr = ep.rsplit(":", 1)[0]
        rules.append(f'-A {sep} -s {addr}/32 -m comment --comment "{name}" -j KUBE-MARK-MASQ')
        rules.append(f'-A {sep} -p tcp -m comment --comment "{name}" -m tcp '
                     f"-j DNAT --to-destination {ep}")
    return decl, rules, (svc, seps, rules[0])


def full(n):
    decl = [":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]",
            ":KUBE-NODEPORTS - [0:0]", ":KUBE-POSTROUTING - [0:0]",
            ":KUBE-MARK-MASQ - [0:0]"]
    rules = ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
             '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
             '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" '
             "-j KUBE-POSTROUTING",
             "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
             "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
             "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
             '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic '
             'requiring SNAT" -j MASQUERADE --random-fully']
    svc_rules, other = [], []
    for i in range(n):
        d, r, _ = service_rules(i, i == n - 1)
        decl += d
        svc_rules.append(r[0])
        other += r[1:]
    svc_rules.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; '
                     'NOTE: this must be the last rule in this chain" -m addrtype '
                     "--dst-type LOCAL -j KUBE-NODEPORTS")
    return ["*nat"] + decl + rules + svc_rules + other + ["COMMIT"]


def add(i):
    d, r, _ = service_rules(i, False, insert=True)
    return ["*nat"] + d + r + ["COMMIT"]


def delete(i):
    _, _, (svc, seps, top) = service_rules(i, False, insert=True)
    lines = ["*nat", "-D KUBE-SERVICES" + top[len("-I KUBE-SERVICES 1"):]]
    lines += [f"-F {c}" for c in [svc] + seps]
    lines += [f"-X {c}" for c in [svc] + seps]
    return lines + ["COMMIT"]


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("full", "add", "del", "vip"):
        sys.exit(__doc__)
    arg = int(sys.argv[2])
    if sys.argv[1] == "vip":
        _, vip, port, _ = service(arg, False)
        print(f"{vip}:{port}")
        return
    out = {"full": full, "add": add, "del": delete}[sys.argv[1]](arg)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
