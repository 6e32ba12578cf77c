#!/usr/bin/env python3
"""make check-package: the Debian package, built as a distribution would, from the dist tarball.

  deb-build    unpacked in a fresh directory, `dpkg-buildpackage -b -us -uc` succeeds inside
               `unshare --net` (the bundled third-party sources are used; nothing is fetched)
  deb-contents dpkg -c: the binary, man page and completions where Debian puts them, and
               copyright; the packaged binary is byte-identical to what plain `make` builds
               from the same tarball in another directory (the package ships exactly the
               released file)
  lintian      no errors (lintian --fail-on error)

Last line: "package: N passed, N failed"; exit status 1 if anything failed.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_ship import ROOT, check, expect, results  # noqa: E402
from test_dist import build_offline, offline_prefix, version  # noqa: E402

WANT = {
    "./usr/bin/ecs-ca-status": "-rwxr-xr-x",
    "./usr/share/man/man1/ecs-ca-status.1.gz": "-rw-r--r--",
    "./usr/share/bash-completion/completions/ecs-ca-status": "-rw-r--r--",
    "./usr/share/zsh/vendor-completions/_ecs-ca-status": "-rw-r--r--",
    "./usr/share/doc/ecs-ca-status/copyright": "-rw-r--r--",
    "./usr/share/doc/ecs-ca-status/changelog.Debian.gz": "-rw-r--r--",
}


@check("deb-build")
def t_build(state):
    with tarfile.open(state["tarball"]) as t:
        t.extractall(state["tmp"])
    tree = os.path.join(state["tmp"], "ecs-ca-status-%s" % version())
    p = subprocess.run(offline_prefix() + ["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=tree,
                       capture_output=True, text=True, timeout=1800,
                       env=dict(os.environ, MAKEFLAGS="", MAKELEVEL=""))
    expect(p.returncode == 0, "dpkg-buildpackage failed (exit %d):\n%s" %
           (p.returncode, (p.stdout + p.stderr)[-4000:]))
    debs = glob.glob(os.path.join(state["tmp"], "ecs-ca-status_*.deb"))
    expect(len(debs) == 1, "expected one .deb, got %r" % debs)
    state["deb"] = debs[0]
    state["changes"] = glob.glob(os.path.join(state["tmp"], "ecs-ca-status_*.changes"))[0]


@check("deb-contents")
def t_contents(state):
    expect("deb" in state, "no .deb (deb-build failed)")
    out = subprocess.run(["dpkg", "-c", state["deb"]], capture_output=True, text=True).stdout
    files = {}
    for line in out.splitlines():
        f = line.split()
        if f[0].startswith("-"):
            files[f[-1]] = f[0]
    bad = ["%s: %s, want %s" % (p, files.get(p, "missing"), m) for p, m in WANT.items()
           if files.get(p) != m]
    expect(not bad, "\n".join(bad) + "\ndpkg -c:\n" + out)
    extra = sorted(set(files) - set(WANT) - {"./usr/share/lintian/overrides/ecs-ca-status"})
    expect(not extra, "unexpected files in the package: %r" % extra)
    data = subprocess.run("dpkg-deb --fsys-tarfile '%s' | tar -xOf - ./usr/bin/ecs-ca-status" %
                          state["deb"], shell=True, capture_output=True).stdout
    tree, p = build_offline(state["tarball"], os.path.join(state["tmp"], "plain-make"),
                            offline_prefix())
    expect(p.returncode == 0, "offline make of the tarball failed:\n" + (p.stdout + p.stderr)[-3000:])
    with open(os.path.join(tree, "ecs-ca-status"), "rb") as f:
        expect(data == f.read(), "the packaged binary differs from `make` of the same tarball")


@check("lintian")
def t_lintian(state):
    expect("changes" in state, "no .changes (deb-build failed)")
    p = subprocess.run(["lintian", "--fail-on", "error", state["changes"]], capture_output=True,
                       text=True, timeout=600)
    print("  " + (p.stdout.strip() or "(no tags)").replace("\n", "\n  "))
    errors = [l for l in p.stdout.splitlines() if l.startswith("E:")]
    expect(p.returncode == 0 and not errors, "lintian (exit %d):\n%s%s" %
           (p.returncode, p.stdout, p.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--tarball", required=True)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    state = {"tmp": tempfile.mkdtemp(prefix="ecs-pkg-"),
             "tarball": os.path.join(a.root, a.tarball)}
    try:
        for t in (t_build, t_contents, t_lintian):
            t(state)
    finally:
        if a.keep:
            print("kept", state["tmp"])
        else:
            shutil.rmtree(state["tmp"], ignore_errors=True)
    failed = sum(1 for r in results if not r[1])
    print("package: %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
