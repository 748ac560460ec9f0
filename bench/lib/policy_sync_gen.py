#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The background documents of bench/policy_sync: P Cilium network
policies over E endpoints, as files for the file kvstore or as keys in
etcd (through its JSON gateway, 128 puts a transaction).

  policy_sync_gen.py --policies P --endpoints E --dir DIR
  policy_sync_gen.py --policies P --endpoints E --etcd URL [--prefix /xgate/v1/]

The shape is a cluster's: endpoints come in apps of 10 replicas (one
label set, so one identity, per app), apps spread over namespaces, and
policy i protects app i % apps.  Most policies allow one app in on one
port from another app of the namespace; a share of them also use what
makes the compiler work harder: CIDR egress (CIDR identities), deny
sections, named ports, matchExpressions, L7 HTTP rules and entities.
Every value is a function of the index, so a size always gives the same
documents.

Files: DIR/endpoints/eps-NNNN.yaml (1,000 endpoints each) and
DIR/policies/NS/pol-NNNNN.yaml (one policy each, as a policy is one key
in etcd).  etcd keys: PREFIX + endpoints/<ip> and policies/<ns>/<name>,
the key layout of DESIGN.md.

The probe (bench/src/policy_sync_probe.c) updates one more policy,
bench-probe in namespace ns-0, selecting app-0 and allowing app-<nss>
in: `--describe` prints those names as JSON.
"""
import argparse
import base64
import http.client
import json
import os
import sys
import urllib.parse

REPLICAS = 10
EPS_PER_FILE = 1000


def shape(policies, endpoints):
    apps = max(1, endpoints // REPLICAS)
    # every namespace holds the same number of apps, so app k and
    # app k + nss share one (a namespaced policy selects in its own)
    nss = max(1, apps // 100)
    while apps % nss:
        nss -= 1
    return apps, nss


def ep_addr(k):
    n = k + 1
    return "10.%d.%d.%d" % ((n >> 16) & 255, (n >> 8) & 255, n & 255)


def endpoint_doc(k, apps, nss):
    app = (k // REPLICAS) % apps
    addrs = [ep_addr(k)]
    if k % 10 == 0:  # one in ten is dual-stack
        addrs.append("fd00:10::%x:%x" % ((k + 1) >> 16, (k + 1) & 0xffff))
    return ("apiVersion: xgate.io/v1\nkind: Endpoint\n"
            "metadata: {name: ep-%d, namespace: ns-%d}\n"
            "spec:\n  addresses: [%s]\n"
            "  labels: {app: app-%d, tier: t%d, team: team-%d}\n"
            "  ports: [{name: http, port: 8080}]\n"
            % (k, app % nss, ", ".join('"%s"' % a for a in addrs), app,
               app % 3, app % 37))


def policy_doc(i, apps, nss):
    s = i % apps
    ns = s % nss
    p = (s + nss) % apps  # a peer in the same namespace
    q = (s + 2 * nss) % apps
    port = 8000 + i % 200
    frm = "{matchLabels: {app: app-%d}}" % p
    if i % 25 == 5:
        frm = ("{matchExpressions: [{key: app, operator: In, "
               "values: [app-%d, app-%d]}]}" % (p, q))
    lines = ["apiVersion: cilium.io/v2", "kind: CiliumNetworkPolicy",
             "metadata: {name: pol-%d, namespace: ns-%d}" % (i, ns),
             "spec:",
             "  endpointSelector: {matchLabels: {app: app-%d}}" % s,
             "  ingress:",
             "  - fromEndpoints: [%s]" % frm,
             "    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]" % port]
    if i % 20 == 11:
        lines.append("  - fromEndpoints: [{matchLabels: {app: app-%d}}]" % q)
        lines.append("    toPorts: [{ports: [{port: http}]}]")
    if i % 50 == 13:
        lines.append("  - fromEndpoints: [{matchLabels: {app: app-%d}}]" % q)
        lines.append("    toPorts: [{ports: [{port: \"80\", protocol: TCP}],"
                     " rules: {http: [{method: GET, path: \"/api/v1/.*\"}]}}]")
    if i % 100 == 17:
        lines.append("  - fromEntities: [host, remote-node]")
    if i % 20 == 7:
        lines.append("  ingressDeny:")
        lines.append("  - fromEndpoints: [{matchLabels: {app: app-%d}}]" % q)
        lines.append("    toPorts: [{ports: [{port: \"22\", protocol: TCP}]}]")
    if i % 10 == 3:
        lines.append("  egress:")
        lines.append("  - toCIDR: [\"172.%d.%d.%d/28\"]"
                     % (16 + (i >> 16) % 16, (i >> 8) & 255, (i & 15) << 4))
        lines.append("    toPorts: [{ports: [{port: \"443\", protocol: TCP}]}]")
        lines.append("  - toEndpoints: [{matchLabels: {app: app-%d}}]" % p)
    return "\n".join(lines) + "\n", "ns-%d" % ns, "pol-%d" % i


def write_files(args, apps, nss):
    os.makedirs(os.path.join(args.dir, "endpoints"), exist_ok=True)
    for f in range(0, args.endpoints, EPS_PER_FILE):
        docs = [endpoint_doc(k, apps, nss)
                for k in range(f, min(args.endpoints, f + EPS_PER_FILE))]
        path = os.path.join(args.dir, "endpoints", "eps-%04d.yaml" % (f // EPS_PER_FILE))
        with open(path, "w") as out:
            out.write("---\n".join(docs))
    for i in range(args.policies):
        text, ns, name = policy_doc(i, apps, nss)
        d = os.path.join(args.dir, "policies", ns)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".yaml"), "w") as out:
            out.write(text)


def b64(s):
    return base64.b64encode(s.encode()).decode()


def write_etcd(args, apps, nss):
    u = urllib.parse.urlparse(args.etcd)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    batch = []

    def flush():
        if not batch:
            return
        body = json.dumps({"success": [{"request_put": {"key": b64(k), "value": b64(v)}}
                                       for k, v in batch]})
        conn.request("POST", "/v3/kv/txn", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        if r.status != 200 or b'"succeeded":true' not in data.replace(b" ", b""):
            sys.exit("policy_sync_gen: etcd txn failed: %d %s" % (r.status, data[:200]))
        batch.clear()

    def put(k, v):
        batch.append((k, v))
        if len(batch) == 128:  # etcd's default --max-txn-ops
            flush()

    for k in range(args.endpoints):
        put("%sendpoints/%s" % (args.prefix, ep_addr(k)), endpoint_doc(k, apps, nss))
    for i in range(args.policies):
        text, ns, name = policy_doc(i, apps, nss)
        put("%spolicies/%s/%s" % (args.prefix, ns, name), text)
    flush()
    conn.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", type=int, required=True)
    ap.add_argument("--endpoints", type=int, required=True)
    ap.add_argument("--dir")
    ap.add_argument("--etcd")
    ap.add_argument("--prefix", default="/xgate/v1/")
    ap.add_argument("--describe", action="store_true")
    args = ap.parse_args()
    apps, nss = shape(args.policies, args.endpoints)
    if args.policies > apps:
        # two policies on one app could meet with two L7 rulesets on
        # one port, which the compiler refuses
        sys.exit("policy_sync_gen: at most one policy per app (%d apps)" % apps)
    if args.describe:
        print(json.dumps({"apps": apps, "namespaces": nss, "probe_ns": "ns-0",
                          "probe_subject": "app-0", "probe_peer": "app-%d" % (nss % apps)}))
    if args.dir:
        write_files(args, apps, nss)
    if args.etcd:
        write_etcd(args, apps, nss)


if __name__ == "__main__":
    main()
