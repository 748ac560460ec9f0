#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns bench/l7's raw figures into the results table (.md), the figures
the issue names (.json) and the data of the plot (gnuplot, bench/lib/l7.gp).

argv: raw.jsonl OUT_PREFIX DAT
raw.jsonl: one object per line, "kind" saying which:
  allowed, denied  one wrk run: mode, round, seconds, wrk (its summary:
                   requests, duration_us, p50_us, p99_us, errors...),
                   gw_cpu_s (xgated's or HAProxy's CPU time in the run),
                   nginx_cpu_s, busy_pct (whole machine), stalled_conns
                   (the client's connections that had received nothing
                   for over a second, looked at once, 80% into the run)
  check            a mode's correctness check passed (deny_closes: the
                   403 came with "connection: close")
  idle             a gateway process's CPU share with no traffic
  matcher          $BUILD/bench/l7_matcher --json's object
  meta             command, machine, settings
"""
import json
import statistics
import sys

MODES = ("direct", "xgate", "haproxy")
# haproxy_close: HAProxy's frontend with `option httpclose`, timed on
# refusals only; its 403 closes the connection as xgate's must, so it is
# the like-for-like comparison of a refusal (not a target of the issue)
DENIERS = ("xgate", "haproxy", "haproxy_close")
ENGINE_FLOWS = (1, 50, 10000)
# the issue's targets
T_XGATE_DIRECT = 0.9
T_XGATE_HAPROXY = 1.25
T_MATCHER = 2.0


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def rnd(x, n=3):
    return None if x is None else round(x, n)


def run_fig(r):
    w = r["wrk"]
    secs = w["duration_us"] / 1e6
    errs = w["connect_errors"] + w["read_errors"] + w["write_errors"] + w["timeouts"]
    return {
        "round": r["round"],
        "rps": w["requests"] / secs,
        "p50_ms": w["p50_us"] / 1000,
        "p90_ms": w["p90_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "max_ms": w["max_us"] / 1000,
        "requests": w["requests"],
        "non2xx": w["status_errors"],
        "socket_errors": errs,
        "timeouts": w["timeouts"],
        # direct has no gateway process (kernel forwarding only)
        "gw_cpu_us_per_req": (r["gw_cpu_s"] * 1e6 / w["requests"])
        if w["requests"] and r["mode"] != "direct" else None,
        "nginx_cpu_us_per_req": (r["nginx_cpu_s"] * 1e6 / w["requests"]) if w["requests"] else None,
        "busy_pct": r["busy_pct"],
        "stalled_conns": r.get("stalled_conns"),
    }


def fmt(x, spec):
    return "n/a" if x is None else format(x, spec)


def main():
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    prefix, dat = sys.argv[2], sys.argv[3]
    meta = next(r for r in rows if r["kind"] == "meta")
    active = meta["modes"]
    runs = {"allowed": {m: [] for m in MODES}, "denied": {m: [] for m in MODES + DENIERS}}
    for r in rows:
        if r["kind"] in runs:
            runs[r["kind"]][r["mode"]].append(run_fig(r))
    checks = {r["mode"]: r for r in rows if r["kind"] == "check"}
    idle = {r["mode"]: r["cpu_pct"] for r in rows if r["kind"] == "idle"}
    matcher = next((r["result"] for r in rows if r["kind"] == "matcher"), {})
    engine = next((r["result"] for r in rows if r["kind"] == "engine"), {})

    res = {"command": meta["command"], "date": meta["date"], "kernel": meta["kernel"],
           "nproc": meta["nproc"], "cpu": meta["cpu"], "runtime_s": meta["seconds"],
           "quick": bool(meta["quick"]), "rounds": meta["rounds"],
           "allowed_seconds": meta["allowed_s"], "denied_seconds": meta["denied_s"],
           "wrk": meta["wrk"], "haproxy_nbthread": meta["haproxy_nbthread"],
           "xgate_xdp_mode": meta.get("xgate_xdp_mode", "native"),
           "xgate_busy_poll": meta.get("xgate_busy_poll", False),
           "modes_run": active, "versions": meta["versions"], "urls": meta["urls"],
           "loadavg_before": meta["loadavg_before"], "loadavg_after": meta["loadavg_after"],
           "xgate_fastpath_status": meta.get("xgate_fastpath_status"),
           "xgate_log": meta.get("xgate_log")}
    agg = {}
    for m in MODES:
        v = runs["allowed"][m]
        agg[m] = {k: med([x[k] for x in v]) if v else None
                  for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "gw_cpu_us_per_req",
                            "nginx_cpu_us_per_req", "busy_pct")}
        agg[m]["non2xx"] = sum(x["non2xx"] for x in v) if v else None
        agg[m]["socket_errors"] = sum(x["socket_errors"] for x in v) if v else None
        agg[m]["requests"] = sum(x["requests"] for x in v) if v else None
        agg[m]["stalled"] = sum(x["stalled_conns"] or 0 for x in v) if v else None
        res[f"rps_{m}"] = rnd(agg[m]["rps"], 0)
        res[f"p50_ms_{m}"] = rnd(agg[m]["p50_ms"])
        res[f"p99_ms_{m}"] = rnd(agg[m]["p99_ms"])
        res[f"non2xx_{m}"] = agg[m]["non2xx"]
        res[f"socket_errors_{m}"] = agg[m]["socket_errors"]
        res[f"stalled_conns_{m}"] = agg[m]["stalled"]
    for m in ("xgate", "haproxy"):
        res[f"gw_cpu_us_per_req_{m}"] = rnd(agg[m]["gw_cpu_us_per_req"], 2)
        res[f"idle_cpu_pct_{m}"] = idle.get(m)
    dagg = {}
    for m in DENIERS:
        v = runs["denied"][m]
        dagg[m] = {k: med([x[k] for x in v]) if v else None
                   for k in ("rps", "p50_ms", "p99_ms", "gw_cpu_us_per_req")}
        dagg[m]["answers"] = sum(x["requests"] for x in v) if v else None
        dagg[m]["socket_errors"] = sum(x["socket_errors"] for x in v) if v else None
        dagg[m]["stalled"] = sum(x["stalled_conns"] or 0 for x in v) if v else None
        res[f"deny_stalled_conns_{m}"] = dagg[m]["stalled"]
        res[f"deny_rps_{m}"] = rnd(dagg[m]["rps"], 0)
        res[f"deny_p50_ms_{m}"] = rnd(dagg[m]["p50_ms"])
        res[f"deny_p99_ms_{m}"] = rnd(dagg[m]["p99_ms"])
        res[f"deny_socket_errors_{m}"] = dagg[m]["socket_errors"]
        res[f"deny_closes_connection_{m}"] = checks[m]["deny_closes"] if m in checks else None
        # every answer of a denied run must be a non-2xx (the 403 checked
        # before timing); a 2xx there would be a policy hole
        res[f"deny_2xx_{m}"] = (sum(x["requests"] - x["non2xx"] for x in v) if v else None)

    # Ratios: per round (the modes of one round ran back to back), then
    # the median of the rounds'; the ratio of the medians is kept too.
    def ratio(a, b, kind="allowed", key="rps"):
        ra = {x["round"]: x[key] for x in runs[kind][a]}
        rb = {x["round"]: x[key] for x in runs[kind][b]}
        per = [ra[k] / rb[k] for k in sorted(ra) if k in rb and rb[k]]
        return med(per), per

    for a, b in (("xgate", "direct"), ("xgate", "haproxy"), ("haproxy", "direct")):
        r, per = ratio(a, b)
        res[f"ratio_{a}_{b}"] = rnd(r)
        res[f"ratio_{a}_{b}_per_round"] = [round(x, 3) for x in per]
        ma, mb = agg[a]["rps"], agg[b]["rps"]
        res[f"ratio_{a}_{b}_of_medians"] = rnd(ma / mb) if ma and mb else None
    for k in ("matcher_ns_1", "matcher_ns_100", "matcher_ns_10000"):
        res[k] = matcher.get(k)
    if meta["matcher_note"]:
        res["matcher_note"] = meta["matcher_note"]
    for n in ENGINE_FLOWS:
        res[f"engine_ns_{n}"] = engine.get(f"engine_ns_{n}")
    if meta.get("engine_note"):
        res["engine_note"] = meta["engine_note"]

    # targets
    def tgt(ok):
        return None if ok is None else bool(ok)

    x, d, h = agg["xgate"], agg["direct"], agg["haproxy"]
    dx, dh = dagg["xgate"], dagg["haproxy"]
    m1, m4 = res["matcher_ns_1"], res["matcher_ns_10000"]
    targets = [
        ("xgate req/s >= 0.9x direct", "ratio_xgate_direct",
         res["ratio_xgate_direct"], f">= {T_XGATE_DIRECT}",
         tgt(None if res["ratio_xgate_direct"] is None else res["ratio_xgate_direct"] >= T_XGATE_DIRECT)),
        ("xgate req/s >= 1.25x HAProxy", "ratio_xgate_haproxy",
         res["ratio_xgate_haproxy"], f">= {T_XGATE_HAPROXY}",
         tgt(None if res["ratio_xgate_haproxy"] is None else res["ratio_xgate_haproxy"] >= T_XGATE_HAPROXY)),
        ("xgate p99 no worse than HAProxy's", "p99_ms_xgate",
         res["p99_ms_xgate"], f"<= {fmt(res['p99_ms_haproxy'], '.3f')} ms",
         tgt(None if x["p99_ms"] is None or h["p99_ms"] is None else x["p99_ms"] <= h["p99_ms"])),
        ("denied p99 <= HAProxy's", "deny_p99_ms_xgate",
         res["deny_p99_ms_xgate"], f"<= {fmt(res['deny_p99_ms_haproxy'], '.3f')} ms",
         tgt(None if dx["p99_ms"] is None or dh["p99_ms"] is None else dx["p99_ms"] <= dh["p99_ms"])),
        ("matcher at 10,000 rules within 2x of 1 rule", "matcher_ns_10000",
         m4, f"<= {fmt(None if m1 is None else T_MATCHER * m1, '.1f')} ns",
         tgt(None if m1 is None or m4 is None else m4 <= T_MATCHER * m1)),
    ]
    # A figure measured with errors (non-2xx in the allowed runs, socket
    # errors, stalled connections) is no figure: its target is missed.
    def errs(m, kind="allowed"):
        a = agg[m] if kind == "allowed" else dagg[m]
        if a["rps"] is None:
            return 0
        n = (a["socket_errors"] or 0) + (a["stalled"] or 0)
        if kind == "allowed":
            n += a["non2xx"] or 0
        return n

    uses = [("xgate", "direct"), ("xgate", "haproxy"),
            ("xgate", "haproxy"), ("d:xgate", "d:haproxy"), ()]
    checked = []
    for (what, key, val, want, ok), ms in zip(targets, uses):
        bad = sum(errs(m[2:], "denied") if m.startswith("d:") else errs(m) for m in ms)
        note = ""
        if ok is not None and bad:
            ok, note = False, f"measured with {bad} errors/stalled connections"
        checked.append((what, key, val, want, ok, note))
    targets = checked
    res["targets_met"] = {k: ok for _, k, _, _, ok, _ in targets}
    if meta.get("checks_failed"):
        # the lab's figures are no figures; the matcher alone still is
        res["checks_failed"] = meta["checks_failed"]
        res["targets_met"] = {k: (v if k.startswith("matcher") else None)
                              for k, v in res["targets_met"].items()}

    res["runs"] = {k: {m: v for m, v in runs[k].items() if v} for k in runs}
    for k in res["runs"]:
        for m in res["runs"][k]:
            res["runs"][k][m] = [{kk: (round(vv, 4) if isinstance(vv, float) else vv)
                                  for kk, vv in r.items()} for r in res["runs"][k][m]]

    # ---- markdown
    md = ["# bench/l7: the L7 fast path against direct forwarding and HAProxy\n",
          f"Command: `{meta['command']}`  ",
          f"Machine: kernel {meta['kernel']}, nproc {meta['nproc']}, CPU {meta['cpu']}  ",
          f"Date: {meta['date']}; run time {meta['seconds']} s; load average before / after: "
          f"{meta['loadavg_before']} / {meta['loadavg_after']}  ",
          f"Versions: {meta['versions']['nginx']}; {meta['versions']['haproxy']}; "
          f"{meta['versions']['wrk']}\n"]
    if meta.get("checks_failed"):
        md.append("**CHECKS FAILED: run with --force; these are not benchmark figures.**\n")
        for c in meta["checks_failed"]:
            md.append(f"- {c}")
        md.append("")
    missing = [m for m in MODES if m not in active]
    if missing:
        md.append(f"**Modes not run: {', '.join(missing)}** (their figures are n/a, their "
                  "targets not measured).\n")
    md.append("## Checks before timing\n")
    md.append("Every mode run: GET /public/small is a 200 with nginx's file byte for byte; "
              "three GETs on one keep-alive connection are three 200s over one connection; "
              "GET /admin/x is a 403 (xgate: body `Access denied\\r\\n`; direct: a 200, nginx "
              "serves it); a new connection from the client port of one just closed (0.2 s "
              "later, after an allowed and after a denied request) is answered. "
              + ("**Failed: see above.**" if meta.get("checks_failed") else "All passed.") + "\n")
    md.append(f"## Allowed requests: GET /public/small ({meta['small_bytes']}-byte file)\n")
    md.append(f"wrk {meta['wrk']} from c1, {meta['rounds']} rounds x {meta['allowed_s']} s per "
              "mode, the modes taking turns (order rotated every round). Medians over the rounds; "
              "the ratio is the median of the per-round ratios.\n")
    md.append("| mode | req/s | vs direct | p50 ms | p90 ms | p99 ms | non-2xx | socket errors "
              "| stalled conns | gateway CPU us/req | nginx CPU us/req | machine busy % |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in MODES:
        a = agg[m]
        if a["rps"] is None:
            md.append(f"| {m} | not run | | | | | | | | | | |")
            continue
        vs = "1.00" if m == "direct" else fmt(res.get(f"ratio_{m}_direct"), ".2f")
        md.append(f"| {m} | {a['rps']:,.0f} | {vs} | {a['p50_ms']:.3f} | {a['p90_ms']:.3f} | "
                  f"{a['p99_ms']:.3f} | {a['non2xx']} | {a['socket_errors']} | {a['stalled']} | "
                  f"{'-' if m == 'direct' else fmt(a['gw_cpu_us_per_req'], '.1f')} | "
                  f"{fmt(a['nginx_cpu_us_per_req'], '.1f')} | {fmt(a['busy_pct'], '.0f')} |")
    md.append("")
    md.append("Per round, req/s:\n")
    md.append("| mode | " + " | ".join(f"round {i}" for i in range(meta["rounds"])) + " |")
    md.append("|---|" + "---:|" * meta["rounds"])
    for m in MODES:
        if runs["allowed"][m]:
            md.append(f"| {m} | " + " | ".join(f"{x['rps']:,.0f}" for x in runs["allowed"][m]) + " |")
    md.append("")

    md.append("## Denied requests: GET /admin/x (nginx serves it: 200 without policy)\n")
    md.append(f"wrk {meta['wrk']}, {meta['rounds']} rounds x {meta['denied_s']} s per mode, in the "
              "same rounds as the allowed runs. Every answer is the 403 (checked before timing); "
              "wrk's latency is from writing the request to reading the answer, so it leaves "
              "out the reconnect that follows an answer with `connection: close`.\n")
    md.append("| mode | 403/s | p50 ms | p99 ms | 2xx answers | socket errors | stalled conns "
              "| answer closes the connection | gateway CPU us/answer |")
    md.append("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for m in DENIERS:
        a = dagg[m]
        if a["rps"] is None:
            if m != "haproxy_close":
                md.append(f"| {m} | not run | | | | | | | |")
            continue
        cl = res[f"deny_closes_connection_{m}"]
        md.append(f"| {m if m != 'haproxy_close' else 'haproxy, closing'} | "
                  f"{a['rps']:,.0f} | {a['p50_ms']:.3f} | {a['p99_ms']:.3f} | "
                  f"{res[f'deny_2xx_{m}']} | {a['socket_errors']} | {a['stalled']} | "
                  f"{'yes' if cl else 'no'} | {fmt(a['gw_cpu_us_per_req'], '.1f')} |")
    md.append("")
    if dagg["haproxy_close"]["rps"] is not None:
        md.append("\"haproxy, closing\" is the same HAProxy frontend with `option httpclose`: "
                  "its 403 closes the connection, as xgate's must (xgate resets the server side "
                  "of a refused flow, as the issue asks, so the client's connection cannot go "
                  "on), and wrk reconnects after every answer in both. It is there for "
                  "comparison; the target compares with HAProxy's keep-alive refusal above.\n")
    md.append("## The matcher alone\n")
    if matcher:
        md.append("| rules | ns per match |")
        md.append("|---:|---:|")
        for n in (1, 100, 10000):
            md.append(f"| {n:,} | {fmt(matcher.get(f'matcher_ns_{n}'), '.1f')} |")
        md.append("")
    else:
        md.append(f"Not measured: {meta['matcher_note'] or 'no result'}. "
                  "matcher_ns_* are null in the JSON.\n")

    md.append("## The flow engine alone\n")
    if engine:
        md.append("`bench/l7_engine`: allowed requests (GET /public/small, one segment each) on "
                  "keep-alive flows taken in turn, straight into the engine: flow lookup, "
                  "reassembly, parsing, normalising, matching, the verdict's event, the copy out. "
                  "No kernel: XDP, the AF_XDP copies and the worker's wakeup are what the lab adds. "
                  "Median of 5 runs of the mean over 200,000 requests, thread CPU time.\n")
        md.append("| flows | ns per request |")
        md.append("|---:|---:|")
        for n in ENGINE_FLOWS:
            md.append(f"| {n:,} | {fmt(engine.get(f'engine_ns_{n}'), '.1f')} |")
        md.append("")
    else:
        md.append(f"Not measured: {meta.get('engine_note') or 'no result'}.\n")

    md.append("## Targets\n")
    md.append("| target | figure | value | wanted | met |")
    md.append("|---|---|---:|---:|---|")
    for what, key, val, want, ok, note in targets:
        if meta.get("checks_failed") and not key.startswith("matcher"):
            met = "not judged: checks failed"
        else:
            met = "not measured" if ok is None else ("met" if ok else "**missed**")
        if note:
            met += f" ({note})"
        md.append(f"| {what} | {key} | {fmt(val, '.3f')} | {want} | {met} |")
    md.append("")
    md.append("\"stalled conns\": the client's connections to the target that had received "
              "nothing for over a second, counted once per run 80% into it (`ss -ti`, lastrcv), "
              "summed over the rounds. A live wrk connection gets an answer every few ms; wrk "
              "itself does not count a connection that never gets one (its timeout count stays "
              "0), it just measures with fewer connections. A target whose figures were "
              "measured with non-2xx answers, socket errors or stalled connections is missed.\n")

    md.append("## What each mode is\n")
    md.append(
        f"- **direct**: c1 -> `{meta['urls']['direct']}`: nginx on b1, through the gateway "
        "namespace with plain Linux forwarding; no XDP program, no proxy. The ceiling.\n"
        f"- **xgate**: c1 -> `{meta['urls']['xgate']}` on a second lab built the same way, "
        f"xgated on the gateway legs gw0/gw1 ({meta.get('xgate_xdp_mode', 'native')} XDP: "
        + ("every frame here reaches the gateway as an skb from a kernel stack, and native XDP "
           "on veth copies each into a page of its own first; on a NIC with an XDP driver "
           "native is the mode to use" if meta.get('xgate_xdp_mode') == 'generic' else
           "on veth each frame is first copied into a page of its own; `--xdp-mode generic` "
           "avoids that") + "), file kvstore holding "
        "config/examples/endpoints.yaml and one CiliumNetworkPolicy: b1 (class: deathstar) "
        "admits c1 (class: tiefighter) on 80/TCP with `rules: http: [{method: GET, path: "
        "/public/.*}]`. Every segment of the client's that carries bytes (or ends the stream) "
        "goes over AF_XDP (copy mode: veth has no zero-copy) to the fast path in xgated (`fastpath = { enabled = true; queues = 1; "
        f"busy_poll = {'true' if meta.get('xgate_busy_poll') else 'false'}; }}`), which judges each request and forwards or answers 403; SYNs, bare ACKs and the server's answers stay in XDP.\n"
        f"- **haproxy**: c1 -> `{meta['urls']['haproxy']}`: HAProxy in the gateway namespace, "
        "`mode http`, `acl allowed method GET`, `acl allowed_path path_reg ^/public/.*$`, "
        "`http-request deny deny_status 403 unless allowed allowed_path`, server b1:80; "
        f"nbthread {meta['haproxy_nbthread']} (xgate runs one fast-path worker; on 2 vCPUs "
        "shared with wrk and nginx a second thread adds contention, not capacity); "
        "timeouts connect 5 s, client and server 30 s; keep-alive both sides (HAProxy's "
        "default).\n"
        "- nginx 1 worker, access log off, keepalive_requests 1,000,000, on b1 in both labs.\n"
        "- Everything (wrk's 2 threads, nginx, the gateway) shares the same 2 vCPUs: req/s "
        "here measures what each gateway costs in CPU per request as much as its latency. "
        "\"gateway CPU\" is xgated's (all threads) or HAProxy's user+system time over the "
        "run divided by the requests; kernel forwarding (direct, and the XDP/softirq part of "
        "xgate) is not in it.\n")
    if idle:
        poll = ("xgate busy polling" if meta.get("xgate_busy_poll") else "no busy polling")
        if meta.get("xgate_busy_poll"):
            md.append("xgate's worker busy polls in this run (`--busy-poll`): it spins on its rings "
                      "and takes a core of the two that wrk and nginx share with it. xgated is "
                      "stopped (SIGSTOP) while the other modes run, so they run as without it.\n")
        md.append(f"Idle CPU of the gateway processes (no traffic, before the runs; {poll}): " +
                  ", ".join(f"{m} {v:.1f}%" for m, v in idle.items()) + ".\n")

    with open(prefix + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    with open(prefix + ".json", "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")

    # ---- plot data: mode, req/s (median, min, max), p99 (median, min,
    # max), denied p99 (median, min, max); "?" where not measured
    with open(dat, "w") as f:
        f.write("# mode rps rps_min rps_max p99 p99_min p99_max dp99 dp99_min dp99_max\n")
        for m in MODES:
            v = runs["allowed"][m]
            dv = runs["denied"].get(m, [])
            cols = [m]
            for src, k in ((v, "rps"), (v, "p99_ms"), (dv, "p99_ms")):
                xs = [x[k] for x in src]
                if xs:
                    cols += [f"{statistics.median(xs):.4f}", f"{min(xs):.4f}", f"{max(xs):.4f}"]
                else:
                    cols += ["?", "?", "?"]
            f.write(" ".join(cols) + "\n")


if __name__ == "__main__":
    main()
