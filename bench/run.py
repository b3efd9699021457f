#!/usr/bin/env python3
"""rpull against the peers a user would pick in 2026, in one run, on the same containerd and images.

Contenders (each pulls the whole image onto the node; overlaybd images in download mode):
  rpull                     bin/rpull --no-agent, in its own JVM
  rpull via rpulld          bin/rpull handing the pull to the warm node agent (its CPU is counted)
  crictl via rpulld         crictl pull against rpulld's CRI image endpoint (kubelet's path)
  ctr rpull                 accelerated-container-image's `ctr rpull --download-blobs` (overlaybd only)
  ctr pull (transfer)       `ctr images pull`: containerd's transfer service, multipart fetch and
                            parallel unpack switched on (bench/containerd-peer.toml)
  crictl via containerd     crictl pull against containerd's own CRI, same settings
  ctr content fetch         loopback only: the ceiling (fetch into the content store, no unpack)

Every row validates itself. Before a cold run every namespace is emptied and garbage-collected, the
page cache dropped, and then containerd's content store is checked to hold none of the image's
blobs (it is shared by all namespaces); after it, the registry's front must have served at least
the image's bytes and the store must hold every blob. Otherwise the run stops with the reason and
nothing is written. Contenders alternate; medians and min-max of N runs. Raw runs go to
bench/results/<scenario>.json; `--report` turns all of them into docs/benchmarks.md's tables.

Needs `eval "$(testenv/up 2)"`, `eval "$(bench/link-up)"` and the bench images
(`testenv/seed.py --set bench`); bench/all does all of it.
Usage: bench/run.py [--runs N] [--scenarios a,b,...] | --tune-peer | --report | --list
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
ENV = os.environ
NS = "bench"
GiB = 1 << 30
MiB = 1 << 20
PEER = os.path.join(ROOT, "bench", "containerd-peer.toml")
PEER_OVERLAYFS = os.path.join(ROOT, "bench", "containerd-peer-overlayfs.toml")

OURS = ("rpull", "rpull via rpulld", "crictl via rpulld")
PEERS_OBD = ("ctr rpull", "ctr pull (transfer)", "crictl via containerd")
PEERS_OCI = ("ctr pull (transfer)", "crictl via containerd")


def sh(args, check=True, env=None):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env)


def ctr(ns, *args, check=False):
    return sh([ENV["RPULL_CTR"], "-a", ENV["CONTAINERD_ADDRESS"], "-n", ns, *args], check=check)


# --- links: where the registry is and what the row is measured against -----------------------------

LINKS = {
    "loopback": dict(addr="RPULL_REGISTRY", log="RPULL_REGISTRY_LOG",
                     title="loopback, plain HTTP, no shaping"),
    "20ms-http": dict(addr="RPULL_BENCH_REGISTRY", log="RPULL_BENCH_ACCESS_LOG",
                      title="1 Gbit/s, 20 ms RTT, 25 MiB/s per connection, plain HTTP"),
    "20ms-https": dict(addr="RPULL_BENCH_REGISTRY_TLS", log="RPULL_BENCH_ACCESS_LOG",
                       title="1 Gbit/s, 20 ms RTT, 25 MiB/s per connection, HTTPS"),
    "100ms-https": dict(addr="RPULL_BENCH_REGISTRY_TLS_100MS", log="RPULL_BENCH_ACCESS_LOG",
                        title="1 Gbit/s, 100 ms RTT, 25 MiB/s per connection, HTTPS"),
}


def link_addr(link):
    name = LINKS[link]["addr"]
    if name not in ENV:
        raise SystemExit(f"{name} is not set: eval \"$(bench/link-up)\" first")
    return ENV[name]


# --- scenarios ----------------------------------------------------------------------------------------

def scenario(key, title, link, images, kind="overlaybd", contenders=None, cold=True, runs=None, group=None):
    if contenders is None:
        contenders = OURS + (PEERS_OBD if kind == "overlaybd" else PEERS_OCI)
    return dict(key=key, title=title, link=link, images=images, kind=kind, contenders=list(contenders),
                cold=cold, runs=runs, group=group or key)


SCENARIOS = [
    scenario("tls-60m", "overlaybd 60 MiB (4 layers)", "20ms-https", ["rpull/obd:v1"], group="size"),
    scenario("tls-258m", "overlaybd 258 MiB (2 layers)", "20ms-https", ["rpull/obd-kill:v1"], group="size"),
    scenario("tls-1g", "overlaybd 1 GiB (4 layers)", "20ms-https", ["rpull/big:v1"], group="size"),
    scenario("tls-4g", "overlaybd 4 GiB (6 layers)", "20ms-https", ["rpull/obd-4g:v1"], runs=1, group="size"),
    scenario("http-1g", "overlaybd 1 GiB, plain HTTP", "20ms-http", ["rpull/big:v1"]),
    scenario("long-1g", "overlaybd 1 GiB, 100 ms RTT", "100ms-https", ["rpull/big:v1"], runs=2),
    scenario("oci-1g", "plain OCI, 12 gzip layers, 1.5 GiB", "20ms-https", ["rpull/oci-1g:v1"], kind="oci"),
    scenario("eight", "eight overlaybd images of 128 MiB at once", "20ms-https",
             [f"rpull/eight-{n}:v1" for n in range(1, 9)]),
    scenario("loopback-1g", "overlaybd 1 GiB on loopback", "loopback", ["rpull/big:v1"],
             contenders=("ctr content fetch",) + OURS + PEERS_OBD),
    scenario("noop", "already present (no-op), overlaybd 60 MiB", "loopback", ["rpull/obd:v1"], cold=False),
]


# --- containerd, its content store, the agent ---------------------------------------------------------

def testenv_path(*parts):
    return os.path.join(ENV["RPULL_TESTENV_DIR"], *parts)


def pid_of(*parts):
    return int(open(testenv_path(*parts)).read().strip())


def containerd_pid():
    return pid_of("containerd-2", "containerd.pid")


def snapshotter_pid():
    return pid_of("containerd-2", "snapshotter.pid")


def agent_pid():
    return pid_of("rpulld", "rpulld.pid")


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak_rss(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5\n")


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def use_containerd(imports, snapshotter):
    """containerd with these imports (testenv/up restarts it when they change) and rpulld unpacking
    CRI pulls into `snapshotter`, warmed up."""
    env = dict(ENV, RPULL_CONTAINERD_IMPORT=" ".join(imports), RPULL_RPULLD_SNAPSHOTTER=snapshotter)
    before = containerd_pid()
    sh([os.path.join(ROOT, "testenv/up"), "2"], env=env)
    current = open(testenv_path("rpulld", "snapshotter")).read().strip() \
        if os.path.exists(testenv_path("rpulld", "snapshotter")) else ""
    if containerd_pid() != before or current != snapshotter:
        sh([os.path.join(ROOT, "testenv/rpulld"), "stop"], env=env)
        sh([os.path.join(ROOT, "testenv/rpulld"), "start"], env=env)
        with open(testenv_path("rpulld", "snapshotter"), "w") as f:
            f.write(snapshotter)
    warm_agent()


def warm_agent():
    """A warm agent is one that has pulled before: two pulls of the small image, then emptied."""
    for _ in range(2):
        clean()
        sh(rpull_cmd(ENV["RPULL_REGISTRY"], ["rpull/obd:v1"], "overlaybd", agent=True, ns="warmup"))
    clean()


def namespaces():
    return [n for n in ctr("default", "namespaces", "ls", "-q").stdout.split() if n]


def clean():
    """Empties every namespace (containerd's content store is shared by all of them) and collects."""
    for ns in namespaces():
        images = ctr(ns, "images", "ls", "-q").stdout.split()
        if images:
            ctr(ns, "images", "rm", "--sync", *images)
        digests = ctr(ns, "content", "ls", "-q").stdout.split()
        if digests:
            ctr(ns, "content", "rm", *digests)
        for lease in ctr(ns, "leases", "ls", "-q").stdout.split():
            ctr(ns, "leases", "rm", lease)
    lease = ctr(NS, "leases", "create").stdout.strip()
    if lease:
        ctr(NS, "leases", "rm", "--sync", lease)


def drop_caches():
    subprocess.run(["sync"])
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def blob_path(digest):
    return os.path.join(ENV["RPULL_CONTAINERD_ROOT"], "io.containerd.content.v1.content", "blobs", "sha256",
                        digest.split(":", 1)[1])


def in_store(digest):
    """Whether containerd's content store, shared by every namespace, holds the blob."""
    return os.path.exists(blob_path(digest))


def disk_written():
    dev = os.path.basename(sh(["df", "--output=source", ENV["RPULL_CONTAINERD_ROOT"]]).stdout.split()[-1])
    for line in open("/proc/diskstats"):
        f = line.split()
        if f[2] == dev:
            return int(f[9]) * 512
    return 0


# --- images ---------------------------------------------------------------------------------------------

def image_blobs(repo_tag):
    """{digest: size} of the image's config and layers, and its manifest digest, from the registry."""
    repo, tag = repo_tag.rsplit(":", 1)
    req = urllib.request.Request(f"http://{ENV['RPULL_REGISTRY']}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(req) as resp:
        manifest = json.load(resp)
    blobs = {l["digest"]: l["size"] for l in manifest["layers"]}
    blobs[manifest["config"]["digest"]] = manifest["config"]["size"]
    return blobs


def served_bytes(log_path, start_line):
    """Body bytes the registry or its nginx front sent (200 and 206 answers) after start_line."""
    total = 0
    with open(log_path) as f:
        for i, line in enumerate(f):
            if i >= start_line:
                m = re.search(r'" (200|206) (\d+)', line)
                if m:
                    total += int(m.group(2))
    return total


def line_count(path):
    with open(path) as f:
        return sum(1 for _ in f)


# --- contenders -----------------------------------------------------------------------------------------

def rpull_cmd(registry, images, kind, agent, ns=NS):
    mode = ["--download-blobs"] if kind == "overlaybd" else ["--snapshotter", "overlayfs"]
    return [os.path.join(ROOT, "bin/rpull"), *([] if agent else ["--no-agent"]), "-a", ENV["CONTAINERD_ADDRESS"],
            "-n", ns, "--hosts-dir", ENV["RPULL_BENCH_HOSTS_DIR"], *mode, *[f"{registry}/{i}" for i in images]]


def ctr_cmd(*args):
    return [ENV["RPULL_CTR"], "-a", ENV["CONTAINERD_ADDRESS"], "-n", NS, *args]


def commands(contender, registry, images, kind):
    """The processes a contender runs, all at once, to pull `images`."""
    refs = [f"{registry}/{i}" for i in images]
    hosts = ["--hosts-dir", ENV["RPULL_BENCH_HOSTS_DIR"]]
    snapshotter = "overlaybd" if kind == "overlaybd" else "overlayfs"
    # One command per image, all at once, as for every other contender. (One rpull command with
    # several references pulls them one after another: a batch, not "at once".)
    if contender == "rpull":
        return [rpull_cmd(registry, [i], kind, agent=False) for i in images]
    if contender == "rpull via rpulld":
        return [rpull_cmd(registry, [i], kind, agent=True) for i in images]
    if contender == "crictl via rpulld":
        return [[ENV["RPULL_CRICTL"], "--image-endpoint", f"unix://{ENV['RPULL_CRI_SOCKET']}", "pull", r] for r in refs]
    if contender == "crictl via containerd":
        return [[ENV["RPULL_CRICTL"], "--image-endpoint", f"unix://{ENV['RPULL_CONTAINERD_CRI_SOCKET']}", "pull", r]
                for r in refs]
    if contender == "ctr rpull":
        return [ctr_cmd("rpull", *hosts, "--download-blobs", r) for r in refs]
    if contender == "ctr pull (transfer)":
        return [ctr_cmd("images", "pull", *hosts, "--snapshotter", snapshotter, r) for r in refs]
    if contender == "ctr content fetch":
        return [ctr_cmd("content", "fetch", *hosts, r) for r in refs]
    raise ValueError(contender)


class Refused(SystemExit):
    """A row that would measure nothing: the run stops with the reason instead of printing it."""


def check_cold_start(contender, key, blobs, in_store):
    """Before a cold run: containerd's content store, shared by every namespace, holds none of the blobs."""
    present = [d for d in blobs if in_store(d)]
    if present:
        raise Refused(f"refused: before a cold run of {contender} ({key}), containerd's content store still holds "
                      f"{len(present)} of the image's blobs, e.g. {present[0]}")


def check_cold_end(contender, key, blobs, fetched, in_store):
    """After a cold run: the front served at least the image's bytes, and every blob is in the store."""
    size = sum(blobs.values())
    if fetched < size:
        raise Refused(f"refused: a cold run of {contender} ({key}) fetched {fetched} bytes of an image of {size}: "
                      f"part of it was already on the node, so the row would measure nothing")
    missing = [d for d in blobs if not in_store(d)]
    if missing:
        raise Refused(f"refused: after {contender} ({key}) containerd lacks {missing[0]}: the pull was not complete")


def measure(sc, contender, blobs):
    registry = link_addr(sc["link"])
    log_path = ENV[LINKS[sc["link"]]["log"]]
    if sc["cold"]:
        clean()
        drop_caches()
        if any(in_store(d) for d in blobs):
            clean()  # a collection that had not finished
        check_cold_start(contender, sc["key"], blobs, in_store)
    agent, cd, snap = agent_pid(), containerd_pid(), snapshotter_pid()
    for pid in (agent, cd):
        reset_peak_rss(pid)
    lines = line_count(log_path)
    w0, a0, c0, s0 = disk_written(), cpu_seconds(agent), cpu_seconds(cd), cpu_seconds(snap)
    t0 = time.monotonic()
    procs = [subprocess.Popen(["/usr/bin/time", "-f", "TIME %e %U %S %M", *cmd], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
             for cmd in commands(contender, registry, sc["images"], sc["kind"])]
    outs = [(p, p.communicate()[1]) for p in procs]
    wall = time.monotonic() - t0
    subprocess.run(["sync"])
    client_cpu, client_rss = 0.0, 0.0
    for p, err in outs:
        stats = [l for l in err.splitlines() if l.startswith("TIME ")]
        if p.returncode != 0 or not stats:
            raise SystemExit(f"failed: {contender} ({sc['key']}), exit {p.returncode}\n{err[-2000:]}")
        _, _, user, system, rss = stats[-1].split()
        client_cpu += float(user) + float(system)
        client_rss = max(client_rss, int(rss) / 1024)
    agent_cpu = cpu_seconds(agent) - a0
    fetched = served_bytes(log_path, lines)
    if sc["cold"]:
        check_cold_end(contender, sc["key"], blobs, fetched, in_store)
    uses_agent = "rpulld" in contender
    return dict(wall=wall, client_cpu=client_cpu + (agent_cpu if uses_agent else 0),
                client_rss=max(client_rss, peak_rss_mib(agent)) if uses_agent else client_rss,
                containerd_cpu=cpu_seconds(cd) - c0, snapshotter_cpu=cpu_seconds(snap) - s0,
                containerd_rss=peak_rss_mib(cd), written=disk_written() - w0, fetched=fetched)


def run_scenario(sc, runs, only=None):
    """Runs every contender of sc (or those in `only`: a quick look, kept out of the report)."""
    if only:
        sc = dict(sc, contenders=[c for c in sc["contenders"] if c in only])
    blobs = {}
    for image in sc["images"]:
        blobs.update(image_blobs(image))
    if sc["kind"] == "oci":
        use_containerd([PEER, PEER_OVERLAYFS], "overlayfs")
    else:
        use_containerd([PEER], "overlaybd")
    if not sc["cold"]:
        # The no-op: the image complete in the bench namespace and in CRI's.
        clean()
        sh(rpull_cmd(ENV["RPULL_REGISTRY"], sc["images"], sc["kind"], agent=False))
        sh(commands("crictl via rpulld", ENV["RPULL_REGISTRY"], sc["images"], sc["kind"])[0])
    results = {c: [] for c in sc["contenders"]}
    n = sc["runs"] or runs
    for i in range(n):
        order = sc["contenders"][i % len(sc["contenders"]):] + sc["contenders"][:i % len(sc["contenders"])]
        for contender in order:
            r = measure(sc, contender, blobs)
            results[contender].append(r)
            print(f"  {sc['key']} run {i + 1}/{n} {contender}: {r['wall']:.2f} s, fetched {r['fetched'] / MiB:.0f} MiB",
                  file=sys.stderr, flush=True)
    if sc["cold"]:
        clean()
    out = dict(scenario=sc, size=sum(blobs.values()), blobs=len(blobs), runs=n, results=results,
               measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               ceiling=float(ENV.get("RPULL_LINK_CEILING_BYTES_PER_S", "125000000")))
    os.makedirs(RESULTS, exist_ok=True)
    name = f"{sc['key']}.json" if not only else f"{sc['key']}.partial.json"
    with open(os.path.join(RESULTS, name), "w") as f:
        json.dump(out, f, indent=1)
    print_summary(out)
    return out


def print_summary(res):
    gib = res["size"] / GiB
    for c, ms in res["results"].items():
        if ms:
            print(f"  {c:24} wall {med([m['wall'] for m in ms]):6.2f} s  client CPU "
                  f"{med([m['client_cpu'] for m in ms]) / (gib or 1):5.2f} s/GiB  peak RSS "
                  f"{med([m['client_rss'] for m in ms]):5.0f} MiB", file=sys.stderr)


# --- the peer's settings, chosen by measurement ---------------------------------------------------------

TUNE_CONFIGS = [(4 * MiB, 8), (8 * MiB, 8), (8 * MiB, 16), (16 * MiB, 16), (8 * MiB, 32)]


def tune_peer(runs):
    """ctr images pull of the OCI image and of the 1 GiB overlaybd image over the 20 ms HTTPS link, with
    several (chunk, downloads) settings; the result table goes to bench/results/tune.json."""
    rows = []
    base = open(PEER).read()
    for chunk, downloads in TUNE_CONFIGS:
        text = re.sub(r"concurrent_layer_fetch_buffer = \d+", f"concurrent_layer_fetch_buffer = {chunk}", base)
        text = re.sub(r"max_concurrent_downloads = \d+", f"max_concurrent_downloads = {downloads}", text)
        tmp = testenv_path(f"bench-peer-{chunk // MiB}m-{downloads}.toml")
        with open(tmp, "w") as f:
            f.write(text)
        for image, kind in (("rpull/oci-1g:v1", "oci"), ("rpull/big:v1", "overlaybd")):
            imports = [tmp, PEER_OVERLAYFS] if kind == "oci" else [tmp]
            use_containerd(imports, "overlaybd")
            sc = scenario("tune", "", "20ms-https", [image], kind=kind)
            blobs = image_blobs(image)
            walls = []
            for _ in range(runs):
                walls.append(measure(sc, "ctr pull (transfer)", blobs)["wall"])
                print(f"  tune {chunk // MiB} MiB x {downloads} {image}: {walls[-1]:.2f} s", file=sys.stderr, flush=True)
            rows.append(dict(chunk=chunk, downloads=downloads, image=image, size=sum(blobs.values()), walls=walls))
    clean()
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "tune.json"), "w") as f:
        json.dump(dict(rows=rows, measured=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())), f, indent=1)


# --- the report ------------------------------------------------------------------------------------------

def med(values):
    return statistics.median(values)


def fmt_ratio(x):
    return f"{x:.2f}×"


def scenario_table(res):
    sc, size = res["scenario"], res["size"]
    rs = res["results"]
    walls = {c: med([r["wall"] for r in rs[c]]) for c in sc["contenders"]}
    if not sc["cold"]:
        ceiling, ceiling_name = res["ceiling"], "none (nothing to fetch)"
    elif sc["link"] == "loopback":
        ceiling = size / walls["ctr content fetch"]
        ceiling_name = f"`ctr content fetch` in the same run = {ceiling / 1e6:.0f} MB/s"
    else:
        ceiling, ceiling_name = res["ceiling"], f"the link's {res['ceiling'] * 8 / 1e9:g} Gbit/s"
    gib = size / GiB
    lines = [f"**{sc['title']}** — {LINKS[sc['link']]['title']}; {size / MiB:.0f} MiB in {res['blobs']} blobs"
             f"{'' if sc['cold'] else ' (already present: nothing to fetch)'}; {res['runs']} run(s) each, "
             f"measured {res['measured']}. Ceiling: {ceiling_name}.", "",
             f"| contender | wall s, median (min–max) | share of ceiling | client CPU {'s/GiB' if sc['cold'] else 's'} | containerd + snapshotter CPU s |"
             " client peak RSS MiB | containerd peak RSS MiB | disk written | fetched |",
             "|---|---|---|---|---|---|---|---|---|"]
    for c in sc["contenders"]:
        runs = rs[c]
        w = [r["wall"] for r in runs]
        share = f"{size / walls[c] / ceiling * 100:.0f}%" if sc["cold"] else "–"
        cpu = med([r["client_cpu"] for r in runs])
        cpu_txt = f"{cpu / gib:.2f}" if sc["cold"] else f"{cpu:.2f} s"
        name = f"**{c}**" if c in OURS else c
        lines.append(f"| {name} | {walls[c]:.2f} ({min(w):.2f}–{max(w):.2f}) | {share} | {cpu_txt} |"
                     f" {med([r['containerd_cpu'] + r['snapshotter_cpu'] for r in runs]):.2f} |"
                     f" {med([r['client_rss'] for r in runs]):.0f} | {med([r['containerd_rss'] for r in runs]):.0f} |"
                     f" {med([r['written'] for r in runs]) / size:.2f}× |"
                     f" {med([r['fetched'] for r in runs]) / MiB:.0f} MiB |")
    ours = [c for c in sc["contenders"] if c in OURS]
    peers = [c for c in sc["contenders"] if c not in OURS]
    lines += ["", "| peer time ÷ rpull time | " + " | ".join(peers) + " |", "|---|" + "---|" * len(peers)]
    for o in ours:
        lines.append(f"| {o} | " + " | ".join(fmt_ratio(walls[p] / walls[o]) for p in peers) + " |")
    return "\n".join(lines)


def tune_table(tune):
    lines = ["| concurrent_layer_fetch_buffer | max_concurrent_downloads | image | wall s, median (min–max) | MB/s |",
             "|---|---|---|---|---|"]
    for r in tune["rows"]:
        w = med(r["walls"])
        lines.append(f"| {r['chunk'] // MiB} MiB | {r['downloads']} | {r['image']} | {w:.2f} "
                     f"({min(r['walls']):.2f}–{max(r['walls']):.2f}) | {r['size'] / w / 1e6:.0f} |")
    return "\n".join(lines) + f"\n\n_Measured {tune['measured']}._"


def disk_table(text):
    """bench/disk-bytes' output as a table."""
    lines = ["| contender | disk growth | × image | bytes the device wrote | × image |", "|---|---|---|---|---|"]
    for line in text.splitlines():
        m = re.match(r"(.+?)\s+(\d+)\s+([\d.]+)x\s+(\d+)\s+([\d.]+)x$", line)
        if m:
            lines.append(f"| {m.group(1)} | {int(m.group(2)):,} | {m.group(3)}× | {int(m.group(4)):,} | {m.group(5)}× |")
    return "\n".join(lines)


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install matplotlib)", file=sys.stderr)
        return False
    sized = sorted((r for r in results if r["scenario"]["group"] == "size"), key=lambda r: r["size"])
    if not sized:
        return False
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for c in sized[0]["scenario"]["contenders"]:
        xs = [r["size"] / MiB for r in sized]
        ys = [med([m["wall"] for m in r["results"][c]]) for r in sized]
        ax.plot(xs, ys, marker="o", label=c, linewidth=2.2 if c in OURS else 1.2,
                linestyle="-" if c in OURS else "--")
    xs = [r["size"] / MiB for r in sized]
    ax.plot(xs, [x * MiB / sized[0]["ceiling"] for x in xs], linestyle=":", color="grey", label="link ceiling")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("image size (MiB)")
    ax.set_ylabel("pull time (s), median")
    ax.set_title("overlaybd, whole image on the node: 1 Gbit/s, 20 ms RTT, HTTPS, 25 MiB/s per connection")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def profile_table(profiles):
    """bench/profile's buckets side by side: CPU-s per GiB of each mode, largest first."""
    names = {"cli": "rpull --no-agent", "agent": "rpulld (the pull only)"}
    buckets = []
    for p in profiles:
        for b, _ in p["rows"]:
            if b not in buckets:
                buckets.append(b)
    by = [dict(p["rows"]) for p in profiles]
    buckets.sort(key=lambda b: -max(d.get(b, 0) for d in by))
    head = "| where the client's CPU goes, CPU-s/GiB | " + " | ".join(names[p["mode"]] for p in profiles) + " |"
    lines = [head, "|---|" + "---|" * len(profiles)]
    for b in buckets:
        lines.append(f"| {b} | " + " | ".join(f"{d.get(b, 0):.2f}" for d in by) + " |")
    lines.append("| **total sampled** | " + " | ".join(f"**{p['total']:.2f}**" for p in profiles) + " |")
    lines.append("")
    lines.append("Measured " + ", ".join(f"{names[p['mode']]}: {p['measured']}, {p['runs']} cold pulls "
                                       f"({min(p['walls']):.2f}–{max(p['walls']):.2f} s)" for p in profiles) + ".")
    return "\n".join(lines)


def report(out):
    order = [s["key"] for s in SCENARIOS]
    results = []
    for key in order:
        path = os.path.join(RESULTS, f"{key}.json")
        if os.path.exists(path):
            results.append(json.load(open(path)))
    blocks = {"bench:results": "\n\n".join(scenario_table(r) for r in results)}
    tune_path = os.path.join(RESULTS, "tune.json")
    if os.path.exists(tune_path):
        blocks["bench:tune"] = tune_table(json.load(open(tune_path)))
    disk_path = os.path.join(RESULTS, "disk-bytes.txt")
    if os.path.exists(disk_path):
        blocks["bench:disk"] = disk_table(open(disk_path).read())
    profiles = [json.load(open(os.path.join(RESULTS, f"profile-{m}.json"))) for m in ("cli", "agent")
                if os.path.exists(os.path.join(RESULTS, f"profile-{m}.json"))]
    if profiles:
        blocks["bench:profile"] = profile_table(profiles)
    png = os.path.join(os.path.dirname(out), "benchmarks-pull-time.png")
    if plot(results, png):
        blocks["bench:results"] += "\n\n![pull time against image size, every contender](benchmarks-pull-time.png)"
    text = open(out).read()
    for name, body in blocks.items():
        start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
        if start not in text:
            raise SystemExit(f"{out} has no {start} block")
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: f"{start}\n{body}\n{end}", text, flags=re.S)
    with open(out, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", default=",".join(s["key"] for s in SCENARIOS))
    ap.add_argument("--contenders", help="only these (comma-separated); written to <scenario>.partial.json")
    ap.add_argument("--tune-peer", action="store_true")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    args = ap.parse_args()
    if args.list:
        for s in SCENARIOS:
            print(f"{s['key']:12} {s['title']} ({s['link']})")
        return
    if args.report:
        report(args.out)
        return
    if args.tune_peer:
        tune_peer(args.runs)
        return
    by_key = {s["key"]: s for s in SCENARIOS}
    for key in args.scenarios.split(","):
        if key not in by_key:
            raise SystemExit(f"no scenario {key!r}; --list shows them")
    for key in args.scenarios.split(","):
        print(f"scenario {key}: {by_key[key]['title']}", file=sys.stderr, flush=True)
        run_scenario(by_key[key], args.runs, args.contenders.split(",") if args.contenders else None)


if __name__ == "__main__":
    main()
