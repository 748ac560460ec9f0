#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns bench/xdp_policy's raw figures into the results table (.md), the
figures the issue names (.json) and the plot's data (.dat).

argv: ns.jsonl live.jsonl OUT_PREFIX COMMAND
ns.jsonl: one object per (policy_entries, ipcache_prefixes) from
build/bench/xdp_policy_ns.  live.jsonl: one object per measurement window
from bench/lib/live_drop.sh (receiver, rules, flood, round, offered and
received Mpps).  The table gives each (receiver, rules, flood)'s medians;
a ratio is the median over rounds of xgate's rate over the other's in
the same round, windows seconds apart (the generator's rate wanders).
"""
import json
import os
import platform
import statistics
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
        # columns newer runs add: (json key, heading)
        extra = [(k, h) for k, h in (("new_flow_full_ns", "new flow, judged in full"),
                                     ("new_flow_denied_ns", "new flow, denied"),
                                     ("ct_floor_ns", "conntrack alone (floor)"))
                 if all(k in r for r in ns_rows)]
        md.append("| policy entries | ipcache prefixes | established | denied | new flow |"
                  + "".join(f" {h} |" for _, h in extra))
        md.append("|---:|---:|---:|---:|---:|" + "---:|" * len(extra))
        for r in ns_rows:
            md.append(f"| {r['policy_entries']:,} | {r['ipcache_prefixes']:,} | "
                      f"{r['established_ns']:.0f} | {r['denied_ns']:.0f} | {r['new_flow_ns']:.0f} |"
                      + "".join(f" {r[k]:.0f} |" for k, _ in extra))
        def size_ratio(k):
            """Largest tables over smallest: the median of per-run ratios
            (the sizes take turns within each run), else of medians."""
            a, b = large.get(k.replace("_ns", "_runs")), small.get(k.replace("_ns", "_runs"))
            if a and b and len(a) == len(b):
                return statistics.median(x / y for x, y in zip(a, b) if y > 0)
            return large[k] / small[k]

        kinds = ["established_ns", "denied_ns", "new_flow_ns"] + [
            k for k, _ in extra if k != "ct_floor_ns"]
        ratios = {k: size_ratio(k) for k in kinds}
        res.update({
            "established_ns": large["established_ns"],
            "denied_ns": large["denied_ns"],
            "new_flow_ns": large["new_flow_ns"],
            "established_ns_smallest": small["established_ns"],
            "denied_ns_smallest": small["denied_ns"],
            "new_flow_ns_smallest": small["new_flow_ns"],
            **{k: large[k] for k, _ in extra},
            **{k + "_smallest": small[k] for k, _ in extra},
            "size_ratio": max(ratios.values()),
            "size_ratios": ratios,
            "by_size": ns_rows,
        })
        md.append("")
        md.append(f"Largest tables over smallest (median of per-run ratios; the sizes take "
                  f"turns within each run): " + ", ".join(
            f"{k.replace('_ns', '')} {v:.2f}x" for k, v in ratios.items()))
        md.append("Targets: established <= 60 ns, new flow <= 150 ns, largest within 1.3x of smallest.")
        md.append("New flows: a driver program stamps a new tuple per iteration and tail-calls "
                  "the datapath; its own cost (XDP_PASS behind it) is subtracted.  Its source "
                  "port changes every flow and its source address every 65,536, so \"new flow\" "
                  "is the datapath as shipped, where a new flow between two addresses already "
                  "judged under the current policy revision is answered by the verdict cache "
                  "(xdp/vcache.h); \"judged in full\" is the same datapath on the same maps "
                  "with the cache off (maps.verdict_cache = 0), what the first flow of a pair "
                  "costs: two ipcache and up to four policy trie lookups.  size_ratio is the "
                  "largest of the ratios, the judged-in-full one included.")
        if any(k == "ct_floor_ns" for k, _ in extra):
            def over_floor(r):
                a, b = r.get("new_flow_runs"), r.get("ct_floor_runs")
                if a and b and len(a) == len(b):
                    return statistics.median(x / y for x, y in zip(a, b) if y > 0)
                return r["new_flow_ns"] / r["ct_floor_ns"]
            res["new_flow_over_ct_floor"] = over_floor(large)
            md.append("\"New flow, denied\" is the driver's flows sent to a port the server does "
                      "not open: every packet a policy decision, as in the live 65,536-flow flood. "
                      "\"Conntrack alone\" is a floor measured in the same run: a program behind "
                      "the same driver that does only what any new flow needs from the kernel, "
                      "one lookup that misses and one insert, in the datapath's own conntrack map "
                      "(same size, same fill; bench/progs/ct_floor.bpf.c).  At the largest tables "
                      f"a new flow costs {res['new_flow_over_ct_floor']:.2f}x that floor"
                      + ("; the 150 ns target is below the floor itself on this machine."
                         if min(r["ct_floor_ns"] for r in ns_rows) > 150 else "."))
        md.append("")
        with open(prefix + ".dat", "w") as f:
            for r in ns_rows:
                f.write(f"\"{r['policy_entries']}/{r['ipcache_prefixes']}\" "
                        f"{r['established_ns']} {r['denied_ns']} {r['new_flow_ns']} "
                        f"{r.get('new_flow_full_ns', 'NaN')} "
                        f"{r.get('new_flow_denied_ns', 'NaN')} {r.get('ct_floor_ns', 'NaN')}\n")

    if live_rows:
        groups = {}
        for w in live_rows:
            groups.setdefault((w["receiver"], w["rules"], w["flood"]), []).append(w)
        summary = []
        md.append("## Live drop rate on veth (median Mpps over rounds, offered / received at the DUT)\n")
        md.append("| receiver | flood | rules | entries | offered | received | received per round |")
        md.append("|---|---|---:|---:|---:|---:|---|")
        for (recv, rules, flood), ws in groups.items():
            row = {"receiver": recv, "rules": rules, "entries": ws[0].get("entries", rules),
                   "flood": flood, "runs": len(ws),
                   "offered_mpps": statistics.median(w["offered_mpps"] for w in ws),
                   "received_mpps": statistics.median(w["received_mpps"] for w in ws)}
            summary.append(row)
            md.append(f"| {recv} | {flood} | {rules:,} | {row['entries']:,} | "
                      f"{row['offered_mpps']:.3f} | {row['received_mpps']:.3f} | "
                      + ", ".join(f"{w['received_mpps']:.2f}" for w in ws) + " |")

        def paired(other, flood, rules=1000):
            """Median over rounds of xgate's received rate over other's."""
            mine = {w["round"]: w["received_mpps"] for w in groups.get(("xgate", rules, flood), [])}
            theirs = {w["round"]: w["received_mpps"] for w in groups.get((other, rules, flood), [])}
            per = [mine[r] / theirs[r] for r in sorted(mine) if r in theirs and theirs[r] > 0]
            return (round(statistics.median(per), 3) if per else None), [round(x, 3) for x in per]

        figures = {
            "vs_xdp_drop": ("xdp_drop", "single"),
            "vs_xdp_parse_drop": ("xdp_parse_drop", "single"),
            "vs_xdp_parse_drop_newflows": ("xdp_parse_drop", "newflows"),
            "vs_xdp_filter": ("xdp_filter", "newflows"),
            "vs_nftables_set_1000": ("nft_set", "newflows"),
            "vs_nftables_1000": ("nft_list", "newflows"),
            "vs_iptables_1000": ("iptables", "newflows"),
        }
        per_round = {}
        res["live"] = summary
        res["live_windows"] = live_rows
        for name, (other, flood) in figures.items():
            res[name], per_round[name] = paired(other, flood)
        res["ratios_per_round"] = per_round
        md.append("")
        md.append("Ratios at 1,000 rules (median over rounds of xgate's received rate over theirs "
                  "in the same round; per round in brackets): " + ", ".join(
                      f"{k} {res[k]} [{', '.join(str(x) for x in per_round[k])}]" for k in figures))
        md.append("Targets: vs_xdp_drop >= 0.7 (single denied flow); vs_xdp_filter >= 1.2 and "
                  "vs_nftables_set_1000 >= 4 (65,536-source new-flow flood).\n")
        md.append("Reading these: the generator (xgate-pktgen on live frames) writes each frame's "
                  "head on one core and the receiver runs on the other.  A receiver that reads "
                  "the headers (every one here but the bare XDP_DROP) pays a cross-core cache "
                  "miss per packet and slows the generator down too: compare the offered rates. "
                  "xdp_parse_drop measures that cost alone: it reads the Ethernet and IPv4 "
                  "headers and drops on the source prefix, with no map (vs_xdp_parse_drop is "
                  "xgate's rate over it, single flow and new-flow flood).  "
                  "A NIC's DMA leaves data cold as well, but it does not slow down.  Rates are "
                  "of one veth queue on a 2-vCPU VM whose speed wanders over minutes, hence "
                  "the paired rounds.\n")

    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    with open(prefix + ".json", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
