#!/usr/bin/env python3
"""What a packager and a user meet besides the binary: man page, shell completions, make
install/uninstall, make release. Checks against the built binary (--bin, default ./ecs-ca-status):

  options-in-sync   every long option of `--help` is in the bash completion, the zsh completion
                    and the man page; every value of -o, --os-type, --signature that --help lists
                    is offered by both completions (so options added later must be added there)
  env-documented    every environment variable name in src/ and port/ is in the man page's
                    ENVIRONMENT section
  man-lint          mandoc -Tlint -Wwarning says nothing; the sections are there; EXIT STATUS
                    lists the codes of --help's "Exit status" paragraph
  version           mk/version.mk = --version = man page .TH = debian/changelog
  bash-completion   a real bash with bash-completion loads the installed file on demand and
                    completes --reg to --region, option values, profile names, region ids
  zsh-completion    a real zsh's compinit registers the installed _ecs-ca-status, and an
                    interactive zsh on a pseudo-terminal completes --reg, values, profiles
  install           make install/uninstall with DESTDIR, PREFIX, BINDIR, MANDIR
  release           make release for the host ARCH: SHA256SUMS verifies with sha256sum -c

Last line: "ship: N passed, N failed"; exit status 1 if anything failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = []


class Fail(Exception):
    pass


def check(name):
    def deco(fn):
        def run(*a):
            try:
                fn(*a)
                results.append((name, True, ""))
                print("PASS", name, flush=True)
            except (Fail, subprocess.CalledProcessError, OSError) as e:
                results.append((name, False, str(e)))
                print("FAIL %s\n  %s" % (name, str(e).replace("\n", "\n  ")), flush=True)
        run.name = name
        return run
    return deco


def expect(cond, why):
    if not cond:
        raise Fail(why)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def sh(cmd, **kw):
    return subprocess.run(cmd, cwd=kw.pop("cwd", ROOT), capture_output=True, text=True, **kw)


def help_text(binary):
    p = sh([binary, "--help"])
    expect(p.returncode == 0, "--help exited %d" % p.returncode)
    # the binary carries src/usage.txt packed (scripts/pack_text.c): it must come back whole
    expect(p.stdout == read("src/usage.txt"), "--help differs from src/usage.txt")
    return p.stdout


def help_options(text):
    """Long options of the option list: lines starting with '-x, --name' or '--name'."""
    opts = re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)", text, re.M)
    expect(len(opts) >= 10, "found only %d options in --help: %r" % (len(opts), opts))
    return opts


def help_values(text, opt):
    """Values listed on an option's --help line as 'a | b (default) | c' or 'a|b'."""
    m = re.search(r"^\s+(?:-\w, )?%s \S+\s+(.*)$" % re.escape(opt), text, re.M)
    expect(m, "no --help line for %s" % opt)
    desc = m.group(1)
    alts = re.search(r"([\w]+(?: \(default\))?(?:\s*\|\s*[\w]+(?: \(default\))?)+)", desc)
    if not alts:  # "--signature v3|v1  ..." lists them as the metavariable
        alts = re.search(r"%s ([\w|]+)" % re.escape(opt), m.group(0))
    expect(alts, "no value list on the --help line of %s: %r" % (opt, m.group(0)))
    return [v.replace("(default)", "").strip() for v in alts.group(1).split("|")]


def bash_opts():
    m = re.search(r"_ecs_ca_status_opts='([^']*)'", read("completions/ecs-ca-status.bash"))
    expect(m, "no _ecs_ca_status_opts list in the bash completion")
    return m.group(1).split()


@check("options-in-sync")
def t_options(binary):
    text = help_text(binary)
    bash = bash_opts()
    zsh = read("completions/_ecs-ca-status")
    man = read("ecs-ca-status.1")
    missing = []
    for o in help_options(text):
        if o not in bash:
            missing.append("%s not in completions/ecs-ca-status.bash (_ecs_ca_status_opts)" % o)
        if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), zsh):
            missing.append("%s not in completions/_ecs-ca-status" % o)
        if o.replace("-", r"\-") not in man:
            missing.append("%s not in ecs-ca-status.1 (as %s)" % (o, o.replace("-", r"\-")))
    bash_text = read("completions/ecs-ca-status.bash")
    for opt in ("--output", "--os-type", "--signature"):
        for v in help_values(text, opt):
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(v), bash_text):
                missing.append("%s value %s not offered by the bash completion" % (opt, v))
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(v), zsh):
                missing.append("%s value %s not offered by the zsh completion" % (opt, v))
    expect(not missing, "\n".join(missing))


def env_names():
    """Environment variable names the C code reads: upper-case names with an underscore,
    *_proxy, the literals of arrays named *env* and the arguments of *env*() calls."""
    names = set()
    # output.c is left out: its upper-case literals are the column headers of -o table, and
    # it reads no variable (checked: it never calls getenv).
    files = [os.path.join(d, f) for d in ("src", "port/posix") for f in os.listdir(os.path.join(ROOT, d))
             if f.endswith(".c") and f != "output.c"]
    expect("getenv" not in read("src/output.c"), "src/output.c reads the environment now: "
           "scan it for variable names too")
    for f in files:
        s = read(f)
        names |= set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+_proxy)"', s))
        for m in re.finditer(r"\w*env\w*\s*\[\]\s*=\s*\{([^}]*)\}", s, re.I):
            names |= set(re.findall(r'"([^"]+)"', m.group(1)))
        for m in re.finditer(r'\b\w*env\w*\s*\(\s*"([^"]+)"(?:\s*,\s*"([^"]+)")?', s, re.I):
            names |= {x for x in m.groups() if x}
    return names


def man_section(man, title):
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH |\Z)" % re.escape(title), man, re.M | re.S)
    expect(m, "the man page has no %s section" % title)
    return m.group(1)


@check("env-documented")
def t_env(binary):
    names = env_names()
    expect(len(names) > 20, "found only %d variable names in src/: %r" % (len(names), names))
    env = man_section(read("ecs-ca-status.1"), "ENVIRONMENT").replace(r"\-", "-")
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", env))
    missing = sorted(n for n in names if n not in words)
    expect(not missing, "read in src/ but not in the man page's ENVIRONMENT: " + ", ".join(missing))


@check("man-lint")
def t_man(binary):
    p = sh(["mandoc", "-Tlint", "-Wwarning", "ecs-ca-status.1"])
    expect(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
           "mandoc -Tlint -Wwarning (exit %d):\n%s" % (p.returncode, p.stdout + p.stderr))
    man = read("ecs-ca-status.1")
    for title in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "FILES",
                  "EXIT STATUS", "EXAMPLES", "SEE ALSO"):
        man_section(man, title)
    m = re.search(r"Exit status:(.*?)(?:\n\n|\Z)", help_text(binary), re.S)
    expect(m, "--help has no 'Exit status:' paragraph")
    codes = set(re.findall(r"(?:^|;)\s*(\d+)\s", m.group(1)))
    listed = set(re.findall(r"^\.B (\d+)$", man_section(man, "EXIT STATUS"), re.M))
    expect(codes and codes == listed,
           "exit codes: --help says %s, the man page lists %s" % (sorted(codes), sorted(listed)))


@check("version")
def t_version(binary):
    v = re.search(r"^ECS_VERSION := (\S+)$", read("mk/version.mk"), re.M)
    expect(v, "no ECS_VERSION in mk/version.mk")
    v = v.group(1)
    out = sh([binary, "--version"]).stdout
    expect(out.startswith("ecs-ca-status %s " % v), "--version says %r, mk/version.mk %s" % (out, v))
    th = re.search(r'^\.TH \S+ 1 \S+ "ecs-ca-status (\S+)"', read("ecs-ca-status.1"), re.M)
    expect(th and th.group(1) == v, "man page .TH version %r, want %s" % (th and th.group(1), v))
    ch = re.match(r"ecs-ca-status \(([^-)]+)-\d+\)", read("debian/changelog"))
    expect(ch and ch.group(1) == v, "debian/changelog version %r, want %s-N" % (ch and ch.group(1), v))


def install(destdir, *vars_):
    p = sh(["make", "--no-print-directory", "install", "DESTDIR=" + destdir] + list(vars_))
    expect(p.returncode == 0, "make install %s failed:\n%s" % (" ".join(vars_), p.stdout + p.stderr))


def files_under(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)


def profiles_home(tmp):
    """A HOME with profiles default and prod (aliyun-cli) and staging, prod (credentials)."""
    home = os.path.join(tmp, "home")
    os.makedirs(os.path.join(home, ".aliyun"), exist_ok=True)
    os.makedirs(os.path.join(home, ".alibabacloud"), exist_ok=True)
    with open(os.path.join(home, ".aliyun", "config.json"), "w") as f:
        f.write('{"current": "default", "profiles": [{"name": "default", "mode": "AK"},\n'
                '{"name":"prod","mode":"StsToken","region_id":"cn-beijing"}], "meta_path": ""}\n')
    with open(os.path.join(home, ".alibabacloud", "credentials"), "w") as f:
        f.write("[staging]\ntype = access_key\n\n [prod]\n")
    return home


BASH_DRIVER = r'''
set -u
. /usr/share/bash-completion/bash_completion
# on demand, as an interactive shell does on the first TAB: found through XDG_DATA_DIRS
__load_completion ecs-ca-status || { echo "not loaded"; exit 3; }
fn=$(complete -p ecs-ca-status | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || { echo "no complete -F for ecs-ca-status"; exit 3; }
comp() { # line words...: complete the last word, as readline splits the line
    COMP_LINE=$1; shift
    COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_POINT=${#COMP_LINE}; COMPREPLY=()
    "$fn" ecs-ca-status "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf '%s ' "${COMPREPLY[@]}"; echo
}
'''

BASH_CASES = [
    (["--reg"], "--region"),
    (["--os"], "--os-type"),
    (["-o", ""], "table json tsv nagios prom"),
    (["--output", "=", "js"], "json"),
    (["--os-type", "W"], "Windows"),
    (["--signature", ""], "v3 v1"),
    (["-r", "cn-hang"], "cn-hangzhou"),
    (["--region", "eu-"], "eu-central-1 eu-west-1"),
    (["--profile", ""], "default prod staging"),
    (["--profile", "st"], "staging"),
]


@check("bash-completion")
def t_bash(binary, tmp):
    dest = os.path.join(tmp, "bash")
    install(dest)
    home = profiles_home(tmp)
    def line(words):  # "--output = js" is how readline splits "--output=js"
        return ("ecs-ca-status " + " ".join(words)).replace(" = ", "=")
    script = BASH_DRIVER + "".join(
        "comp '%s' ecs-ca-status %s\n" % (line(words), " ".join("'%s'" % w for w in words))
        for words, _ in BASH_CASES)
    env = {"PATH": os.environ["PATH"], "HOME": home,
           "XDG_DATA_DIRS": os.path.join(dest, "usr/local/share")}
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, env=env, timeout=60)
    expect(p.returncode == 0, "bash exited %d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
    got = p.stdout.splitlines()
    expect(len(got) == len(BASH_CASES), "expected %d lines, got:\n%s%s" %
           (len(BASH_CASES), p.stdout, p.stderr))
    bad = ["%r -> %r, want %r" % (w, g.strip(), want)
           for (w, want), g in zip(BASH_CASES, got) if g.split() != want.split()]
    expect(not bad, "\n".join(bad))


@check("zsh-completion")
def t_zsh(binary, tmp):
    dest = os.path.join(tmp, "zsh")
    install(dest, "PREFIX=/usr")
    d = os.path.join(dest, "usr/share/zsh/vendor-completions")
    expect(os.path.isfile(os.path.join(d, "_ecs-ca-status")), "no _ecs-ca-status in " + d)
    p = subprocess.run(["zsh", "-f", "-c", 'fpath=("$1" $fpath); autoload -Uz compinit; '
                        'compinit -u -D; print -r -- "${_comps[ecs-ca-status]}"', "zsh", d],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": os.environ["PATH"], "HOME": tmp})
    expect(p.returncode == 0 and p.stdout.strip() == "_ecs-ca-status",
           "compinit did not register _ecs-ca-status (exit %d): %r %r" %
           (p.returncode, p.stdout, p.stderr))
    p = sh(["zsh", "-n", os.path.join(d, "_ecs-ca-status")])
    expect(p.returncode == 0, "zsh -n: " + p.stderr)
    home = profiles_home(tmp)
    bad = []
    for line, want in ZSH_CASES:
        p = subprocess.run(["zsh", "-f", os.path.join(ROOT, "tests/ship/zsh_complete.zsh"), d, line],
                           capture_output=True, text=True, timeout=60,
                           env={"PATH": os.environ["PATH"], "HOME": home, "TERM": "dumb"})
        if sorted(p.stdout.split()) != sorted(want.split()):
            bad.append("%r -> %r, want %r %s" % (line, p.stdout.split(), want.split(), p.stderr))
    expect(not bad, "\n".join(bad))


ZSH_CASES = [
    ("ecs-ca-status --reg", "--region"),
    ("ecs-ca-status -o ", "table json tsv nagios prom"),
    ("ecs-ca-status --os-type W", "Windows"),
    ("ecs-ca-status --signature ", "v3 v1"),
    ("ecs-ca-status -r cn-hang", "cn-hangzhou"),
    ("ecs-ca-status --profile ", "default prod staging"),
]


@check("install")
def t_install(binary, tmp):
    dest = os.path.join(tmp, "inst")
    install(dest)
    want = ["usr/local/bin/ecs-ca-status", "usr/local/share/bash-completion/completions/ecs-ca-status",
            "usr/local/share/man/man1/ecs-ca-status.1",
            "usr/local/share/zsh/site-functions/_ecs-ca-status"]
    expect(files_under(dest) == want, "installed %r, want %r" % (files_under(dest), want))
    b = os.path.join(dest, want[0])
    expect(os.stat(b).st_mode & 0o777 == 0o755, "binary mode %o" % (os.stat(b).st_mode & 0o777))
    for f in want[1:]:
        m = os.stat(os.path.join(dest, f)).st_mode & 0o777
        expect(m == 0o644, "%s mode %o" % (f, m))
    with open(b, "rb") as f1, open(os.path.join(ROOT, "ecs-ca-status"), "rb") as f2:
        expect(f1.read() == f2.read(), "installed binary differs from ./ecs-ca-status")
    out = sh(["file", "-b", b]).stdout
    expect(", stripped" in out, "installed binary not stripped: " + out)
    p = sh(["make", "--no-print-directory", "uninstall", "DESTDIR=" + dest])
    expect(p.returncode == 0 and files_under(dest) == [], "uninstall left %r" % files_under(dest))
    # every variable, each honoured
    dest = os.path.join(tmp, "inst2")
    v = ["PREFIX=/opt/e", "BINDIR=/sbin", "MANDIR=/opt/man", "BASHCOMPDIR=/etc/bc",
         "ZSHCOMPDIR=/etc/zc"]
    install(dest, *v)
    want = ["etc/bc/ecs-ca-status", "etc/zc/_ecs-ca-status", "opt/man/man1/ecs-ca-status.1",
            "sbin/ecs-ca-status"]
    expect(files_under(dest) == want, "installed %r, want %r" % (files_under(dest), want))
    p = sh(["make", "--no-print-directory", "uninstall", "DESTDIR=" + dest] + v)
    expect(p.returncode == 0 and files_under(dest) == [], "uninstall left %r" % files_under(dest))


@check("release")
def t_release(binary, tmp):
    d = os.path.join(tmp, "rel")
    arch = os.uname().machine
    p = sh(["make", "--no-print-directory", "release", "RELEASE_ARCHES=" + arch, "RELEASE_DIR=" + d])
    expect(p.returncode == 0, "make release failed:\n" + p.stdout + p.stderr)
    v = re.search(r"^ECS_VERSION := (\S+)$", read("mk/version.mk"), re.M).group(1)
    name = "ecs-ca-status-%s-%s" % (v, arch)
    expect(sorted(os.listdir(d)) == ["SHA256SUMS", name], "release dir has %r" % os.listdir(d))
    p = sh(["sha256sum", "-c", "SHA256SUMS"], cwd=d)
    expect(p.returncode == 0 and p.stdout.strip() == name + ": OK", "sha256sum -c: " + p.stdout + p.stderr)
    with open(os.path.join(d, name), "ab") as f:  # the check must catch a changed file
        f.write(b"\0")
    p = sh(["sha256sum", "-c", "SHA256SUMS"], cwd=d)
    expect(p.returncode != 0, "sha256sum -c accepted a modified binary")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "ecs-ca-status"))
    ap.add_argument("--only", default=None)
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    if not os.path.isfile(binary):
        print("ship: binary not found (%s): run make first" % binary)
        print("ship: 0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="ecs-ship-")
    try:
        for t in (t_options, t_env, t_man, t_version):
            if a.only is None or a.only in t.name:
                t(binary)
        for t in (t_bash, t_zsh, t_install, t_release):
            if a.only is None or a.only in t.name:
                t(binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = sum(1 for r in results if not r[1])
    print("ship: %d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
