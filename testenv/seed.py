#!/usr/bin/env python3
"""Builds rpull's test images (cached) and pushes them to a registry with the distribution API.

Images (all pushed to <registry>/rpull/...):
  obd:v1        overlaybd format: 4 layers, each an uncompressed tar holding one file
                `overlaybd.commit`, annotated with blob-digest/blob-size/version; diff_ids = blob digests
  debian:bookworm  plain OCI: a debootstrap minbase root filesystem plus two small gzip layers
                (one of them deletes a file with a whiteout)
  multi:v1      an OCI index, linux/amd64 (overlaybd, shares two layers with obd:v1) + linux/arm64
  big:v1        overlaybd format, 1056 MiB: one 576 MiB layer and three 160 MiB layers
  obd-lazy:v1   overlaybd format, 4 small layers, for lazy (no --download-blobs) pulls only
  obd-redirect:v1  overlaybd format, 3 + 20 MiB, pulled only through the redirecting nginx front
  shared-a:v1, shared-b:v1  overlaybd, sharing two layers, for the concurrent-pull tests
  obd-kill:v1   overlaybd, 256 + 2 MiB, for the kill-and-rerun test
  obd-signal:v1 overlaybd, 64 MiB, for the SIGTERM test
  batch-a:v1, batch-b:v1  overlaybd, sharing two layers, for the batch-pull test
  cri:v1, cri-a:v1, cri-b:v1, fanout:v1, parity:v1, agent-kill:v1  overlaybd, each pulled only by
                one rpulld test (crictl, concurrent crictl, eight namespaces, output parity, agent kill)
  dist:v1       overlaybd, 5 + 7 MiB, pulled only by rpull's container image (DistIT)
  pause:v1      CRI's sandbox image: debian:bookworm's base layer, entrypoint `sleep infinity`
  base:bookworm debian:bookworm's base layer alone: the base of rpull's own image (dist/image)
With --set fleet, the simulated cluster's image instead (bench/fleet): fleet:v1, overlaybd, 256 MiB in 4 layers.
With --set bench, the benchmark's images instead (bench/all):
  obd-4g:v1     overlaybd, 4 GiB in six layers
  oci-1g:v1     plain OCI, twelve gzip layers of application-like files, 1.5 GiB compressed
  eight-1..8:v1 overlaybd, 128 MiB each, eight different images pulled at once
Prints `export RPULL_IMAGE_*=<ref>` lines.
"""
import argparse
import gzip
import hashlib
import http.client
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse

MiB = 1 << 20
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_TAR_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
OBD = "containerd.io/snapshot/overlaybd"


def log(msg):
    print("seed: " + msg, file=sys.stderr, flush=True)


class BlobStore:
    """Content-addressed files under the cache directory."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs"), exist_ok=True)

    def path(self, digest):
        return os.path.join(self.root, "blobs", digest.split(":", 1)[1])

    def has(self, digest):
        return os.path.exists(self.path(digest))

    def put_bytes(self, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if not self.has(digest):
            with open(self.path(digest) + ".tmp", "wb") as f:
                f.write(data)
            os.rename(self.path(digest) + ".tmp", self.path(digest))
        return {"digest": digest, "size": len(data)}

    def put_stream(self, write_fn):
        """write_fn(file) writes the blob; returns its descriptor core."""
        fd, tmp = tempfile.mkstemp(dir=os.path.join(self.root, "blobs"))
        h = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as raw:
            class Tee(io.RawIOBase):
                def writable(self):
                    return True

                def write(self, b):
                    nonlocal size
                    h.update(b)
                    size += len(b)
                    raw.write(b)
                    return len(b)
            write_fn(Tee())
        digest = "sha256:" + h.hexdigest()
        os.rename(tmp, self.path(digest))
        return {"digest": digest, "size": size}


def obd_layer(store, size):
    """An overlaybd-format layer: an uncompressed tar with one 0444 member `overlaybd.commit`."""
    def write(out):
        info = tarfile.TarInfo("overlaybd.commit")
        info.size, info.mode, info.mtime = size, 0o444, 0
        out.write(info.tobuf(format=tarfile.USTAR_FORMAT))
        left = size
        while left:
            n = min(left, 4 * MiB)
            out.write(os.urandom(n))
            left -= n
        out.write(b"\0" * ((-size) % 512) + b"\0" * 1024)
    d = store.put_stream(write)
    return dict(mediaType=OCI_TAR, **d, annotations={
        OBD + "/blob-digest": d["digest"], OBD + "/blob-size": str(d["size"]), OBD + "/version": "0.1.0"})


def gzip_layer(store, tar_writer):
    """A gzip layer built by tar_writer(fileobj); returns (descriptor, diffID)."""
    diff = hashlib.sha256()

    def write(out):
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
            class Tee(io.RawIOBase):
                def writable(self):
                    return True

                def write(self, b):
                    diff.update(b)
                    gz.write(b)
                    return len(b)
            tar_writer(Tee())
    d = store.put_stream(write)
    return dict(mediaType=OCI_TAR_GZ, **d), "sha256:" + diff.hexdigest()


def small_tar(files):
    """files: list of (name, bytes or None for a directory)."""
    def write(out):
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for name, data in files:
                info = tarfile.TarInfo(name)
                info.mtime = 0
                if data is None:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                else:
                    info.size, info.mode = len(data), 0o644
                    tar.addfile(info, io.BytesIO(data))
    return write


def debootstrap_layer(store, workdir):
    rootfs = os.path.join(workdir, "rootfs")
    log("debootstrap --variant=minbase bookworm")
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", rootfs, "http://deb.debian.org/debian"],
                   check=True, stdout=subprocess.DEVNULL)

    def write(out):
        p = subprocess.Popen(["tar", "--numeric-owner", "--sort=name", "--mtime=@0", "-C", rootfs, "-cf", "-", "."],
                             stdout=subprocess.PIPE)
        shutil.copyfileobj(p.stdout, out, 1 * MiB)
        if p.wait() != 0:
            raise SystemExit("tar of the debootstrap root failed")
    return gzip_layer(store, write)


def config(store, arch, diff_ids):
    cfg = {"architecture": arch, "os": "linux",
           "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    return dict(mediaType=OCI_CONFIG, **store.put_bytes(json.dumps(cfg, separators=(",", ":")).encode()))


def manifest(store, cfg, layers):
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": cfg, "layers": layers}
    return dict(mediaType=OCI_MANIFEST, **store.put_bytes(json.dumps(m, separators=(",", ":")).encode()))


def obd_image(store, sizes, shared=()):
    layers = list(shared) + [obd_layer(store, s) for s in sizes]
    cfg = config(store, "amd64", [l["digest"] for l in layers])
    return manifest(store, cfg, layers)


def read_json(store, desc):
    with open(store.path(desc["digest"]), "rb") as f:
        return json.load(f)


def build_obd(store, images):
    return obd_image(store, [8 * MiB, 12 * MiB, 16 * MiB, 24 * MiB])


def build_obd_lazy(store, images):
    # Only lazy pulls touch this one: overlaybd-snapshotter cannot register a layer lazily in a
    # namespace when another namespace first downloaded it and a third registered it lazily.
    return obd_image(store, [1 * MiB, 2 * MiB, 3 * MiB, 4 * MiB])


def build_redirect(store, images):
    # Pulled only through the redirecting nginx front, so its blobs are never already in containerd.
    return obd_image(store, [3 * MiB, 20 * MiB])


def build_shared_a(store, images):
    # SHARED_A and SHARED_B share their two bottom layers; only the concurrency tests pull them.
    return obd_image(store, [6 * MiB, 10 * MiB, 14 * MiB])


def build_shared_b(store, images):
    shared = read_json(store, images["SHARED_A"][2])["layers"][:2]
    return obd_image(store, [9 * MiB], shared=shared)


def build_batch_a(store, images):
    # BATCH_A and BATCH_B share two layers; only the batch-pull test pulls them.
    return obd_image(store, [2 * MiB, 3 * MiB, 1 * MiB])


def build_batch_b(store, images):
    shared = read_json(store, images["BATCH_A"][2])["layers"][:2]
    return obd_image(store, [1 * MiB], shared=shared)


def build_kill(store, images):
    # Pulled only by the kill-and-rerun test, through the per-connection-capped front.
    return obd_image(store, [256 * MiB, 2 * MiB])


def build_signal(store, images):
    # Pulled only by the SIGTERM test, slowly (--max-bandwidth), so that it is interrupted mid-download.
    return obd_image(store, [64 * MiB])


def build_cri(store, images):
    # Pulled only through rpulld's CRI endpoint (crictl), plain and with credentials.
    return obd_image(store, [3 * MiB, 5 * MiB])


def build_cri_a(store, images):
    # CRI_A and CRI_B share two layers; only the concurrent crictl test pulls them.
    return obd_image(store, [4 * MiB, 6 * MiB, 8 * MiB])


def build_cri_b(store, images):
    shared = read_json(store, images["CRI_A"][2])["layers"][:2]
    return obd_image(store, [5 * MiB], shared=shared)


def build_fanout(store, images):
    # Pulled only by the eight-namespaces-through-the-agent test.
    return obd_image(store, [4 * MiB, 6 * MiB])


def build_parity(store, images):
    # Pulled only by the test that compares the agent's output with an in-process pull's.
    return obd_image(store, [1 * MiB, 2 * MiB])


def build_dist(store, images):
    # Pulled only by rpull's own container image (DistIT), so that pull downloads it.
    return obd_image(store, [5 * MiB, 7 * MiB])


def build_agent_kill(store, images):
    # Pulled only by the kill-the-agent test, through the per-connection-capped front.
    return obd_image(store, [192 * MiB, 1 * MiB])


def build_oci(store, images):
    with tempfile.TemporaryDirectory() as work:
        base, base_diff = debootstrap_layer(store, work)
    l2, d2 = gzip_layer(store, small_tar([
        ("etc/rpull-release", b"rpull test image\n"), ("opt", None), ("opt/rpull", None),
        ("opt/rpull/data.bin", os.urandom(2 * MiB)), ("opt/rpull/remove-me", b"deleted by the next layer\n")]))
    l3, d3 = gzip_layer(store, small_tar([
        ("opt/rpull/.wh.remove-me", b""), ("usr/local/bin/hello", b"#!/bin/sh\necho hello from rpull\n")]))
    cfg = config(store, "amd64", [base_diff, d2, d3])
    return manifest(store, cfg, [base, l2, l3])


def debian_base(store, images, entrypoint):
    # The Debian base layer of debian:bookworm alone: nothing is fetched from outside the test environment.
    oci = read_json(store, images["OCI"][2])
    base = oci["layers"][0]
    base_diff = read_json(store, oci["config"])["rootfs"]["diff_ids"][0]
    settings = {"Entrypoint": entrypoint} if entrypoint else {}
    settings["Env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    cfg = {"architecture": "amd64", "os": "linux", "config": settings,
           "rootfs": {"type": "layers", "diff_ids": [base_diff]}}
    cfg_desc = dict(mediaType=OCI_CONFIG, **store.put_bytes(json.dumps(cfg, separators=(",", ":")).encode()))
    return manifest(store, cfg_desc, [base])


def build_pause(store, images):
    # CRI's sandbox ("pause") image for the runp tests: an entrypoint that sleeps.
    return debian_base(store, images, ["/bin/sleep", "infinity"])


def build_base(store, images):
    # The base of rpull's own container image (dist/image), for an image built here.
    return debian_base(store, images, None)


def build_index(store, images):
    obd_layers = read_json(store, images["OBD"][2])["layers"]
    amd64 = obd_image(store, [4 * MiB], shared=obd_layers[:2])
    arm_layer, arm_diff = gzip_layer(store, small_tar([("etc/arch", b"arm64\n")]))
    arm64 = manifest(store, config(store, "arm64", [arm_diff]), [arm_layer])
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        dict(amd64, platform={"architecture": "amd64", "os": "linux"}),
        dict(arm64, platform={"architecture": "arm64", "os": "linux", "variant": "v8"})]}
    return dict(mediaType=OCI_INDEX, **store.put_bytes(json.dumps(index, separators=(",", ":")).encode()))


def build_big(store, images):
    return obd_image(store, [576 * MiB, 160 * MiB, 160 * MiB, 160 * MiB])


def app_layer(store, seed, files, mean_size):
    """A gzip layer like an application's: `files` files of about mean_size bytes, half of them
    random bytes (binaries, already-compressed assets: gzip cannot shrink them) and half text-like
    (source, configuration: about 3:1), so unpacking pays a realistic inflate and write cost."""
    rnd = random.Random(seed)
    words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
             for _ in range(4000)]
    text = b" ".join(rnd.choice(words) for _ in range(MiB // 5))

    def write(out):
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for d in ("app", f"app/{seed}"):
                info = tarfile.TarInfo(d)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                tar.addfile(info)
            for i in range(files):
                size = rnd.randint(mean_size // 2, mean_size * 3 // 2)
                if i % 2:
                    data = os.urandom(size)
                else:
                    start = rnd.randrange(len(text) // 2)
                    data = (text[start:] * (size // (len(text) - start) + 1))[:size]
                info = tarfile.TarInfo(f"app/{seed}/file-{i:04d}{'.bin' if i % 2 else '.txt'}")
                info.size, info.mode, info.mtime = size, 0o644, 0
                tar.addfile(info, io.BytesIO(data))
    return gzip_layer(store, write)


def build_obd_4g(store, images):
    return obd_image(store, [1024 * MiB, 1024 * MiB, 768 * MiB, 512 * MiB, 512 * MiB, 256 * MiB])


def build_oci_1g(store, images):
    # 12 gzip layers of 70-200 MiB (1.5 GiB compressed: half the files are incompressible).
    layers, diffs = [], []
    for i in range(12):
        layer, diff = app_layer(store, i, files=100 + 20 * (i % 6), mean_size=MiB + 128 * 1024 * (i % 4))
        layers.append(layer)
        diffs.append(diff)
    return manifest(store, config(store, "amd64", diffs), layers)


def build_eight(n):
    return lambda store, images: obd_image(store, [96 * MiB + n * 4096, 32 * MiB])


# Built and pushed only with --set bench (bench/all): large, and used by nothing else.
BENCH_IMAGES = {
    "OBD_4G": ("rpull/obd-4g", "v1", build_obd_4g),
    "OCI_1G": ("rpull/oci-1g", "v1", build_oci_1g),
    **{f"EIGHT_{n}": (f"rpull/eight-{n}", "v1", build_eight(n)) for n in range(1, 9)},
}

# Built and pushed only with --set fleet (bench/fleet): the image every simulated node pulls.
FLEET_IMAGES = {
    "FLEET": ("rpull/fleet", "v1", lambda store, images: obd_image(store, [96 * MiB, 64 * MiB, 64 * MiB, 32 * MiB])),
}

# key -> (repository, tag, builder); builders may use images built before them.
IMAGES = {
    "OBD": ("rpull/obd", "v1", build_obd),
    "OBD_LAZY": ("rpull/obd-lazy", "v1", build_obd_lazy),
    "OCI": ("rpull/debian", "bookworm", build_oci),
    "INDEX": ("rpull/multi", "v1", build_index),
    "PAUSE": ("rpull/pause", "v1", build_pause),
    "BASE": ("rpull/base", "bookworm", build_base),
    "BIG": ("rpull/big", "v1", build_big),
    "REDIRECT": ("rpull/obd-redirect", "v1", build_redirect),
    "SHARED_A": ("rpull/shared-a", "v1", build_shared_a),
    "SHARED_B": ("rpull/shared-b", "v1", build_shared_b),
    "KILL": ("rpull/obd-kill", "v1", build_kill),
    "SIGNAL": ("rpull/obd-signal", "v1", build_signal),
    "BATCH_A": ("rpull/batch-a", "v1", build_batch_a),
    "BATCH_B": ("rpull/batch-b", "v1", build_batch_b),
    "CRI": ("rpull/cri", "v1", build_cri),
    "CRI_A": ("rpull/cri-a", "v1", build_cri_a),
    "CRI_B": ("rpull/cri-b", "v1", build_cri_b),
    "FANOUT": ("rpull/fanout", "v1", build_fanout),
    "PARITY": ("rpull/parity", "v1", build_parity),
    "AGENT_KILL": ("rpull/agent-kill", "v1", build_agent_kill),
    "DIST": ("rpull/dist", "v1", build_dist),
}


class Registry:
    def __init__(self, addr):
        self.addr = addr

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.addr, timeout=120)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def push_blob(self, store, repo, digest, size):
        resp, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        if resp.status == 200:
            return
        resp, body = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        if resp.status != 202:
            raise SystemExit(f"upload start for {repo} failed: {resp.status} {body[:200]!r}")
        loc = urllib.parse.urlsplit(resp.getheader("Location"))
        sep = "&" if loc.query else "?"
        with open(store.path(digest), "rb") as f:
            resp, body = self.request("PUT", f"{loc.path}?{loc.query}{sep}digest={digest}", body=f,
                                      headers={"Content-Length": str(size),
                                               "Content-Type": "application/octet-stream"})
        if resp.status != 201:
            raise SystemExit(f"upload of {digest} to {repo} failed: {resp.status} {body[:200]!r}")

    def push_manifest(self, store, repo, ref, desc):
        with open(store.path(desc["digest"]), "rb") as f:
            data = f.read()
        resp, body = self.request("PUT", f"/v2/{repo}/manifests/{ref}", body=data,
                                  headers={"Content-Type": desc["mediaType"]})
        if resp.status != 201:
            raise SystemExit(f"manifest push {repo}:{ref} failed: {resp.status} {body[:300]!r}")

    def push_tree(self, store, repo, desc):
        """Pushes everything under desc (children before parents), then desc by digest."""
        doc = json.loads(open(store.path(desc["digest"]), "rb").read())
        if desc["mediaType"] == OCI_INDEX:
            for child in doc["manifests"]:
                self.push_tree(store, repo, child)
        else:
            for blob in [doc["config"]] + doc["layers"]:
                self.push_blob(store, repo, blob["digest"], blob["size"])
        self.push_manifest(store, repo, desc["digest"], desc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--set", choices=("test", "bench", "fleet"), default="test")
    args = ap.parse_args()
    store = BlobStore(args.cache)
    sets = {"test": ("images.json", IMAGES), "bench": ("bench-images.json", BENCH_IMAGES),
            "fleet": ("fleet-images.json", FLEET_IMAGES)}
    catalog_name, wanted = sets[args.set]
    catalog = os.path.join(args.cache, catalog_name)
    images = json.load(open(catalog)) if os.path.exists(catalog) else {}
    for key, (repo, tag, build) in wanted.items():
        if key in images and store.has(images[key][2]["digest"]):
            continue
        log(f"building {repo}:{tag} (once; cached in {args.cache})")
        images[key] = (repo, tag, build(store, images))
        with open(catalog + ".tmp", "w") as f:
            json.dump(images, f, indent=1)
        os.rename(catalog + ".tmp", catalog)

    reg = Registry(args.registry)
    for key, (repo, tag, desc) in images.items():
        resp, _ = reg.request("HEAD", f"/v2/{repo}/manifests/{tag}",
                              headers={"Accept": desc["mediaType"]})
        if resp.status != 200 or resp.getheader("Docker-Content-Digest") != desc["digest"]:
            log(f"pushing {repo}:{tag}")
            reg.push_tree(store, repo, desc)
            reg.push_manifest(store, repo, tag, desc)
        print(f"export RPULL_IMAGE_{key}={args.registry}/{repo}:{tag}")
        print(f"export RPULL_IMAGE_{key}_DIGEST={desc['digest']}")


if __name__ == "__main__":
    main()
