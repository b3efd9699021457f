#!/usr/bin/env python3
"""The simulated cluster, measured: many nodes pulling one image at once.

  bench/fleet/measure.py [--nodes 1,2,4,8] [--paths direct,cache] [--mirror-down 4]
  bench/fleet/measure.py --report          (docs/fleet.md from bench/results/fleet.json)

For each node count N and path, a fresh fleet (bench/fleet/up N: N network namespaces, each with its
own containerd, overlaybd-snapshotter and rpulld; the origin behind one shaped uplink; a cold
pull-through cache), then every node's rpulld pulls the fleet image at the same moment, handed
over through its agent socket as `rpull --download-blobs` does:
  direct  each node from the origin
  cache   each node through the distribution 2.8 pull-through cache (hosts.toml mirror, origin fallback)
  cache-v3  the same through distribution v3's
A row records the time until every node has the whole image, each node's time, the bytes the
origin served (its access log) and what each node fetched. A row checks itself and is refused,
not written, unless every node ended complete (ctr images check), each fetched the whole image
(a cold pull) and the origin's log saw the run. --mirror-down N: the cache path with the cache
stopped mid-run; every node must still complete, from the origin.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(ROOT, "bench", "results", "fleet.json")
DOC = os.path.join(ROOT, "docs", "fleet.md")
PLOT = os.path.join(ROOT, "docs", "fleet.png")
BLOB_GET = re.compile(r'"GET /v2/[^ ]+/blobs/(sha256:[0-9a-f]{64})[^"]*" (200|206) (\d+)')


def origin_bytes(lines):
    """Blob bytes an access log (combined format) shows served with 200/206, by digest."""
    served = {}
    for line in lines:
        m = BLOB_GET.search(line)
        if m:
            served[m.group(1)] = served.get(m.group(1), 0) + int(m.group(3))
    return served


def check_row(row, image_bytes):
    """Why a row must not be printed, or None. Every node complete, every pull cold, the origin seen."""
    if len(row["nodes"]) != row["n"]:
        return f"{len(row['nodes'])} node results for {row['n']} nodes"
    for node in row["nodes"]:
        if not node["complete"]:
            return f"node {node['node']} did not end complete: {node['detail']}"
        if node["bytes_fetched"] < image_bytes:
            return f"node {node['node']} fetched {node['bytes_fetched']} of {image_bytes}: not a cold pull"
    if row["origin_bytes"] <= 0:
        return "the origin's log shows nothing served: the run was not seen"
    return None


def summarize(row):
    seconds = sorted(n["seconds"] for n in row["nodes"])
    return {"all_done_s": max(seconds), "p50_s": statistics.median(seconds), "max_s": max(seconds)}


def sh(*args, env=None, check=True):
    return subprocess.run(args, check=check, text=True, capture_output=True, env=env)


def fleet_up(n, env):
    subprocess.run([os.path.join(HERE, "down")], env=env, check=False)
    out = sh(os.path.join(HERE, "up"), str(n), env=env).stdout
    exports = dict(re.findall(r"^export (\w+)=(.*)$", out, re.M))
    return {**env, **exports}


def run_once(n, path, env, mirror_down_after=None):
    env = fleet_up(n, env)
    d = env["RPULL_FLEET_DIR"]
    image = env["RPULL_IMAGE_FLEET"]
    log = env["RPULL_FLEET_ORIGIN_LOG"]
    with open(log) as f:
        skip = sum(1 for _ in f)
    procs = []
    start = time.monotonic()
    for i in range(1, n + 1):
        node = os.path.join(d, f"node{i}")
        cmd = [os.path.join(ROOT, "bin", "rpull"), "--agent-socket", os.path.join(node, "agent.sock"),
               "-a", os.path.join(node, "containerd.sock"), "-n", "fleet", "--download-blobs",
               "--hosts-dir", os.path.join(d, "hosts", path), "-o", "json", image]
        procs.append((i, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    if mirror_down_after is not None:
        time.sleep(mirror_down_after)
        sh(os.path.join(HERE, "cache"), "stop", "3" if path == "cache-v3" else "2", env=env)
    nodes = []
    for i, p in procs:
        out, err = p.communicate(timeout=1800)
        seconds = time.monotonic() - start
        result = next((json.loads(l) for l in reversed(out.splitlines()) if '"event":"result"' in l), {})
        node = os.path.join(d, f"node{i}")
        check = sh(env["RPULL_CTR"], "-a", os.path.join(node, "containerd.sock"), "-n", "fleet", "images", "check",
                   env={**env, "CONTAINERD_SNAPSHOTTER": "overlaybd"}, check=False)
        complete = p.returncode == 0 and "complete" in check.stdout and "incomplete" not in check.stdout
        nodes.append({"node": i, "seconds": round(seconds, 2), "exit": p.returncode,
                      "bytes_fetched": result.get("bytes_fetched", 0), "complete": complete,
                      "detail": (err.strip().splitlines() or [""])[-1] + " " + check.stdout.strip()})
    with open(log) as f:
        served = origin_bytes(f.readlines()[skip:])
    image_bytes = sum(int(l["size"]) for l in manifest_layers(env))
    row = {"n": n, "path": path, "uplink": env["RPULL_FLEET_UPLINK"], "image_bytes": image_bytes,
           "origin_bytes": sum(served.values()), "nodes": nodes,
           "mirror_down_after_s": mirror_down_after}
    problem = check_row(row, image_bytes)
    if problem:
        raise SystemExit(f"fleet: refusing the {path} row for {n} nodes: {problem}")
    row.update(summarize(row))
    return row


def manifest_layers(env):
    import urllib.request
    ref = env["RPULL_IMAGE_FLEET"]
    host, rest = ref.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["layers"]


def report(rows):
    image = rows[0]["image_bytes"]
    out = ["| nodes | path | every node done | p50 per node | max per node | origin served | origin ÷ image |",
           "|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        label = r["path"] + (f", cache stopped at {r['mirror_down_after_s']} s" if r.get("mirror_down_after_s") else "")
        out.append(f"| {r['n']} | {label} | {r['all_done_s']:.1f} s | {r['p50_s']:.1f} s | {r['max_s']:.1f} s "
                   f"| {r['origin_bytes'] / 2**20:.0f} MiB | {r['origin_bytes'] / image:.2f} |")
    return "\n".join(out)


def plot(rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (bench/.venv has it)", file=sys.stderr)
        return False
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for path in sorted({r["path"] for r in rows if not r.get("mirror_down_after_s")}):
        rs = sorted((r for r in rows if r["path"] == path and not r.get("mirror_down_after_s")), key=lambda r: r["n"])
        a.plot([r["n"] for r in rs], [r["origin_bytes"] / 2**20 for r in rs], marker="o", label=path)
        b.plot([r["n"] for r in rs], [r["all_done_s"] for r in rs], marker="o", label=path)
    a.set(xlabel="nodes", ylabel="MiB the origin served", title="origin bytes")
    b.set(xlabel="nodes", ylabel="s until every node is complete", title="completion time")
    for ax in (a, b):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=90)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", default="1,2,4,8")
    ap.add_argument("--paths", default="direct,cache,cache-v3")
    ap.add_argument("--mirror-down", type=int, default=0, help="nodes for the mirror-down run (0: none)")
    ap.add_argument("--mirror-down-path", default="cache", help="the cache stopped in the mirror-down run")
    ap.add_argument("--keep", action="store_true",
                    help="keep the earlier results of paths not run now (the report then mixes runs)")
    ap.add_argument("--report", action="store_true")
    args = ap.parse_args()
    if args.report:
        rows = json.load(open(RESULTS))
        table = report(rows)
        print(table)
        plot(rows)
        text = open(DOC).read()
        start, end = "<!-- fleet:results -->", "<!-- /fleet:results -->"
        text = text[:text.index(start) + len(start)] + "\n" + table + "\n" + text[text.index(end):]
        open(DOC, "w").write(text)
        return
    env = dict(os.environ)
    rows = []
    try:
        for n in [int(x) for x in args.nodes.split(",")]:
            for path in args.paths.split(","):
                row = run_once(n, path, env)
                print(json.dumps({k: row[k] for k in ("n", "path", "all_done_s", "p50_s", "max_s", "origin_bytes")}),
                      flush=True)
                rows.append(row)
        if args.mirror_down:
            # About a third of the way into a cold cache run.
            rows.append(run_once(args.mirror_down, args.mirror_down_path, env, mirror_down_after=2))
            print(json.dumps({k: rows[-1][k] for k in ("n", "path", "all_done_s", "origin_bytes")}), flush=True)
    finally:
        subprocess.run([os.path.join(HERE, "down")], env=env, check=False)
    if args.keep and os.path.exists(RESULTS):
        ran = {(r["n"], r["path"], bool(r.get("mirror_down_after_s"))) for r in rows}
        rows = [r for r in json.load(open(RESULTS))
                if (r["n"], r["path"], bool(r.get("mirror_down_after_s"))) not in ran] + rows
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
