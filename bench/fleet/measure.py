#!/usr/bin/env python3
"""The simulated cluster, measured: many nodes pulling one image at once.

  bench/fleet/measure.py [--nodes 1,2,4,8] [--paths direct,cache,cache-v3,dragonfly]
                         [--clients rpull,ctr-rpull] [--mirror-down 4 --mirror-down-path cache]
  bench/fleet/measure.py --report          (docs/fleet.md from bench/results/fleet.json)

For each node count N, path and client, a fresh fleet (bench/fleet/up N: N network namespaces, each
with its own containerd, overlaybd-snapshotter and rpulld; the origin behind one shaped uplink;
cold pull-through caches; for the dragonfly path, bench/fleet/dragonfly start), then every node
pulls the fleet image at the same moment, from inside its namespace:
  rpull      the warm-pull DaemonSet's `rpull --download-blobs`, handed over to the node's rpulld
  ctr-rpull  accelerated-container-image's `ctr rpull --download-blobs`, for comparison
through one of the hosts directories:
  direct     each node from the origin
  cache      the distribution 2.8 pull-through cache as the origin's mirror (origin fallback)
  cache-v3   the same through distribution v3's
  dragonfly  each node's own dfdaemon as the mirror (Dragonfly's containerd set-up)
A row records the time until every node has the whole image, each node's time, the bytes the
origin served (its access log) and what each node fetched. A row checks itself and is refused,
not written, unless every node's content store held none of the image's layers before, every node
ended complete (ctr images check) having fetched the whole image, and the origin's log saw the
run. --mirror-down N: one more run on N nodes with the path's mirror stopped 2 s in (the cache, or
every node's dfdaemon); every node must still complete, from the origin.
"""
import argparse
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.environ.get("RPULL_FLEET_RESULTS", os.path.join(ROOT, "bench", "results", "fleet.json"))
DOC = os.path.join(ROOT, "docs", "fleet.md")
PLOT = os.path.join(ROOT, "docs", "fleet.png")
WARM_DAEMONSET = os.path.join(ROOT, "deploy", "kubernetes", "rpull-warm-daemonset.yaml")
RPULL = os.path.join(ROOT, "bin", "rpull")
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
        if node.get("warm_layers"):
            return f"node {node['node']} held {node['warm_layers']} of the image's layers before the pull"
        if node.get("by_agent") is False:
            return f"node {node['node']}'s rpulld did not log the pull: it was not handed to the agent"
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


CLIENTS = ["rpull", "ctr-rpull"]


def fleet_up(n, path, env):
    """A fresh fleet; rpulld takes RPULL_FLEET_RPULLD_ARGS from env (experiments), recorded in the row."""
    subprocess.run([os.path.join(HERE, "down")], env=env, check=False)
    out = sh(os.path.join(HERE, "up"), str(n), env=env).stdout
    env = {**env, **dict(re.findall(r"^export (\w+)=(.*)$", out, re.M))}
    if path == "dragonfly":
        sh(os.path.join(HERE, "dragonfly"), "start", env=env)
    return env


@functools.lru_cache(maxsize=None)
def warm_pull_command():
    """The warm-pull DaemonSet's own pull: its init container's command (deploy/kubernetes)."""
    import yaml
    with open(WARM_DAEMONSET) as f:
        for doc in yaml.safe_load_all(f):
            if doc and doc.get("kind") == "DaemonSet":
                return tuple(doc["spec"]["template"]["spec"]["initContainers"][0]["command"])
    raise SystemExit(f"fleet: no DaemonSet in {WARM_DAEMONSET}")


def namespace(client):
    """The containerd namespace a client's pull lands in."""
    if client == "rpull":
        command = warm_pull_command()
        return command[command.index("-n") + 1]
    return "fleet"


def pull_command(client, node, hosts, env):
    """One node's pull, run inside the node's namespace (its mirror may be its own 127.0.0.1).

    rpull runs the warm-pull DaemonSet's command as its pod would on that node: rpulld's runtime
    directory at the pod's /run/rpull (in a mount namespace of its own), the pod's /etc mounts
    (hosts directory, image list) given as the node's files, and the node's containerd socket, which
    is not at the default path, as CONTAINERD_ADDRESS (the agent serves only its own containerd, by
    path). So the pull is handed to the node's rpulld, as on a real node.
    """
    ns = ["ip", "netns", "exec", f"rpf-node{node}"]
    d = os.path.join(env["RPULL_FLEET_DIR"], f"node{node}")
    if client == "rpull":
        images = os.path.join(d, "warm-images.txt")
        with open(images, "w") as f:
            f.write(env["RPULL_IMAGE_FLEET"] + "\n")
        pod = {"/etc/containerd/certs.d": hosts, "/etc/rpull-warm/images.txt": images, "rpull": RPULL}
        command = [pod.get(arg, arg) for arg in warm_pull_command()]
        mounts = f"mount -t tmpfs tmpfs /run && mkdir /run/rpull && mount --bind {d} /run/rpull && exec \"$@\""
        return ns + ["env", f"CONTAINERD_ADDRESS={d}/containerd.sock", "unshare", "--mount", "--propagation",
                     "private", "sh", "-c", mounts, "sh"] + command
    if client == "ctr-rpull":
        return ns + [env["RPULL_CTR"], "-a", os.path.join(d, "containerd.sock"), "-n", "fleet", "rpull",
                     "--download-blobs", "--hosts-dir", hosts, env["RPULL_IMAGE_FLEET"]]
    raise ValueError(client)


def layers_in_store(node, layers, env):
    """The image's layers (digest -> size) that node's content store holds, in any namespace."""
    sock = os.path.join(env["RPULL_FLEET_DIR"], f"node{node}", "containerd.sock")
    held = set()
    for ns in sh(env["RPULL_CTR"], "-a", sock, "namespaces", "ls", "-q").stdout.split():
        held |= set(re.findall(r"sha256:[0-9a-f]{64}", sh(env["RPULL_CTR"], "-a", sock, "-n", ns,
                                                           "content", "ls", "-q").stdout))
    return {d: size for d, size in layers.items() if d in held}


def stop_mirror(path, n, env):
    """What a node's mirror going away looks like on each path."""
    if path in ("cache", "cache-v3"):
        sh(os.path.join(HERE, "cache"), "stop", "3" if path == "cache-v3" else "2", env=env)
    elif path == "dragonfly":
        for i in range(1, n + 1):
            with open(os.path.join(env["RPULL_FLEET_DIR"], "dragonfly", f"node{i}", "pid")) as f:
                os.kill(int(f.read()), 9)
    else:
        raise SystemExit(f"fleet: the {path} path has no mirror to stop")


def run_once(n, path, client, env, mirror_down_after=None):
    env = fleet_up(n, path, env)
    d = env["RPULL_FLEET_DIR"]
    ns = namespace(client)
    agent_pull = re.compile(rf"msg=pull .*namespace={re.escape(ns)} .*result=success")
    layers = {l["digest"]: int(l["size"]) for l in manifest_layers(env)}
    warm = {i: layers_in_store(i, layers, env) for i in range(1, n + 1)}
    log = env["RPULL_FLEET_ORIGIN_LOG"]
    with open(log) as f:
        skip = sum(1 for _ in f)
    procs = []
    start = time.monotonic()
    for i in range(1, n + 1):
        cmd = pull_command(client, i, os.path.join(d, "hosts", path), env)
        procs.append((i, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    if mirror_down_after is not None:
        time.sleep(mirror_down_after)
        stop_mirror(path, n, env)
    nodes = []
    for i, p in procs:
        out, err = p.communicate(timeout=1800)
        seconds = time.monotonic() - start
        node = os.path.join(d, f"node{i}")
        check = sh(env["RPULL_CTR"], "-a", os.path.join(node, "containerd.sock"), "-n", ns,
                   "images", "check", env={**env, "CONTAINERD_SNAPSHOTTER": "overlaybd"}, check=False)
        complete = p.returncode == 0 and "complete" in check.stdout and "incomplete" not in check.stdout
        agent = None
        if client == "rpull":  # handed over: the node's rpulld logged the pull as its own
            with open(os.path.join(node, "rpulld.log")) as f:
                agent = any(agent_pull.search(l) for l in f)
        nodes.append({"node": i, "seconds": round(seconds, 2), "exit": p.returncode,
                      # What arrived in a content store that held none of the image (ctr says nothing of bytes).
                      "bytes_fetched": sum(layers_in_store(i, layers, env).values()),
                      "warm_layers": len(warm[i]), "complete": complete, "by_agent": agent,
                      "detail": (err.strip().splitlines() or [""])[-1] + " " + check.stdout.strip()})
    with open(log) as f:
        served = origin_bytes(f.readlines()[skip:])
    image_bytes = sum(layers.values())
    row = {"n": n, "path": path, "client": client, "uplink": env["RPULL_FLEET_UPLINK"],
           "rpulld_args": env.get("RPULL_FLEET_RPULLD_ARGS", ""),
           "dragonfly": {k: env[k] for k in ("RPULL_FLEET_D7Y_SCHEDULING", "RPULL_FLEET_D7Y_PREFETCH") if k in env},
           "image_bytes": image_bytes, "origin_bytes": sum(served.values()), "nodes": nodes,
           "mirror_down_after_s": mirror_down_after}
    problem = check_row(row, image_bytes)
    if problem:
        raise SystemExit(f"fleet: refusing the {path} row of {client} for {n} nodes: {problem}")
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


def row_key(r):
    return (r["n"], r["path"], r.get("client", "rpull"), bool(r.get("mirror_down_after_s")))


MIRROR = {"cache": "cache", "cache-v3": "cache", "dragonfly": "every dfdaemon"}
PATHS = ["direct", "cache", "cache-v3", "dragonfly"]


def report_order(r):
    _, path, client, down = row_key(r)
    return (down, r["n"], PATHS.index(path) if path in PATHS else len(PATHS), CLIENTS.index(client))


def report(rows):
    image = rows[0]["image_bytes"]
    out = ["| nodes | path | client | every node done | p50 per node | max per node | origin served | origin ÷ image |",
           "|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=report_order):
        label = r["path"] + (f", {MIRROR[r['path']]} stopped at {r['mirror_down_after_s']} s"
                             if r.get("mirror_down_after_s") else "")
        out.append(f"| {r['n']} | {label} | {row_key(r)[2]} | {r['all_done_s']:.1f} s | {r['p50_s']:.1f} s "
                   f"| {r['max_s']:.1f} s | {r['origin_bytes'] / 2**20:.0f} MiB | {r['origin_bytes'] / image:.2f} |")
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
    lines = sorted({row_key(r)[1:3] for r in rows if not r.get("mirror_down_after_s")},
                   key=lambda pc: (PATHS.index(pc[0]), CLIENTS.index(pc[1])))
    for path, client in lines:
        rs = sorted((r for r in rows if row_key(r)[1:] == (path, client, False)), key=lambda r: r["n"])
        label = path if client == "rpull" else f"{path} ({client})"
        style = "o-" if client == "rpull" else "x--"
        color = f"C{PATHS.index(path)}"  # one colour per path, one line style per client
        a.plot([r["n"] for r in rs], [r["origin_bytes"] / 2**20 for r in rs], style, color=color, label=label)
        b.plot([r["n"] for r in rs], [r["all_done_s"] for r in rs], style, color=color, label=label)
    a.set(xlabel="nodes", ylabel="MiB the origin served", title="origin bytes")
    b.set(xlabel="nodes", ylabel="s until every node is complete", title="completion time")
    for ax in (a, b):
        ax.legend(fontsize="small")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOT, dpi=90)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", default="1,2,4,8")
    ap.add_argument("--paths", default="direct,cache,cache-v3,dragonfly")
    ap.add_argument("--clients", default="rpull,ctr-rpull")
    ap.add_argument("--mirror-down", type=int, default=0, help="nodes for the mirror-down runs (0: none)")
    ap.add_argument("--mirror-down-paths", default="cache-v3,dragonfly",
                    help="the paths whose mirror is stopped in a mirror-down run (of rpull)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the earlier results of rows not run now (the report then mixes runs)")
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
        runs = [(n, path, client, None) for n in [int(x) for x in args.nodes.split(",")]
                for path in args.paths.split(",") for client in args.clients.split(",")]
        if args.mirror_down:
            # 2 s: about a third of the way into a cold run through a mirror.
            runs += [(args.mirror_down, path, "rpull", 2) for path in args.mirror_down_paths.split(",")]
        for n, path, client, down in runs:
            rows.append(run_once(n, path, client, env, mirror_down_after=down))
            print(json.dumps({k: rows[-1][k] for k in ("n", "path", "client", "all_done_s", "p50_s", "max_s",
                                                       "origin_bytes", "mirror_down_after_s")}), flush=True)
    finally:
        subprocess.run([os.path.join(HERE, "down")], env=env, check=False)
    if args.keep and os.path.exists(RESULTS):
        ran = {row_key(r) for r in rows}
        rows = [r for r in json.load(open(RESULTS)) if row_key(r) not in ran] + rows
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
