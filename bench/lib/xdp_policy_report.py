#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns bench/xdp_policy's raw figures into the results table (.md), the
figures the issue names (.json) and the plot's data (.dat).

argv: ns.jsonl live.jsonl OUT_PREFIX COMMAND
ns.jsonl: one object per (policy_entries, ipcache_prefixes) from
build/bench/xdp_policy_ns.  live.jsonl: one object per (receiver, flood,
rules) from bench/lib/live_drop.sh with offered/received Mpps medians.
"""
import json
import os
import platform
import subprocess
import sys


def load(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    rows.append(json.loads(line))
    return rows


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} vCPU {cpu}, kernel {platform.release()}"


def main():
    ns_rows, live_rows = load(sys.argv[1]), load(sys.argv[2])
    prefix, command = sys.argv[3], sys.argv[4]
    res = {"command": command, "machine": machine()}
    md = [f"# bench/xdp_policy\n", f"Command: `{command}`  \nMachine: {machine()}\n"]

    if ns_rows:
        small = min(ns_rows, key=lambda r: (r["policy_entries"], r["ipcache_prefixes"]))
        large = max(ns_rows, key=lambda r: (r["policy_entries"], r["ipcache_prefixes"]))
        md.append("## ns/packet under bpf_prog_test_run_opts (medians)\n")
        md.append("| policy entries | ipcache prefixes | established | denied | new flow |")
        md.append("|---:|---:|---:|---:|---:|")
        for r in ns_rows:
            md.append(f"| {r['policy_entries']:,} | {r['ipcache_prefixes']:,} | "
                      f"{r['established_ns']:.0f} | {r['denied_ns']:.0f} | {r['new_flow_ns']:.0f} |")
        ratios = {k: large[k] / small[k] for k in ("established_ns", "denied_ns", "new_flow_ns")}
        res.update({
            "established_ns": large["established_ns"],
            "denied_ns": large["denied_ns"],
            "new_flow_ns": large["new_flow_ns"],
            "established_ns_smallest": small["established_ns"],
            "denied_ns_smallest": small["denied_ns"],
            "new_flow_ns_smallest": small["new_flow_ns"],
            "size_ratio": max(ratios.values()),
            "size_ratios": ratios,
            "by_size": ns_rows,
        })
        md.append("")
        md.append(f"Largest tables over smallest: " + ", ".join(
            f"{k.replace('_ns', '')} {v:.2f}x" for k, v in ratios.items()))
        md.append("Targets: established <= 60 ns, new flow <= 150 ns, largest within 1.3x of smallest.")
        md.append("New flows: a driver program stamps a new tuple per iteration and tail-calls "
                  "the datapath; its own cost (XDP_PASS behind it) is subtracted.\n")
        with open(prefix + ".dat", "w") as f:
            for r in ns_rows:
                f.write(f"\"{r['policy_entries']}/{r['ipcache_prefixes']}\" "
                        f"{r['established_ns']} {r['denied_ns']} {r['new_flow_ns']}\n")

    if live_rows:
        md.append("## Live drop rate on veth (median Mpps, offered / received at the DUT)\n")
        md.append("| receiver | flood | rules | offered | received |")
        md.append("|---|---|---:|---:|---:|")
        for r in live_rows:
            md.append(f"| {r['receiver']} | {r['flood']} | {r.get('rules', '-')} | "
                      f"{r['offered_mpps']:.3f} | {r['received_mpps']:.3f} |")

        def rate(recv, flood, rules=None):
            for r in live_rows:
                if r["receiver"] == recv and r["flood"] == flood and \
                        (rules is None or r.get("rules") == rules):
                    return r["received_mpps"]
            return None

        def ratio(a, b):
            return round(a / b, 3) if a and b else None

        x1 = rate("xgate", "single", 1000) or rate("xgate", "single")
        xn = rate("xgate", "newflows", 1000) or rate("xgate", "newflows")
        res.update({
            "live": live_rows,
            "vs_xdp_drop": ratio(x1, rate("xdp_drop", "single")),
            "vs_xdp_filter": ratio(xn, rate("xdp_filter", "newflows", 1000)),
            "vs_nftables_set_1000": ratio(xn, rate("nft_set", "newflows", 1000)),
            "vs_nftables_1000": ratio(xn, rate("nft_list", "newflows", 1000)),
            "vs_iptables_1000": ratio(xn, rate("iptables", "newflows", 1000)),
        })
        md.append("")
        md.append("Ratios (xgate's received rate over theirs, same run): " + ", ".join(
            f"{k} {res[k]}" for k in ("vs_xdp_drop", "vs_xdp_filter", "vs_nftables_set_1000",
                                      "vs_nftables_1000", "vs_iptables_1000")))
        md.append("Targets: vs_xdp_drop >= 0.7 (single denied flow); vs_xdp_filter >= 1.2 and "
                  "vs_nftables_set_1000 >= 4 (65,536-source new-flow flood).\n")

    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    with open(prefix + ".json", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
