#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns bench/lb_scaling's raw figures into the results table (.md), the
figures the issue names (.json) and the plot's data (.dat).

argv: ns.jsonl lab.jsonl meta.jsonl OUT_PREFIX COMMAND
ns.jsonl: one object per service count from lb_scaling_ns (ns/packet,
add/remove us).  lab.jsonl: one object per (config, services, run) with
connect_lat's figures.  meta.jsonl: everything else the script recorded
(iptables restore times, population times, settings, notes).
Figures over runs are medians; ratios compare figures of the same run.
"""
import json
import os
import platform
import statistics
import sys

CONFIGS = ("xgate", "iptables-legacy", "iptables-nft")


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
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.node()}: {os.cpu_count()} vCPU {cpu}, {mem}, kernel {platform.release()}"


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def fmt(v, nd=1):
    return "-" if v is None else f"{v:,.{nd}f}"


def main():
    ns_rows, lab_rows, meta = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
    prefix, command = sys.argv[4], sys.argv[5]
    res = {"command": command, "machine": machine()}
    md = ["# bench/lb_scaling\n",
          "Latency vs number of services: xgate's XDP service load balancer "
          "(hash lookup, Maglev table) against kube-proxy's iptables rules "
          "(KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-*, `statistic --mode random`, DNAT), "
          "measured side by side in one run.\n",
          f"Command: `{command}`  \nMachine: {machine()}  "]
    run = next((m for m in meta if "seconds" in m), {})
    if run:
        md.append(f"Run time: {run['seconds'] // 60} min {run['seconds'] % 60} s  ")
        res["run_seconds"] = run["seconds"]
    notes = []
    if run.get("svc_note"):
        notes.append(run["svc_note"] + " (XG_SVC_MAX, a compile-time size the loader "
                     "cannot change): every xgate figure here comes from that build.")
        res["svc_note"] = run["svc_note"]
    for m in meta:
        for k in ("ns_maglev_m", "lab_maglev_m"):
            if k in m:
                notes.append(f"Maglev table size {m[k]} instead of {run.get('default_maglev_m')} "
                             f"for {'part 1' if k == 'ns_maglev_m' else 'the lab'}: {m['why']}.")
                res[k] = m[k]
        if "lab_skip" in m:
            notes.append(m["lab_skip"] + ": not measured.")
    md.append("")

    # ---- part 1: ns/packet ----
    measured = [r for r in ns_rows if "new_flow_ns" in r]
    skipped = [r for r in ns_rows if "skipped" in r]
    if measured:
        # Counts are measured minutes apart, and the machine moved a new
        # flow's cost by 2x in minutes: each count is taken through the
        # 1-service reference run beside each of its runs, at the
        # reference's median over the whole run.
        ref_all = med(r["reference_ns"] for r in measured)
        corr = {r["services"]: r["vs_reference"] * ref_all for r in measured}
        raw = {r["services"]: r["new_flow_ns"] for r in measured}
        refs = [r["reference_ns"] for r in measured]
        res["ns_by_services"] = {str(n): round(v, 1) for n, v in corr.items()}
        res["size_ratio"] = round(max(corr.values()) / min(corr.values()), 3)
        res["ns_by_services_raw"] = {str(n): v for n, v in raw.items()}
        res["size_ratio_raw"] = round(max(raw.values()) / min(raw.values()), 3)
        res["vs_reference_by_services"] = {str(r["services"]): r["vs_reference"] for r in measured}
        res["reference_ns"] = ref_all
        res["reference_ratio"] = round(max(refs) / min(refs), 3)
        res["maglev_m"] = measured[0].get("maglev_m")
        res["add_us_by_services"] = {str(r["services"]): r["add_us"] for r in measured}
        res["remove_us_by_services"] = {str(r["services"]): r["remove_us"] for r in measured}
        r0 = measured[0]
        md.append("## 1. ns/packet of a new flow to the last-added service\n")
        md.append("bpf_prog_test_run_opts: a driver program restores a SYN to the VIP, stamps a new "
                  "source port and address into it per iteration and tail-calls xgate (the "
                  "driver's own cost, with XDP_PASS behind it, is subtracted).  Each new flow: "
                  "service lookup, Maglev slot, svcflow and conntrack insert, DNAT, FIB forward.  "
                  "One datapath, filled through xg_service_put up to each count and measured, "
                  "then emptied through xg_service_del back down and measured again; "
                  f"{r0['runs'] // 2} runs of {r0['repeat']:,} new flows each way, their flows "
                  "undone after each count so that every count meets the same flow tables.  "
                  "Every run sits next to a run of a second datapath holding one service "
                  "throughout (the reference).  A new flow's cost here is mostly cache and TLB "
                  "misses in the flow tables, and other work on the machine moved it "
                  f"{res['reference_ratio']:.2f}x over this run (the reference's own range), "
                  "more than any service count could; so each count's figure is the median of "
                  "its runs over the reference runs beside them, times the reference's median "
                  f"({ref_all:.0f} ns).  Raw medians alongside.\n")
        md.append("| services | **ns/packet** | vs reference | raw median | raw up | raw down "
                  "| reference | add one (us) | remove one (us) |")
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in measured:
            md.append(f"| {r['services']:,} | **{corr[r['services']]:.0f}** | "
                      f"{r['vs_reference']:.3f} | {r['new_flow_ns']:.0f} | "
                      f"{r['new_flow_ns_up']:.0f} | {r['new_flow_ns_down']:.0f} | "
                      f"{r['reference_ns']:.0f} | {r['add_us']:.0f} | {r['remove_us']:.0f} |")
        for r in skipped:
            md.append(f"| {r['services']:,} | not measured: {r['skipped']} | | | | | | | |")
        md.append("")
        md.append(f"Largest over smallest (size_ratio): **{res['size_ratio']:.2f}x** "
                  f"(target: within 1.2x); raw medians {res['size_ratio_raw']:.2f}x, while "
                  f"the reference, one service all along, moved {res['reference_ratio']:.2f}x.  "
                  f"Maglev table: {res['maglev_m']} slots, {r0.get('table_bytes', 0):,} bytes "
                  "a service.  ")
        grows = [r for r in measured if r["grown"] >= 1000]
        if grows:
            tot = sum(r["grow_s"] for r in grows)
            cnt = sum(r["grown"] for r in grows)
            md.append(f"Filling through xg_service_put: {tot / cnt * 1e6:.0f} us a service "
                      f"({cnt:,} services in {tot:.0f} s).")
            res["fill_us_per_service"] = round(tot / cnt * 1e6, 1)
        if skipped:
            notes += [f"Part 1 at {r['services']:,} services: {r['skipped']}." for r in skipped]
        md.append("")

    # ---- part 2: connect latency ----
    if lab_rows:
        counts = sorted({r["services"] for r in lab_rows})
        cfgs = CONFIGS + ("xgate-ref",)
        p50 = {c: {} for c in cfgs}
        p99 = {c: {} for c in cfgs}
        rel = {c: {} for c in CONFIGS}
        refrun = {(r["services"], r.get("visit"), r["run"]): r["connect"]["p50_us"]
                  for r in lab_rows if r["config"] == "xgate-ref"}
        for c in cfgs:
            for n in counts:
                v = [r for r in lab_rows if r["config"] == c and r["services"] == n]
                if not v:
                    continue
                p50[c][n] = med(x["connect"]["p50_us"] for x in v)
                p99[c][n] = med(x["connect"]["p99_us"] for x in v)
                if c in rel:
                    # each run over the reference run of the same round
                    rel[c][n] = med(x["connect"]["p50_us"] /
                                    refrun[(n, x.get("visit"), x["run"])]
                                    for x in v if refrun.get((n, x.get("visit"), x["run"])))
        ref_all = med(p50["xgate-ref"].values())
        # p50 through the reference: as for part 1, the median of each
        # run over the reference run beside it, at the reference's median.
        cp50 = {c: {n: (v * ref_all if v is not None and ref_all else None)
                    for n, v in rel[c].items()} for c in CONFIGS}
        res["connect_p50_us"] = {c: {str(n): round(v, 1) for n, v in cp50[c].items() if v}
                                 for c in CONFIGS}
        res["connect_p50_us_raw"] = {c: {str(n): v for n, v in p50[c].items()} for c in cfgs}
        res["connect_p99_us"] = {c: {str(n): v for n, v in p99[c].items()} for c in cfgs}
        res["connect_runs"] = {c: {str(n): [{"visit": r.get("visit"), "run": r["run"],
                                             "p50_us": r["connect"]["p50_us"],
                                             "p99_us": r["connect"]["p99_us"]}
                                            for r in lab_rows if r["config"] == c and r["services"] == n]
                                   for n in counts if n in p50[c]} for c in cfgs}

        def over1(c, n, table):
            return ratio(table[c].get(n), table[c].get(1))

        res["connect_p50_ratio_100000"] = over1("xgate", 100000, rel)
        res["connect_p50_ratio_100000_raw"] = over1("xgate", 100000, p50)
        res["connect_p50_ratio_by_services"] = {
            c: {str(n): over1(c, n, rel) for n in rel[c]} for c in CONFIGS}
        res["connect_p99_us_xgate_10000"] = p99["xgate"].get(10000)
        # "iptables" alone: the legacy back end, the faster of the two here
        # (the stricter comparison for xgate); both are given by name.
        res["connect_p99_us_iptables_10000"] = p99["iptables-legacy"].get(10000)
        res["connect_p99_us_iptables_legacy_10000"] = p99["iptables-legacy"].get(10000)
        res["connect_p99_us_iptables_nft_10000"] = p99["iptables-nft"].get(10000)
        for c in CONFIGS:
            res[f"connect_p50_us_{c.replace('-', '_')}_10000"] = p50[c].get(10000)
        # xgate over iptables at 10,000: runs of the same round, so no
        # reference is needed.
        res["connect_p50_vs_iptables_legacy_10000"] = ratio(p50["xgate"].get(10000),
                                                            p50["iptables-legacy"].get(10000))
        res["connect_p50_vs_iptables_nft_10000"] = ratio(p50["xgate"].get(10000),
                                                         p50["iptables-nft"].get(10000))
        first = lab_rows[0]["connect"]
        lab_counts = next((m["lab_counts"] for m in meta if "lab_counts" in m), "")
        asked_100k = "100000" in lab_counts.split(",")
        md.append("## 2. TCP connection setup to the last-added service, through the gateway\n")
        md.append("Lab (tools/lab.sh): client c1 -> gateway -> backends b1-b3, four labs side by "
                  "side: xgate attached to gw0/gw1 (no iptables rules); kube-proxy-style rules "
                  "in the gateway's nat table with iptables-legacy; the same rules with "
                  "iptables-nft (xgate not attached); and xgate with one service throughout, the "
                  f"reference.  One client process takes turns between the four gateways "
                  "connect by connect (each socket made in its lab's client namespace), "
                  f"{first['count']:,} connects to each a run (nonblocking connect until "
                  "writable, closed with RST), so whatever the machine does during a run it "
                  "does to all four.  Every count is measured on the way up and again on the way down "
                  "(xgate: services added, then removed; iptables: the N-service rule set "
                  "restored each time).  Medians over both visits' runs of each run's p50 and "
                  "p99, in us.\n")
        busy = {}
        for m in meta:
            if "busy_pct" in m:
                busy.setdefault(m["services"], []).append(m["busy_pct"])
        busy = {n: "/".join(str(b) for b in v) for n, v in busy.items()}
        md.append("| services | xgate p50 | xgate p99 | legacy p50 | legacy p99 | nft p50 "
                  "| nft p99 | reference p50 | p50 over 1 service: xgate / legacy / nft "
                  "| machine busy |")
        md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for n in counts:
            md.append(f"| {n:,} | " + " | ".join(
                f"{fmt(p50[c].get(n))} | {fmt(p99[c].get(n))}" for c in CONFIGS) +
                f" | {fmt(p50['xgate-ref'].get(n))} | " + " / ".join(
                    fmt(over1(c, n, rel), 2) for c in CONFIGS) +
                f" | {busy.get(n, '-')}% |")
        md.append("")
        md.append("*p50 over 1 service* compares counts measured minutes apart, so it goes "
                  "through the reference: the median of each run's p50 over the reference's p50 "
                  "in the same run, at N over the same at 1.  xgate against iptables at one "
                  "count needs no reference: their connects alternate.  Machine busy: both CPUs over "
                  "the runs of that row, up/down, this benchmark's own client and gateways "
                  "(about one CPU) included; the rest is other work on the shared machine, and "
                  "shows in the p99s.\n")
        res["machine_busy_pct_by_services"] = {str(n): b for n, b in busy.items()}
        line = []
        if res["connect_p50_ratio_100000"] is not None:
            line.append(f"xgate p50 at 100,000 services over its p50 at 1: "
                        f"**{res['connect_p50_ratio_100000']:.2f}x** (target: within 1.1x; raw "
                        f"medians {res['connect_p50_ratio_100000_raw']:.2f}x)")
        elif 1 in p50["xgate"]:
            line.append("xgate at 100,000 services: " +
                        ("not measured (see notes)" if asked_100k else "not in this run's counts"))
        for c in CONFIGS:
            big = max(rel[c]) if rel[c] else None
            if c == "xgate" and big == 100000 and res["connect_p50_ratio_100000"] is not None:
                continue  # said above
            if big and big != 1 and over1(c, big, rel) is not None:
                line.append(f"{c} p50 at {big:,} services over 1: {over1(c, big, rel):.2f}x")
        if res["connect_p50_vs_iptables_legacy_10000"]:
            line.append(f"at 10,000 services xgate's p50 is "
                        f"{res['connect_p50_vs_iptables_legacy_10000']:.2f}x legacy's and "
                        f"{res['connect_p50_vs_iptables_nft_10000'] or 0:.2f}x nft's")
        md.append(";  \n".join(line) + ".\n")
        with open(prefix + ".dat", "w") as f:
            f.write("# services xgate_p50 legacy_p50 nft_p50 (through the reference)\n")
            for n in counts:
                f.write(f"{n} " + " ".join(
                    "?" if cp50[c].get(n) is None else f"{cp50[c][n]:.2f}" for c in CONFIGS) + "\n")
            f.write("\n\n# services ns_per_packet\n")
            for r in measured:
                f.write(f"{r['services']} {corr[r['services']]:.1f}\n")
    elif measured:
        with open(prefix + ".dat", "w") as f:
            f.write("# services xgate_p50 legacy_p50 nft_p50\n1 ? ? ?\n\n\n# services ns\n")
            for r in measured:
                f.write(f"{r['services']} {corr[r['services']]:.1f}\n")

    # ---- part 3: add / remove one service at 10,000 ----
    ns10k = next((r for r in measured if r["services"] == 10000), None)
    churn = [m for m in meta if m.get("op") == "churn"]
    if ns10k or churn:
        md.append("## 3. Adding and removing one service when 10,000 exist\n")
        md.append("| how | add one | remove one | full restore |")
        md.append("|---|---:|---:|---:|")
    if ns10k:
        res["add_ms_10000"] = round(ns10k["add_us"] / 1000, 4)
        res["remove_ms_10000"] = round(ns10k["remove_us"] / 1000, 4)
        md.append(f"| xgate services API (xg_service_put / xg_service_del), median of "
                  f"{ns10k['churn_samples']} | {ns10k['add_us'] / 1000:.3f} ms | "
                  f"{ns10k['remove_us'] / 1000:.3f} ms | - |")
    if churn:
        ipt = {}
        for b in ("legacy", "nft"):
            rows = [m for m in churn if m["config"] == f"iptables-{b}"]
            if rows:
                ipt[b] = {"add_noflush": med(m["add_ms"] for m in rows),
                          "remove_noflush": med(m["remove_ms"] for m in rows),
                          "full_restore": med(m["full_restore_ms"] for m in rows),
                          "samples": len(rows)}
                md.append(f"| iptables-{b}-restore --noflush (one service's chains and rules), "
                          f"median of {len(rows)} | {ipt[b]['add_noflush']:,.0f} ms | "
                          f"{ipt[b]['remove_noflush']:,.0f} ms | "
                          f"{ipt[b]['full_restore']:,.0f} ms |")
        res["iptables_ms_10000"] = ipt
        # The figure to hold add_ms_10000 against: iptables-restore
        # --noflush adding one service, legacy back end.
        if "legacy" in ipt:
            res["iptables_restore_ms_10000"] = ipt["legacy"]["add_noflush"]
        if "nft" in ipt:
            res["iptables_nft_restore_ms_10000"] = ipt["nft"]["add_noflush"]
    if ns10k or churn:
        md.append("")
        if ns10k and "add_us_by_services" in res:
            md.append("xgate add one / remove one by service count (us): " + ", ".join(
                f"{int(n):,}: {a:.0f} / {res['remove_us_by_services'][n]:.0f}"
                for n, a in res["add_us_by_services"].items()) + " (target: under 1 ms and "
                "independent of N).  iptables times include starting iptables-restore.\n")
    setup = [m for m in meta if m.get("op") == "setup_restore"]
    if setup:
        res["iptables_setup_restore_ms"] = {
            m["config"]: {} for m in setup}
        for m in setup:
            if m.get("visit", "up") == "up":
                res["iptables_setup_restore_ms"][m["config"]][str(m["services"])] = m["ms"]
        pops = [m for m in meta if "populate" in m and m.get("visit", "up") == "up"]
        md.append("Loading the service set in the lab, on the way up: "
                  + "; ".join(f"{c} " + ", ".join(f"{int(n):,}: {v / 1000:.1f} s" for n, v in d.items())
                              for c, d in res["iptables_setup_restore_ms"].items())
                  + ("; xgate (lb_populate, adding to the previous count) " + ", ".join(
                      f"{m['services']:,}: {m['populate']['seconds']:.1f} s" for m in pops)
                     if pops else "") + ".\n")

    ipt_max = next((m["ipt_max"] for m in meta if "ipt_max" in m), None)
    if ipt_max is not None and lab_rows and max(r["services"] for r in lab_rows) > ipt_max:
        notes.append(f"iptables rule sets above {ipt_max:,} services are not loaded (--ipt-max): "
                     "tried once on this machine, 100,000 services took iptables-nft-restore "
                     "521 s to load, and iptables-legacy-restore failed at COMMIT after 157 s.")
    notes.append("Both parts send every flow to one service, as the chart this reproduces "
                 "does: its entries (service, Maglev slot, backend) stay in cache.  Traffic "
                 "spread over many services would add a few cache misses a packet on those "
                 "tables (one entry each, whatever N is); neither part measures that.")
    notes.append("Part 1's method, and why: a new flow's cost is mostly cache and TLB misses "
                 "in the conntrack and svcflow tables.  On this VM two instances of the same "
                 "datapath differed by up to 2x (hence one datapath for all counts); flow "
                 "tables emptied by a batch delete hand out elements all over their memory and "
                 "cost 1.5-3.5 us a flow against 0.9 fresh, and tables left to fill up made each "
                 "count slower than the one before (hence each count's flows undone, newest "
                 "first, which restores the tables' free lists); and other tenants' work moves "
                 "the cost by 2x in minutes (hence the reference beside every run).  See "
                 "bench/src/lb_scaling_ns.c.")
    notes.append("Noise on this machine: up to 30% between runs; compare figures of one run.")
    md.append("## Notes\n")
    md += [f"- {n}" for n in notes]
    res["notes"] = notes

    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    with open(prefix + ".json", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
