#!/usr/bin/env python3
"""A fault-injecting front of the test registry, for rpull's fault matrix (docs/reliability.md).

A test registers a case (POST /control/cases with a JSON body); the front builds a fresh image with
content no other case has, pushes it to the real registry, and answers with where to pull it:
<main>/f/<case>/img:v1. Requests under /v2/f/<case>/ are proxied to the registry with the case's
faults applied: statuses with or without Retry-After, resets, cut, stalled, short and long bodies,
Range ignored or answered wrongly, redirect chains, loops and hops to another host, corrupt bytes,
replaced documents; Basic or Bearer auth with a token service on another host, port or over TLS.
GET /control/cases/<case> returns what the case saw (requests with their Authorization, tokens
issued); GET /control/cases/<case>/await?role=<role>&seconds=<n> waits until the case was asked for
that part of its image (manifest, config, layer0, ...); POST /control/cases/<case>/clear removes its faults, so a rerun meets a healthy registry.

Listeners (printed as JSON on the first line of stdout, then serving until killed):
  main   127.0.0.1, plain HTTP: the registry front and the control endpoint
  alt    127.0.0.3, plain HTTP: another host (redirect targets, token services)
  tls    127.0.0.1, HTTPS with the test CA's certificate: the front again, and token services
  hole   127.0.0.1, a listening port whose queue is full: connections never complete
"""
import argparse
import base64
import gzip
import hashlib
import http.client
import http.server
import io
import json
import os
import secrets
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import tarfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seed  # noqa: E402  the test images' building blocks and the registry push

OCI_MANIFEST = seed.OCI_MANIFEST
OCI_INDEX = seed.OCI_INDEX
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"

CASES = {}
LOCK = threading.Lock()
SEEN = threading.Condition(LOCK)  # notified whenever a case's front sees a request
ADDR = {}


class CaseStore(seed.BlobStore):
    """seed's BlobStore, in a per-case temporary directory."""


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_of(files):
    buf = io.BytesIO()
    seed.small_tar(files)(buf)
    return buf.getvalue()


def build_image(store, kind):
    """Returns (top descriptor, {digest: role}) for a fresh image of this kind."""
    roles = {}

    def note(desc, role):
        roles[desc["digest"]] = role
        return desc

    if kind in ("obd", "obd-big", "obd-pair"):
        sizes = [64 * 1024, 5 * seed.MiB] if kind == "obd" else [64 * 1024, 9 * seed.MiB]
        layers = [note(seed.obd_layer(store, s), "layer%d" % i) for i, s in enumerate(sizes)]
        cfg = note(seed.config(store, "amd64", [l["digest"] for l in layers]), "config")
        return note(seed.manifest(store, cfg, layers), "manifest"), roles
    if kind in ("oci", "docker", "zstd"):
        raw = tar_of([("etc", None), ("etc/rpull-fault", os.urandom(64).hex().encode()),
                      ("opt", None), ("opt/data.bin", os.urandom(256 * 1024))])
        diff = sha(raw)
        if kind == "zstd":
            data = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
            layer = dict(mediaType=OCI_ZSTD, **store.put_bytes(data))
        else:
            data = gzip.compress(raw, mtime=0)
            layer = dict(mediaType=DOCKER_LAYER if kind == "docker" else seed.OCI_TAR_GZ, **store.put_bytes(data))
        note(layer, "layer0")
        cfg = seed.config(store, "amd64", [diff])
        if kind == "docker":
            cfg["mediaType"] = DOCKER_CONFIG
            body = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": cfg, "layers": [layer]}
            m = dict(mediaType=DOCKER_MANIFEST, **store.put_bytes(json.dumps(body).encode()))
        else:
            m = seed.manifest(store, cfg, [layer])
        note(cfg, "config")
        return note(m, "manifest"), roles
    if kind in ("index-foreign", "attestation"):
        top, inner = build_image(store, "obd")
        roles.update(inner)
        if kind == "index-foreign":
            arm = seed.manifest(store, seed.config(store, "arm64", []), [])
            s390 = seed.manifest(store, seed.config(store, "s390x", []), [])
            entries = [dict(arm, platform={"architecture": "arm64", "os": "linux"}),
                       dict(s390, platform={"architecture": "s390x", "os": "linux"})]
        else:
            statement = dict(mediaType="application/vnd.in-toto+json", **store.put_bytes(b'{"_type":"statement"}'))
            att_cfg = dict(mediaType=seed.OCI_CONFIG, **store.put_bytes(b'{"architecture":"unknown","os":"unknown"}'))
            att = seed.manifest(store, att_cfg, [statement])
            entries = [dict(top, platform={"architecture": "amd64", "os": "linux"}),
                       dict(att, platform={"architecture": "unknown", "os": "unknown"},
                            annotations={"vnd.docker.reference.type": "attestation-manifest",
                                         "vnd.docker.reference.digest": top["digest"]})]
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return note(dict(mediaType=OCI_INDEX, **store.put_bytes(json.dumps(index).encode())), "index"), roles
    raise ValueError("unknown image kind " + kind)


def push(store, repo, top):
    reg = seed.Registry(ADDR["registry"])
    reg.push_tree(store, repo, top)
    reg.push_manifest(store, repo, "v1", top)


def mutate(case, store, top, how):
    """Bad documents, served by the front itself (the registry would refuse most of them on push)."""
    doc = json.loads(open(store.path(top["digest"]), "rb").read())
    overrides = case["overrides"]

    def serve_manifest(body, ctype=OCI_MANIFEST):
        overrides["manifest:v1"] = (body, ctype)
        overrides["manifest:" + top["digest"]] = (body, ctype)  # a pull by the real digest gets it too
        return sha(body)

    def with_layer(field, value):
        d = json.loads(json.dumps(doc))
        d["layers"][-1][field] = value
        return json.dumps(d).encode()

    if how == "not-json":
        serve_manifest(b"<html>this is not a manifest</html>")
    elif how == "empty":
        serve_manifest(b"")
    elif how == "oversized":
        d = dict(doc, annotations={"pad": "x" * (5 * seed.MiB)})
        serve_manifest(json.dumps(d).encode())
    elif how == "ambiguous":
        serve_manifest(json.dumps(dict(doc, manifests=[])).encode())
    elif how == "schema1":
        serve_manifest(json.dumps({"schemaVersion": 1, "name": "x", "tag": "v1", "fsLayers": []}).encode(),
                       "application/vnd.docker.distribution.manifest.v1+prettyjws")
    elif how == "content-type-index":
        serve_manifest(open(store.path(top["digest"]), "rb").read(), OCI_INDEX)
    elif how == "negative-size":
        serve_manifest(with_layer("size", -1))
    elif how == "absurd-size":
        serve_manifest(with_layer("size", 1 << 50))
    elif how == "short-size":
        serve_manifest(with_layer("size", doc["layers"][-1]["size"] - 1))
    elif how == "bad-digest":
        serve_manifest(with_layer("digest", "sha256:xyz"))
    elif how == "unknown-layer-type":
        serve_manifest(with_layer("mediaType", "application/vnd.example.unknown"))
    elif how == "zero-layers":
        d = json.loads(json.dumps(doc))
        d["layers"] = []
        cfg = json.loads(open(store.path(d["config"]["digest"]), "rb").read())
        cfg["rootfs"]["diff_ids"] = []
        body = json.dumps(cfg).encode()
        overrides["blob:" + sha(body)] = (body, "application/octet-stream")
        d["config"] = dict(d["config"], digest=sha(body), size=len(body))
        serve_manifest(json.dumps(d).encode())
    elif how in ("config-not-json", "diffid-mismatch", "diffid-count"):
        cfg = json.loads(open(store.path(doc["config"]["digest"]), "rb").read())
        if how == "config-not-json":
            body = b"not json at all"
        else:
            if how == "diffid-mismatch":
                cfg["rootfs"]["diff_ids"][-1] = sha(b"something else")
            else:
                cfg["rootfs"]["diff_ids"].append(sha(b"one more"))
            body = json.dumps(cfg).encode()
        overrides["blob:" + sha(body)] = (body, "application/octet-stream")
        d = json.loads(json.dumps(doc))
        d["config"] = dict(d["config"], digest=sha(body), size=len(body))
        serve_manifest(json.dumps(d).encode())
    elif how == "digest-header":
        case["wrong_digest_header"] = True
    else:
        raise ValueError("unknown mutation " + how)


def new_case(spec):
    cid = "c" + secrets.token_hex(5)
    import tempfile
    tmp = tempfile.mkdtemp(prefix="faultfront-")
    store = CaseStore(tmp)
    top, roles = build_image(store, spec.get("image", "obd"))
    repo = "f/" + cid + "/img"
    push(store, repo, top)
    case = {"id": cid, "spec": spec, "faults": [dict(f, used=0) for f in spec.get("faults", [])],
            "roles": roles, "overrides": {}, "requests": [], "tokens": [], "auth": spec.get("auth"),
            "user": "fault", "password": "pw-" + secrets.token_hex(8), "wrong_digest_header": False}
    if spec.get("image") == "obd-pair":
        # v2: v1's layers and one more, so that a lazy pull of v2 builds on v1's snapshots
        base = json.loads(open(store.path(top["digest"]), "rb").read())
        v2 = seed.obd_image(store, [32 * 1024], shared=base["layers"])
        seed.Registry(ADDR["registry"]).push_tree(store, repo, v2)
        seed.Registry(ADDR["registry"]).push_manifest(store, repo, "v2", v2)
    if spec.get("mutate"):
        mutate(case, store, top, spec["mutate"])
    with LOCK:
        CASES[cid] = case
    return {"id": cid, "repository": repo, "tag": "v1", "top": top, "roles": roles,
            "user": case["user"], "password": case["password"], "hosts": {k: v for k, v in ADDR.items()}}


def role_of(case, kind, ref):
    if kind == "manifests":
        r = case["roles"].get(ref, "manifest" if not ref.startswith("sha256:") else None)
        return r or "manifest"
    return case["roles"].get(ref, "blob")


def matches(fault, role, kind):
    m = fault.get("match", "any")
    if m == "any":
        return True
    if m == "blob":
        return kind == "blobs"
    if m == "layer":
        return role.startswith("layer")
    return m == role


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "main"

    def log_message(self, fmt, *args):
        pass

    # --- plumbing -----------------------------------------------------------------------------------
    def body_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def send(self, code, body=b"", headers=None, head=False):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def reset(self):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def json_answer(self, obj, code=200):
        self.send(code, json.dumps(obj).encode(), {"Content-Type": "application/json"})

    # --- control --------------------------------------------------------------------------------------
    def control(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        body = self.body_json()  # always read: what is left would be taken for the next request
        if self.command == "POST" and parts == ["control", "cases"]:
            try:
                return self.json_answer(new_case(body))
            except Exception as e:  # a broken case spec is the test's bug: say it
                return self.json_answer({"error": repr(e)}, 400)
        if len(parts) >= 3 and parts[:2] == ["control", "cases"]:
            case = CASES.get(parts[2])
            if case is None:
                return self.json_answer({"error": "no such case"}, 404)
            if parts[3:] == ["await"]:  # ?role=manifest|config|layer1...&seconds=N: wait until it was asked for
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                role = q["role"][0]
                deadline = time.time() + float(q.get("seconds", ["1"])[0])

                def asked():
                    return any((r["kind"] == "manifests") if role == "manifest"
                               else case["roles"].get(r["ref"]) == role for r in case["requests"])
                with SEEN:
                    while not asked() and time.time() < deadline:
                        SEEN.wait(max(0.0, deadline - time.time()))
                    seen = asked()
                return self.json_answer({"seen": seen})
            if self.command == "POST" and parts[3:] == ["clear"]:
                with LOCK:
                    case["faults"] = []
                    case["overrides"] = {}
                    case["wrong_digest_header"] = False
                return self.json_answer({"cleared": case["id"]})
            with LOCK:
                return self.json_answer({"requests": case["requests"], "tokens": case["tokens"]})
        self.json_answer({"error": "unknown control path"}, 404)

    # --- token service ----------------------------------------------------------------------------------
    def token(self, case):
        auth = case["auth"] or {}
        given = self.headers.get("Authorization")
        expected = "Basic " + base64.b64encode((case["user"] + ":" + case["password"]).encode()).decode()
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        self.note(case, "token", "token", given)
        if auth.get("refuse_token") or (given is not None and given != expected) \
                or (given is None and not auth.get("anonymous")):
            return self.json_answer({"errors": [{"code": "UNAUTHORIZED", "message": "access denied"}]}, 401)
        scope = (q.get("scope") or [""])[0]
        if auth.get("check_scope") and scope != "repository:f/%s/img:pull" % case["id"]:
            return self.json_answer({"errors": [{"code": "DENIED", "message": "bad scope " + scope}]}, 403)
        tok = "tok-" + secrets.token_hex(12)
        with LOCK:
            case["tokens"].append({"token": tok, "issued": time.time(), "uses": 0})
        self.json_answer({"token": tok, "expires_in": auth.get("ttl", 300)})

    def challenge(self, case):
        auth = case["auth"]
        if auth["type"] == "basic":
            hdr = 'Basic realm="fault"'
        else:
            where = auth.get("realm", "alt")
            base = {"alt": "http://" + ADDR["alt"], "tls": "https://" + ADDR["tls"],
                    "main": "http://" + ADDR["main"]}[where]
            hdr = 'Bearer realm="%s/token/%s",service="fault"' % (base, case["id"])
            if auth.get("scope_in_challenge"):
                hdr += ',scope="repository:f/%s/img:pull"' % case["id"]
        self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                  {"WWW-Authenticate": hdr, "Content-Type": "application/json"}, head=self.command == "HEAD")

    def authorized(self, case):
        auth = case["auth"]
        if not auth:
            return True
        given = self.headers.get("Authorization") or ""
        if auth["type"] == "basic":
            return given == "Basic " + base64.b64encode((case["user"] + ":" + case["password"]).encode()).decode()
        with LOCK:
            for t in case["tokens"]:
                if given == "Bearer " + t["token"]:
                    t["uses"] += 1
                    expire_after = auth.get("expire_after")
                    return expire_after is None or t["uses"] <= expire_after
        return False

    def note(self, case, kind, ref, auth=None):
        with SEEN:
            SEEN.notify_all()
            case["requests"].append({"listener": self.listener, "method": self.command, "kind": kind,
                                     "ref": ref, "range": self.headers.get("Range"),
                                     "auth": auth if auth is not None else self.headers.get("Authorization"),
                                     "query": urllib.parse.urlsplit(self.path).query})

    # --- registry -------------------------------------------------------------------------------------
    def do_GET(self):
        self.handle_any()

    def do_HEAD(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/control/"):
            return self.control()
        if path.startswith("/token/"):
            case = CASES.get(path.split("/")[2])
            return self.token(case) if case else self.send(404)
        if path == "/v2/" or path == "/v2":
            return self.send(200, b"{}", {"Content-Type": "application/json"}, head=self.command == "HEAD")
        if path.startswith("/hop/"):  # redirect chains: /hop/<n>/<target path>
            _, _, n, rest = path.split("/", 3)
            n = int(n)
            loc = "/hop/%d/%s" % (n - 1, rest) if n > 1 else "/" + rest
            if n < 0:
                loc = path  # a loop
            return self.send(307, b"", {"Location": loc})
        parts = path.split("/")
        # /v2/f/<case>/img/(manifests|blobs)/<ref>
        if len(parts) < 7 or parts[2] != "f" or parts[5] not in ("manifests", "blobs"):
            return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"not a fault case"}]}')
        case = CASES.get(parts[3])
        if case is None:
            return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"no such case"}]}')
        kind, ref = parts[5], parts[6]
        self.note(case, kind, ref)
        # The other host stands for blob storage (or a mirror): it takes no registry credentials.
        if self.listener != "alt" and not self.authorized(case):
            return self.challenge(case)
        role = role_of(case, kind, ref)
        fault = None
        with LOCK:
            for f in case["faults"]:
                if f.get("listener", self.listener) != self.listener:
                    continue
                if matches(f, role, kind) and (f.get("times", 1) < 0 or f["used"] < f.get("times", 1)):
                    f["used"] += 1
                    fault = f
                    break
        self.answer(case, kind, ref, role, fault, path)

    def answer(self, case, kind, ref, role, fault, path):
        action = fault["action"] if fault else None
        head = self.command == "HEAD"
        if action == "status":
            headers = {"Content-Type": "application/json"}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            return self.send(fault["code"], b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}',
                             headers, head=head)
        if action == "reset":
            return self.reset()
        if action == "redirect":
            hops = fault.get("hops", 1)
            target = path
            host = ADDR["alt"] if fault.get("other_host") else self.headers.get("Host")
            if fault.get("loop"):
                loc = "http://%s/hop/-1/%s" % (self.headers.get("Host"), target.lstrip("/"))
            else:
                loc = "http://%s/hop/%d/%s" % (host, hops, target.lstrip("/")) if hops > 1 \
                    else "http://%s%s" % (host, target)
            # a hop must not meet the fault again
            return self.send(307, b"", {"Location": loc})
        # the content: an override, or the registry's answer
        override = case["overrides"].get(("manifest:" + ref) if kind == "manifests" else ("blob:" + ref))
        if override is None and kind == "manifests" and not ref.startswith("sha256:"):
            override = case["overrides"].get("manifest:v1")
        if override is not None:
            body, ctype = override
            headers = {"Content-Type": ctype, "Docker-Content-Digest": sha(body)}
            status = 200
        else:
            status, headers, body = self.upstream(path, kind)
        if case["wrong_digest_header"] and kind == "manifests":
            headers["Docker-Content-Digest"] = sha(b"another manifest")
        if head and status == 200:
            headers["Content-Length"] = str(len(body))  # what a HEAD resolves by (ctr does)
        if status not in (200, 206) or head:
            return self.send(status, b"" if head else body, headers, head=head)
        full = body
        rng = self.headers.get("Range")
        start, end = 0, len(full)
        if rng and kind == "blobs" and action != "ignore_range":
            a, b = rng.split("=", 1)[1].split("-")
            start, end = int(a), min(int(b) + 1, len(full))
            status = 206
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end - 1, len(full))
            if action == "bad_range":
                headers["Content-Range"] = "bytes %d-%d/%d" % (start + 1, end, len(full))
            if action == "no_content_range":
                del headers["Content-Range"]
        part = full[start:end]
        if action == "corrupt":
            part = bytes([part[0] ^ 0xFF]) + part[1:] if part else part
        headers["Content-Length"] = str(len(part))
        if action == "long":
            part = part + b"garbage after the declared length"
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if action in ("cut", "stall", "short"):
            at = min(fault.get("offset", len(part) // 2), len(part))
            self.wfile.write(part[:at])
            self.wfile.flush()
            if action == "stall":
                time.sleep(fault.get("seconds", 5))
            if action == "cut":
                return self.reset()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(part)
        if action == "long":
            self.close_connection = True

    def upstream(self, path, kind):
        real = path  # the case's repository is f/<case>/img in the registry too
        conn = http.client.HTTPConnection(ADDR["registry"], timeout=60)
        headers = {"Accept": self.headers.get("Accept", "*/*")}
        conn.request("GET", real, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        hdrs = {}
        for k in ("Content-Type", "Docker-Content-Digest"):
            if resp.getheader(k):
                hdrs[k] = resp.getheader(k)
        conn.close()
        return resp.status, hdrs, body


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def serve(address, listener, tls=None):
    handler = type("H" + listener, (Handler,), {"listener": listener})
    srv = Server((address, 0), handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return "%s:%d" % (address, srv.server_address[1])


def black_hole():
    """A port that accepts no connection: its queue is full, so SYNs are dropped and connects time out."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(0)
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(s.getsockname())
        fillers.append(c)
    time.sleep(0.2)
    black_hole.keep = (s, fillers)
    return "127.0.0.1:%d" % s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    ADDR["registry"] = args.registry
    ADDR["main"] = serve("127.0.0.1", "main")
    ADDR["alt"] = serve("127.0.0.3", "alt")
    ADDR["tls"] = serve("127.0.0.1", "tls", (args.cert, args.key))
    ADDR["hole"] = black_hole()
    print(json.dumps(ADDR), flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
