#!/usr/bin/env python3
"""make dist, then build from the tarball with no network, twice, in two different directories:

  dist-tarball     make dist twice gives the same bytes; the tarball holds the tree and every
                   file fetch.sh downloaded, each with a sum pinned in third_party/versions.sh,
                   and nothing else from third_party/build (no unpacked trees, no stamps)
  dist-unpinned    a file in the download directory without a pinned sum stops make dist
  offline-build    unpacked, `make` succeeds inside `unshare --net` (no network at all)
  reproducible     the two builds (different paths, different path lengths) give byte-identical
                   binaries, and neither binary contains its build directory

Last line: "dist: N passed, N failed"; exit status 1 if anything failed.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_ship import ROOT, Fail, check, expect, read, results, sh  # noqa: E402


def version():
    return re.search(r"^ECS_VERSION := (\S+)$", read("mk/version.mk"), re.M).group(1)


def make_dist():
    p = sh(["make", "--no-print-directory", "dist"])
    expect(p.returncode == 0, "make dist failed:\n" + p.stdout + p.stderr)
    with open(os.path.join(ROOT, "ecs-ca-status-%s.tar.gz" % version()), "rb") as f:
        return f.read()


def pinned_sums():
    return set(re.findall(r"^[A-Z0-9_]*_SHA256=([0-9a-f]{64})$", read("third_party/versions.sh"), re.M))


def offline_prefix():
    """unshare --net as root; an unprivileged user namespace otherwise."""
    for pre in (["unshare", "--net"], ["unshare", "--map-root-user", "--net"]):
        if subprocess.run(pre + ["true"], capture_output=True).returncode == 0:
            return pre
    raise Fail("cannot make a network namespace (unshare --net): run as root")


@check("dist-tarball")
def t_tarball(state):
    a = make_dist()
    b = make_dist()
    expect(a == b, "two make dist runs gave different tarballs (%s vs %s)" %
           (hashlib.sha256(a).hexdigest()[:16], hashlib.sha256(b).hexdigest()[:16]))
    state["tarball"] = os.path.join(ROOT, "ecs-ca-status-%s.tar.gz" % version())
    top = "ecs-ca-status-%s/" % version()
    with tarfile.open(state["tarball"]) as t:
        members = {m.name: m for m in t.getmembers()}
        expect(all(n == top[:-1] or n.startswith(top) for n in members), "members outside " + top)
        tracked = sh(["git", "ls-files"]).stdout.split()
        missing = [f for f in tracked if os.path.isfile(os.path.join(ROOT, f)) and top + f not in members]
        expect(not missing, "tracked files missing from the tarball: %r" % missing[:10])
        tp = [n[len(top):] for n in members if n.startswith(top + "third_party/build/")
              and members[n].isfile()]
        expect(tp, "no third-party files in the tarball")
        pins = pinned_sums()
        for n in tp:
            expect(n.count("/") == 2, "%s: only the downloaded files belong in the tarball" % n)
            digest = hashlib.sha256(t.extractfile(top + n).read()).hexdigest()
            expect(digest in pins, "%s: sha256 %s not pinned in versions.sh" % (n, digest))
        fetched = sorted("third_party/build/" + f for f in os.listdir(os.path.join(ROOT, "third_party/build"))
                         if os.path.isfile(os.path.join(ROOT, "third_party/build", f)) and f != ".stamp")
        expect(sorted(tp) == fetched, "bundled %r, downloaded %r" % (sorted(tp), fetched))
        expect(not any(n.startswith(top + "build/") for n in members), "build outputs in the tarball")
        epoch = t.extractfile(top + ".source-date-epoch").read().decode().strip()
        want = os.environ.get("SOURCE_DATE_EPOCH") or sh(["git", "log", "-1", "--format=%ct"]).stdout.strip()
        expect(epoch == want, ".source-date-epoch is %r, want %r (the last commit)" % (epoch, want))
        owners = {(m.uid, m.gid, m.mtime) for m in members.values()}
        expect(len(owners) == 1 and next(iter(owners))[:2] == (0, 0),
               "owners/mtimes not normalised: %r" % sorted(owners)[:5])


@check("dist-unpinned")
def t_unpinned(state):
    junk = os.path.join(ROOT, "third_party/build/unpinned-test.tar.gz")
    with open(junk, "wb") as f:
        f.write(b"not a pinned file\n")
    try:
        p = sh(["make", "--no-print-directory", "dist"])
    finally:
        os.unlink(junk)
    expect(p.returncode != 0 and "no SHA-256 pinned" in p.stderr,
           "make dist with an unpinned file: exit %d\n%s" % (p.returncode, p.stdout + p.stderr))


def build_offline(tarball, parent, pre):
    os.makedirs(parent)
    with tarfile.open(tarball) as t:
        t.extractall(parent)
    tree = os.path.join(parent, "ecs-ca-status-%s" % version())
    p = subprocess.run(pre + ["make", "--no-print-directory"], cwd=tree, capture_output=True,
                       text=True, timeout=1200, env=dict(os.environ, MAKEFLAGS="", MAKELEVEL=""))
    return tree, p


@check("offline-build")
def t_offline(state):
    expect("tarball" in state, "no tarball (dist-tarball failed)")
    pre = offline_prefix()
    # /proc/net/dev lists the interfaces of the caller's network namespace: only lo there
    p = subprocess.run(pre + ["sh", "-c", "tail -n +3 /proc/net/dev | grep -vc '^ *lo:'"],
                       capture_output=True, text=True)
    expect(p.stdout.strip() == "0", "the namespace has network interfaces: %r" % p.stdout)
    state["trees"] = []
    for parent in ("a", "second-build-dir/with/a/longer/path"):
        tree, p = build_offline(state["tarball"], os.path.join(state["tmp"], parent), pre)
        expect(p.returncode == 0, "offline make in %s failed (exit %d):\n%s" %
               (tree, p.returncode, (p.stdout + p.stderr)[-3000:]))
        expect("built ecs-ca-status:" in p.stdout, "no 'built' line:\n" + p.stdout[-2000:])
        state["trees"].append(tree)


@check("reproducible")
def t_repro(state):
    expect(len(state.get("trees", [])) == 2, "no two builds (offline-build failed)")
    bins = []
    for tree in state["trees"]:
        with open(os.path.join(tree, "ecs-ca-status"), "rb") as f:
            data = f.read()
        for needle in (tree, os.path.dirname(tree), state["tmp"]):
            expect(needle.encode() not in data, "%s/ecs-ca-status contains the path %s" % (tree, needle))
        bins.append(data)
    expect(bins[0] == bins[1], "binaries differ: %s vs %s" %
           tuple(hashlib.sha256(b).hexdigest()[:16] for b in bins))
    print("  sha256 %s, %d bytes" % (hashlib.sha256(bins[0]).hexdigest(), len(bins[0])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", action="store_true", help="keep the build directories")
    a = ap.parse_args()
    state = {"tmp": tempfile.mkdtemp(prefix="ecs-dist-")}
    try:
        for t in (t_tarball, t_unpinned, t_offline, t_repro):
            t(state)
    finally:
        if a.keep:
            print("kept", state["tmp"])
        else:
            shutil.rmtree(state["tmp"], ignore_errors=True)
    failed = sum(1 for r in results if not r[1])
    print("dist: %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
