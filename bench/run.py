#!/usr/bin/env python3
"""rpull against its peers, in one run, on the same containerd and the same images.

Scenarios (see docs/benchmarks.md for the setup):
  a  shaped link (bench/link-up: 1 Gbit/s tbf, 20 ms RTT, 25 MiB/s per connection):
     rpull --download-blobs vs ctr rpull --download-blobs, overlaybd images of 60 MiB, 258 MiB, 1 GiB
  b  loopback, no shaping: rpull --download-blobs vs ctr content fetch, the 1 GiB image
  c  loopback, cold pull of the Debian OCI image: rpull vs ctr pull (overlayfs)
  d  the already-present no-op: rpull through rpulld (the node agent), rpull in its own process, ctr rpull
  e  loopback, cold pull of the Debian OCI image by kubelet's client: crictl pull through rpulld's CRI
     endpoint vs crictl pull through containerd's own CRI (both unpack into the overlaybd snapshotter)
rpull rows run in their own process (--no-agent) unless they say "through rpulld"; for those the
agent's CPU is added to the client's.
Every run starts from an empty content store and a dropped page cache; contenders alternate;
medians and min-max of N runs. Needs `eval "$(testenv/up 2)"` and `eval "$(bench/link-up)"`.
Usage: bench/run.py [--runs N] [--scenarios abcde] [--out docs/benchmarks.md]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = os.environ
NS = "bench"
LINK_CEILING = 125e6  # 1 Gbit/s in bytes per second


def sh(args, check=True, **kw):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def ctr(*args, check=False):
    return sh([ENV["RPULL_CTR"], "-a", ENV["CONTAINERD_ADDRESS"], "-n", NS, *args], check=check)


def registry_layers_bytes(registry, repo, tag):
    import json
    import urllib.request
    req = urllib.request.Request(f"http://{registry}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    m = json.load(urllib.request.urlopen(req))
    return sum(l["size"] for l in m["layers"]) + m["config"]["size"]


def clean():
    """Empties the bench namespace and CRI's and lets GC free the blobs, so the next pull is cold."""
    for ns in (NS, "k8s.io"):
        nsctr = lambda *a: sh([ENV["RPULL_CTR"], "-a", ENV["CONTAINERD_ADDRESS"], "-n", ns, *a], check=False)
        for line in nsctr("images", "ls", "-q").stdout.split():
            nsctr("images", "rm", "--sync", line)
        digests = nsctr("content", "ls", "-q").stdout.split()
        if digests:
            nsctr("content", "rm", *digests)
        lease = nsctr("leases", "create").stdout.strip()
        if lease:
            nsctr("leases", "rm", "--sync", lease)


def drop_caches():
    subprocess.run(["sync"])
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def disk_written():
    dev = os.path.basename(sh(["df", "--output=source", ENV["RPULL_CONTAINERD_ROOT"]]).stdout.split()[-1])
    for line in open("/proc/diskstats"):
        f = line.split()
        if f[2] == dev:
            return int(f[9]) * 512
    return 0


def process_cpu(pid_file):
    pid = open(pid_file).read().strip()
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def containerd_cpu():
    return process_cpu(os.path.join(ENV["RPULL_TESTENV_DIR"], "containerd-2", "containerd.pid"))


def agent_cpu():
    return process_cpu(os.path.join(ENV["RPULL_TESTENV_DIR"], "rpulld", "rpulld.pid"))


def log_bytes(path, start_line):
    total = 0
    if not path or not os.path.exists(path):
        return 0
    with open(path) as f:
        for i, line in enumerate(f):
            if i < start_line:
                continue
            m = re.search(r'" (200|206) (\d+)', line)
            if m:
                total += int(m.group(2))
    return total


def line_count(path):
    if not path or not os.path.exists(path):
        return 0
    with open(path) as f:
        return sum(1 for _ in f)


def measure(cmd, log_path, size, cold=True, agent=False):
    if cold:
        clean()
        drop_caches()
    lines = line_count(log_path)
    w0, c0, a0 = disk_written(), containerd_cpu(), agent_cpu()
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M", *cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    subprocess.run(["sync"])
    stats = [l for l in r.stderr.splitlines() if l.startswith("TIME ")]
    if r.returncode != 0 or not stats:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r.stderr[-2000:]}")
    _, _, user, system, rss = stats[-1].split()
    fetched = log_bytes(log_path, lines)
    # containerd's content store is shared by every namespace: a "cold" run that fetched less than
    # its image found some of it already there and measures nothing. Refuse it.
    if cold and fetched < size * 0.99:
        raise SystemExit(f"refused: a cold run of {' '.join(cmd)} fetched {fetched} of {size} bytes")
    cpu = float(user) + float(system) + (agent_cpu() - a0 if agent else 0)
    return dict(wall=wall, cpu=cpu, rss=int(rss) / 1024,
                containerd_cpu=containerd_cpu() - c0, written=disk_written() - w0, fetched=fetched)


def rpull(registry, image, *extra, agent=False):
    own = [] if agent else ["--no-agent"]
    return [os.path.join(ROOT, "bin/rpull"), *own, "-a", ENV["CONTAINERD_ADDRESS"], "-n", NS, "--plain-http", *extra,
            f"{registry}/{image}"]


def crictl_pull(endpoint, image):
    return [ENV["RPULL_CRICTL"], "--image-endpoint", f"unix://{endpoint}", "pull", image]


def ctr_cmd(*args):
    return [ENV["RPULL_CTR"], "-a", ENV["CONTAINERD_ADDRESS"], "-n", NS, *args]


def run_pair(name, contenders, runs, log_path, size, cold=True):
    """contenders: list of (label, command); alternated, N runs each. A label with "rpulld" counts the agent's CPU."""
    results = {label: [] for label, _ in contenders}
    for i in range(runs):
        order = contenders if i % 2 == 0 else list(reversed(contenders))
        for label, cmd in order:
            results[label].append(measure(cmd, log_path, size, cold, agent="rpulld" in label))
            print(f"  {name} run {i + 1} {label}: {results[label][-1]['wall']:.2f} s", file=sys.stderr, flush=True)
    return dict(name=name, size=size, results=results, order=[l for l, _ in contenders])


def med(values):
    return statistics.median(values)


def table(rows):
    out = ["| scenario | contender | wall s, median (min–max) | peer ÷ rpull time | share of link | peak RSS MiB | CPU s |"
           " containerd CPU s | disk written | fetched |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        ours = row["order"][0]
        base = med([r["wall"] for r in row["results"][ours]])
        for label in row["order"]:
            rs = row["results"][label]
            walls = [r["wall"] for r in rs]
            w = med(walls)
            ratio = "–" if label == ours else f"{w / base:.2f}×"
            share = f"{row['size'] / w / LINK_CEILING * 100:.0f}%" if row.get("shaped") else "–"
            out.append(f"| {row['name']} | {label} | {w:.2f} ({min(walls):.2f}–{max(walls):.2f}) | {ratio} | {share} |"
                       f" {med([r['rss'] for r in rs]):.0f} | {med([r['cpu'] for r in rs]):.2f} |"
                       f" {med([r['containerd_cpu'] for r in rs]):.2f} |"
                       f" {med([r['written'] for r in rs]) / 2**20:.0f} MiB ({med([r['written'] for r in rs]) / row['size']:.2f}×) |"
                       f" {med([r['fetched'] for r in rs]) / 2**20:.0f} MiB |")
    return "\n".join(out)


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return False
    shaped = [r for r in rows if r.get("shaped")]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label in shaped[0]["order"]:
        xs = [r["size"] / 2**20 for r in shaped]
        ys = [med([m["wall"] for m in r["results"][label]]) for r in shaped]
        lo = [y - min(m["wall"] for m in r["results"][label]) for r, y in zip(shaped, ys)]
        hi = [max(m["wall"] for m in r["results"][label]) - y for r, y in zip(shaped, ys)]
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=label)
    xs = [r["size"] / 2**20 for r in shaped]
    ax.plot(xs, [x * 2**20 / LINK_CEILING for x in xs], linestyle=":", color="grey", label="link ceiling (1 Gbit/s)")
    ax.set_xlabel("image size (MiB)")
    ax.set_ylabel("pull time (s), median, min–max")
    ax.set_title("overlaybd --download-blobs over 1 Gbit/s, 20 ms RTT, 25 MiB/s per connection")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", default="abcde")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    ap.add_argument("--block", default="bench:table",
                    help="the marked block of --out this run replaces (bench/all: table for a-c, agent for d-e)")
    args = ap.parse_args()
    local = ENV["RPULL_REGISTRY"]
    shaped = ENV.get("RPULL_BENCH_REGISTRY")
    shaped_log = ENV.get("RPULL_BENCH_ACCESS_LOG")
    local_log = ENV["RPULL_REGISTRY_LOG"]
    rows = []
    if "a" in args.scenarios:
        if not shaped:
            raise SystemExit("scenario a needs the shaped link: eval \"$(bench/link-up)\"")
        for repo, label in (("rpull/obd", "60 MiB"), ("rpull/obd-kill", "258 MiB"), ("rpull/big", "1 GiB")):
            size = registry_layers_bytes(local, repo, "v1")
            row = run_pair(f"a: shaped link, {label}", [
                ("rpull --download-blobs", rpull(shaped, f"{repo}:v1", "--download-blobs")),
                ("ctr rpull --download-blobs", ctr_cmd("rpull", "--plain-http", "--download-blobs",
                                                       f"{shaped}/{repo}:v1"))], args.runs, shaped_log, size)
            row["shaped"] = True
            rows.append(row)
    if "b" in args.scenarios:
        size = registry_layers_bytes(local, "rpull/big", "v1")
        rows.append(run_pair("b: loopback, 1 GiB", [
            ("rpull --download-blobs", rpull(local, "rpull/big:v1", "--download-blobs")),
            ("ctr content fetch", ctr_cmd("content", "fetch", "--plain-http", f"{local}/rpull/big:v1"))],
            args.runs, local_log, size))
    if "c" in args.scenarios:
        size = registry_layers_bytes(local, "rpull/debian", "bookworm")
        rows.append(run_pair("c: loopback, Debian OCI", [
            ("rpull (overlayfs)", rpull(local, "rpull/debian:bookworm", "--snapshotter", "overlayfs")),
            ("ctr pull (overlayfs)", ctr_cmd("images", "pull", "--plain-http", "--snapshotter", "overlayfs",
                                             f"{local}/rpull/debian:bookworm"))], args.runs, local_log, size))
    if "d" in args.scenarios:
        size = registry_layers_bytes(local, "rpull/obd", "v1")
        clean()
        subprocess.run(rpull(local, "rpull/obd:v1", "--download-blobs"), check=True, stdout=subprocess.DEVNULL)
        rows.append(run_pair("d: already present (no-op)", [
            ("rpull --download-blobs through rpulld", rpull(local, "rpull/obd:v1", "--download-blobs", agent=True)),
            ("rpull --download-blobs", rpull(local, "rpull/obd:v1", "--download-blobs")),
            ("ctr rpull --download-blobs", ctr_cmd("rpull", "--plain-http", "--download-blobs",
                                                   f"{local}/rpull/obd:v1"))], max(args.runs, 5), local_log, size,
            cold=False))
    if "e" in args.scenarios:
        size = registry_layers_bytes(local, "rpull/debian", "bookworm")
        image = f"{local}/rpull/debian:bookworm"
        rows.append(run_pair("e: crictl pull, Debian OCI", [
            ("crictl pull through rpulld", crictl_pull(ENV["RPULL_CRI_SOCKET"], image)),
            ("crictl pull through containerd's CRI", crictl_pull(ENV["RPULL_CONTAINERD_CRI_SOCKET"], image))],
            args.runs, local_log, size))
    clean()
    md = table(rows)
    print(md)
    png = os.path.join(os.path.dirname(args.out), "benchmarks-pull-time.png")
    plotted = any(r.get("shaped") for r in rows) and plot(rows, png)
    write_doc(args.out, md, plotted, args.runs, args.block)


def write_doc(path, md, plotted, runs, block_name):
    text = open(path).read() if os.path.exists(path) else ""
    start, end = f"<!-- {block_name} -->", f"<!-- /{block_name} -->"
    block = f"{start}\n_Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {runs} runs each._\n\n{md}\n"
    if plotted:
        block += "\n![pull time vs image size](benchmarks-pull-time.png)\n"
    block += end
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: block, text, flags=re.S)
    else:
        text = text + "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
