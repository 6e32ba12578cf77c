#!/usr/bin/env python3
"""End-to-end tests of the monitoring features of ecs-ca-status (issue 14), through the real
binary against the local ECS emulator:

  -o nagios      status line, perfdata (Monitoring Plugins format), --warning/--critical ranges,
                 exit 0/1/2/3, UNKNOWN on every failure, long output
  -o prom        parsed with a real Prometheus text-format parser (Debian's
                 python3-prometheus-client, run in a /usr/bin/python3 subprocess because the
                 suite may run under a Python without Debian's dist-packages), plus a strict
                 line-level check of the exposition format
  --output-file  atomic replacement (a reader polling the path only ever sees the old or the new
                 complete file), mode 0644 under umask 077, what a failed run leaves, a signal,
                 a full tmpfs in a private mount namespace (exit 6)
  --down, the 80-column table with heartbeat ages, column dropping on a narrow terminal, the
  summary and the progress line (real pseudo-terminals, TIOCSWINSZ), ids on stdin with comments.

    python3 tests/integration/test_monitoring.py [--bin PATH] [--only SUBSTRING ...] [--jobs N]
                                                 [--slack F] [--list] [--keep] [-v]

The machinery (emulator pool, environment, runs, fixtures) is imported from test_cli.py.
Last line: "monitoring: N passed, N failed[, N skipped]"; exit status 1 if anything failed.
"""

import argparse
import base64
import concurrent.futures
import fcntl
import glob
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
import traceback
import tty

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_cli as cli  # noqa: E402  (Suite, T, fixtures, parsers; its own tests are not run)
from test_cli import (AK, ALL_IDS, ALIVE, DEAD, PROG, REGION, Run, TestFailure, TestSkip,  # noqa: E402
                      madeup_id, parse_json, parse_tsv, sample)

fixtures = cli.fixtures
SYSTEM_PY = "/usr/bin/python3"   # Debian's python3, where python3-prometheus-client lives

# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

TESTS = []


def test(name):
    def deco(fn):
        TESTS.append((name, fn))
        return fn
    return deco


def add(name, fn, *a, **kw):
    TESTS.append((name, lambda t: fn(t, *a, **kw)))


# ---------------------------------------------------------------------------------------------
# Fixture helpers
# ---------------------------------------------------------------------------------------------

ITEMS0 = {it["InstanceId"]: it for it in fixtures.instances(REGION, 0)}
HEARTBEAT_DELTA = {}   # id -> seconds between the emulator's now and the fixture heartbeat
for _r in fixtures.REGIONS:
    for _it in fixtures.instances(_r, 1000000000):
        _ts = cli.ecs_emulator.parse_timestamp(_it.get("LastHeartbeatTime") or "")
        if _ts is not None:
            HEARTBEAT_DELTA[_it["InstanceId"]] = 1000000000 - _ts


def live(i):
    return ITEMS0.get(i, {}).get("CloudAssistantStatus") == "true"


def mix(n_live, n_dead, n_nf, seed):
    """Ids: n_live live, n_dead down, n_nf not found, shuffled; and the down ids in the order
    the nagios status line names them (answered-but-down in input order, then not found)."""
    import random
    rnd = random.Random(seed)
    ids = rnd.sample(ALIVE[REGION], n_live) + rnd.sample(DEAD[REGION], n_dead) + \
        [madeup_id(1000 + seed * 50 + k) for k in range(n_nf)]
    rnd.shuffle(ids)
    down = [i for i in ids if i in ITEMS0 and not live(i)] + [i for i in ids if i not in ITEMS0]
    return ids, down


def age_text(age):
    for secs, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if age >= secs:
            return "%d%s" % (age // secs, unit)
    return "%ds" % max(age, 0)


def ages_possible(iid, r, skew=0):
    """The heartbeat ages the table may show for iid in run r (client and emulator clocks
    sampled at slightly different moments; the emulator clock skew_seconds off)."""
    d = HEARTBEAT_DELTA.get(iid)
    if d is None:
        return {"-"}
    if abs(skew) > 300:  # the client goes by the server's clock (see table/ages-minutes-hours)
        skew = 0
    return {age_text(d - skew + s) for s in range(-2, int(r.elapsed) + 3)}


# ---------------------------------------------------------------------------------------------
# Nagios output
# ---------------------------------------------------------------------------------------------

STATUS_RE = re.compile(r"CLOUD ASSISTANT (OK|WARNING|CRITICAL|UNKNOWN) - (.+?) \| (.+)")
# Monitoring Plugins guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]; trailing unfilled
# semicolons may be dropped; label quoted when it has spaces, '=' or quotes.
_NUM = r"-?[0-9]+(?:\.[0-9]+)?"
_RANGE = r"@?(?:~|" + _NUM + r")?:?(?:" + _NUM + r")?"
PERF_RE = re.compile(r"(?P<label>'(?:[^'=]|'')+'|[^'= ]+)=(?P<value>" + _NUM + r")(?P<uom>s|ms|us|%|B|KB|MB|TB|c)?"
                     r"(?:;(?P<warn>" + _RANGE + r")(?:;(?P<crit>" + _RANGE + r")(?:;(?P<min>(?:" + _NUM +
                     r")?)(?:;(?P<max>(?:" + _NUM + r")?))?)?)?)?")
STATE_CODE = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


def parse_perfdata(t, text):
    perf = {}
    for item in text.split():
        m = PERF_RE.fullmatch(item)
        t.check(m, "perfdata item %r is not 'label'=value[UOM];[warn];[crit];[min];[max]" % item)
        t.check(m.group("label") not in perf, "perfdata label %s twice" % m.group("label"))
        perf[m.group("label")] = m.groupdict()
    return perf


def nagios(t, r, state):
    """Checks the exit code, the status line and the perfdata; returns (text, perf, long lines)."""
    lines = r.out.split("\n")
    t.check(r.out.endswith("\n"), "nagios output does not end with a newline: %r" % r.out[-80:])
    m = STATUS_RE.fullmatch(lines[0])
    t.check(m, "first line is not 'CLOUD ASSISTANT STATE - text | perfdata': %r" % lines[0])
    t.eq(m.group(1), state, "nagios state on the status line")
    t.eq(r.rc, STATE_CODE[state], "exit status of a %s check" % state)
    t.check("|" not in m.group(2), "status text holds a '|': %r" % m.group(2))
    perf = parse_perfdata(t, m.group(3))
    t.check("time" in perf, "perfdata lacks time: %r" % m.group(3))
    t.eq(perf["time"]["uom"], "s", "time perfdata unit")
    t.check(0 <= float(perf["time"]["value"]) <= r.elapsed + 0.5,
            "time=%s but the run took %.2f s" % (perf["time"]["value"], r.elapsed))
    return m.group(2), perf, [ln for ln in lines[1:] if ln != ""]


def nagios_counts(t, perf, live_n, down_n, nf_n, warn="", crit=""):
    m = live_n + down_n
    want = {"live": (str(live_n), "", "", "0", str(m)), "down": (str(down_n), warn, crit, "0", str(m)),
            "notfound": (str(nf_n), "", "", "0", str(m))}
    for label, (value, w, c, lo, hi) in want.items():
        t.check(label in perf, "perfdata lacks %s" % label)
        got = perf[label]
        t.eq((got["value"], got["uom"] or "", got["warn"] or "", got["crit"] or "", got["min"], got["max"]),
             (value, "", w, c, lo, hi), "perfdata %s (value, uom, warn, crit, min, max)" % label)


def long_lines_expected(down):
    out = []
    for i in down:
        if i in ITEMS0:
            out.append(re.compile(re.escape(i) + r": agent not live \(last heartbeat (-|[0-9]+[smhd] ago)\)"))
        else:
            out.append(re.compile(re.escape(i) + r": instance not found"))
    return out


def check_long(t, lines, down):
    t.eq(len(lines), len(down), "long output: one line per instance without a live agent")
    for ln, rx in zip(lines, long_lines_expected(down)):
        t.check(rx.fullmatch(ln), "long output line %r does not match %r" % (ln, rx.pattern))


@test("nagios/ok-exit-0")
def _(t):
    ids = sample(ALIVE[REGION], 6, 11)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios"] + ids)
    text, perf, rest = nagios(t, r, "OK")
    t.eq(text, "6 of 6 agents live", "status text")
    nagios_counts(t, perf, 6, 0, 0, crit="0")
    t.eq(rest, [], "long output of an OK check")
    t.eq(r.err, "", "stderr of an OK check")


@test("nagios/critical-default-threshold")
def _(t):
    ids, down = mix(4, 2, 1, 1)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios"] + ids)
    text, perf, rest = nagios(t, r, "CRITICAL")
    t.eq(text, "4 of 7 agents live, 3 down: %s" % ",".join(down), "status text")
    nagios_counts(t, perf, 4, 2 + 1, 1, crit="0")
    check_long(t, rest, down)


@test("nagios/warning-exit-1")
def _(t):
    ids, down = mix(5, 2, 0, 2)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios", "--warning", "1", "--critical", "5"] + ids)
    text, perf, rest = nagios(t, r, "WARNING")
    t.eq(text, "5 of 7 agents live, 2 down: %s" % ",".join(down), "status text")
    nagios_counts(t, perf, 5, 2, 0, warn="1", crit="5")
    check_long(t, rest, down)


# (warning, critical, state) with 3 instances without a live agent (2 down, 1 not found) of 8.
RANGES = [
    (None, "3", "OK"), (None, "2", "CRITICAL"), ("2", "5", "WARNING"), ("3", "5", "OK"),
    (None, "3:", "OK"), (None, "4:", "CRITICAL"), (None, "~:2", "CRITICAL"), (None, "~:3", "OK"),
    (None, "@3:5", "CRITICAL"), (None, "@4:5", "OK"), ("@0:3", "10", "WARNING"), (None, "1:2", "CRITICAL"),
    ("0", None, "WARNING"), ("@3", None, "WARNING"), ("@2", None, "OK"), ("10:", "@0:2", "WARNING"),
    (None, "@~:3", "CRITICAL"), (None, "@~:2", "OK"), ("@3:3", "@4:", "WARNING"), (None, "3:3", "OK"),
]


@test("nagios/threshold-ranges")
def _(t):
    ids, down = mix(5, 2, 1, 3)
    bad = []
    with t.ecs() as emu:
        for warn, crit, state in RANGES:
            args = ["-o", "nagios"] + (["--warning", warn] if warn else []) + (["--critical", crit] if crit else [])
            r = t.call(emu, args + ids)
            try:
                text, perf, rest = nagios(t, r, state)
                nagios_counts(t, perf, 5, 3, 1, warn=warn or "", crit=crit or "")
                check_long(t, rest, down)
            except TestFailure as e:
                bad.append("--warning %s --critical %s: %s" % (warn, crit, e))
    t.check(not bad, "threshold ranges (3 down of 8):\n  " + "\n  ".join(bad))


def _unknown(t, r, *needles):
    text, perf, rest = nagios(t, r, "UNKNOWN")
    for n in needles:
        t.check(n in text, "UNKNOWN status text %r does not mention %r" % (text, n))
    t.eq(sorted(perf), ["time"], "perfdata of an UNKNOWN check")
    return text


@test("nagios/unknown-bad-ranges-and-usage")
def _(t):
    i = ALIVE[REGION][0]
    cases = [
        (["-o", "nagios", "--critical", "5:2", i], "--critical"),
        (["-o", "nagios", "--warning", "abc", i], "--warning"),
        (["-o", "nagios", "--critical", "1.5", i], "--critical"),
        (["-o", "nagios", "--warning", "", i], "--warning"),
        (["--bogus-flag", "-o", "nagios", i], "--bogus-flag"),
        (["-o", "nagios", "--bogus-flag", i], "--bogus-flag"),
        (["-onagios", "--batch-size", "0", i], "--batch-size"),
        (["--output=nagios", "--batch-size=101", i], "--batch-size"),
        (["-o", "nagios"], "no instance ids"),
        (["-o", "nagios", "--all", i], "exclude"),
    ]
    bad = []
    with t.ecs() as emu:
        for args, needle in cases:
            r = t.call(emu, args)
            try:
                _unknown(t, r, needle)
            except TestFailure as e:
                bad.append("%s: %s (exit %s, stdout %r)" % (" ".join(args), e, r.rc, r.out[:200]))
    t.check(not bad, "usage errors in nagios mode must be UNKNOWN (3):\n  " + "\n  ".join(bad))


@test("nagios/unknown-api-error")
def _(t):
    with t.ecs(force_error="Forbidden.RAM") as emu:
        r = t.call(emu, ["-o", "nagios"] + ALIVE[REGION][:3])
    _unknown(t, r, "Forbidden.RAM")


@test("nagios/unknown-no-credentials")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios"] + ALIVE[REGION][:3], env=t.env())
        st = emu.stats()
    _unknown(t, r)
    t.stat_eq(st, "requests", 0)


@test("nagios/unknown-connection-refused")
def _(t):
    r = t.call(cli.free_closed_port(), ["-o", "nagios", "--retries", "0"] + ALIVE[REGION][:3])
    _unknown(t, r)


@test("nagios/all-lists-ten-ids")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios", "--all"])
    text, perf, rest = nagios(t, r, "CRITICAL")
    n, dead = len(ALL_IDS[REGION]), DEAD[REGION]
    t.eq(text, "%d of %d agents live, %d down: %s,..." % (n - len(dead), n, len(dead), ",".join(dead[:10])),
         "status text of --all")
    nagios_counts(t, perf, n - len(dead), len(dead), 0, crit="0")
    check_long(t, rest, dead)


@test("nagios/stdin-ids")
def _(t):
    ids, down = mix(3, 1, 0, 4)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios", "-"], stdin="# hosts\n%s\n\n%s # web\n" % (" ".join(ids[:2]), ",".join(ids[2:])))
    text, perf, rest = nagios(t, r, "CRITICAL")
    nagios_counts(t, perf, 3, 1, 0, crit="0")


# ---------------------------------------------------------------------------------------------
# Prometheus output
# ---------------------------------------------------------------------------------------------

_PARSER = r"""
import json, math, sys
try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as e:
    print(json.dumps({"error": "import: %s" % e})); sys.exit(0)
try:
    fams = []
    for f in text_string_to_metric_families(sys.stdin.read()):
        fams.append({"name": f.name, "type": f.type, "documentation": f.documentation,
                     "samples": [{"name": s.name, "labels": s.labels,
                                  "value": None if math.isnan(s.value) else s.value,
                                  "timestamp": None if s.timestamp is None else float(s.timestamp)}
                                 for s in f.samples]})
    print(json.dumps({"families": fams}))
except Exception as e:
    print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
"""

P = "ecs_cloud_assistant_"
INSTANCE_FAMILIES = {"up": "gauge", "last_heartbeat_timestamp_seconds": "gauge", "active_tasks": "gauge",
                     "invocations_total": "counter", "info": "gauge"}
RUN_FAMILIES = {"scrape_success": "gauge", "scrape_duration_seconds": "gauge", "instances": "gauge"}


def prom_parse(t, text):
    """Families parsed by prometheus_client (a /usr/bin/python3 subprocess): {name: family}."""
    if not os.path.exists(SYSTEM_PY):
        t.fail("%s missing (the Prometheus parser runs there; scripts/deps.sh test)" % SYSTEM_PY)
    p = subprocess.run([SYSTEM_PY, "-c", _PARSER], input=text.encode(), capture_output=True, timeout=60)
    try:
        res = json.loads(p.stdout)
    except ValueError:
        t.fail("prometheus parser subprocess failed: %r" % p.stderr.decode(errors="replace")[-500:])
    if "error" in res:
        if res["error"].startswith("import"):
            t.fail("python3-prometheus-client is not installed for %s (run scripts/deps.sh test): %s"
                   % (SYSTEM_PY, res["error"]))
        t.fail("prometheus_client cannot parse the output: %s\n%s" % (res["error"], text[:1500]))
    fams = {}
    for f in res["families"]:
        t.check(f["name"] not in fams, "family %s parsed twice (samples not grouped)" % f["name"])
        fams[f["name"]] = f
    return fams


_LABELS_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_SAMPLE_RE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\\n]|\\[\\"n])*")*\})? '
                        r'(-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|\+Inf|-Inf)')


def prom_strict(t, text):
    """The exposition format line by line: '# HELP', then '# TYPE', then the family's samples, each
    family once; label values escaped; no duplicate series. Returns {family: [(labels, value)]}."""
    t.check(text.endswith("\n"), "prom output does not end with a newline")
    fams, order, current, series = {}, [], None, set()
    lines = text.split("\n")[:-1]
    k = 0
    while k < len(lines):
        ln = lines[k]
        m = re.fullmatch(r"# HELP (" + P + r"[a-z_]+) (\S.*)", ln)
        if m:
            name = m.group(1)
            t.check(name not in fams, "family %s appears twice" % name)
            t.check(k + 1 < len(lines) and re.fullmatch(r"# TYPE %s (gauge|counter)" % name, lines[k + 1]),
                    "HELP of %s not followed by its TYPE line: %r" % (name, lines[k + 1:k + 2]))
            current = name
            fams[name] = {"type": lines[k + 1].split()[-1], "samples": []}
            order.append(name)
            k += 2
            continue
        t.check(not ln.startswith("#"), "unexpected comment line %r" % ln)
        m = _SAMPLE_RE.fullmatch(ln)
        t.check(m, "not a sample line: %r" % ln)
        t.check(current is not None and m.group(1) == current,
                "sample %s outside its family (current family %s)" % (m.group(1), current))
        labels = dict(_LABELS_RE.findall(m.group(2) or ""))
        rebuilt = "{" + ",".join('%s="%s"' % kv for kv in _LABELS_RE.findall(m.group(2) or "")) + "}"
        t.check(m.group(2) is None or rebuilt == m.group(2), "malformed labels %r" % m.group(2))
        key = (m.group(1), tuple(sorted(labels.items())))
        t.check(key not in series, "series twice: %r" % ln)
        series.add(key)
        fams[current]["samples"].append((labels, m.group(3)))
        k += 1
    return fams, order


def prom_check(t, text, region, ids, complete=True):
    """Parses text both ways and checks it against the fixtures for ids (None = --all)."""
    fams = prom_parse(t, text)
    strict, order = prom_strict(t, text)
    if not complete:
        t.eq(sorted(strict), sorted(P + n for n in ("scrape_success", "scrape_duration_seconds")),
             "families written on failure")
        t.eq(strict[P + "scrape_success"]["samples"], [({"region": region}, "0")], "scrape_success on failure")
        return fams, strict
    want = dict((P + n, ty) for n, ty in list(INSTANCE_FAMILIES.items()) + list(RUN_FAMILIES.items()))
    t.eq({n: f["type"] for n, f in strict.items()}, want, "families and their TYPE")
    for n in want:
        pn = n[:-len("_total")] if n.endswith("_total") else n
        t.check(pn in fams, "prometheus_client did not see family %s (has %s)" % (pn, sorted(fams)))
        t.eq(fams[pn]["type"], want[n], "prometheus_client type of %s" % pn)
        t.check(fams[pn]["documentation"], "family %s has no HELP text" % pn)
    items = fixtures.instances(region, 0)
    found = [it for it in items if ids is None or it["InstanceId"] in set(ids)]
    by_id = {it["InstanceId"]: it for it in found}
    ups = {s["labels"]["instance_id"]: s for s in fams[P + "up"]["samples"]}
    t.eq(sorted(ups), sorted(by_id), "instances with an ecs_cloud_assistant_up sample (not found: absent)")
    bad = []
    for iid, s in ups.items():
        it = by_id[iid]
        if s["labels"] != {"region": region, "instance_id": iid, "os_type": it["OSType"]}:
            bad.append("up labels %r" % s["labels"])
        if s["value"] != (1.0 if it["CloudAssistantStatus"] == "true" else 0.0):
            bad.append("up of %s is %r" % (iid, s["value"]))
    hb = {s["labels"]["instance_id"]: s for s in fams[P + "last_heartbeat_timestamp_seconds"]["samples"]}
    t.eq(sorted(hb), sorted(i for i in by_id if i in HEARTBEAT_DELTA), "instances with a heartbeat sample")
    now = time.time()
    for iid, s in hb.items():
        if abs((now - s["value"]) - HEARTBEAT_DELTA[iid]) > 30:
            bad.append("heartbeat of %s is %r, %d s ago, want about %d" % (iid, s["value"], now - s["value"],
                                                                          HEARTBEAT_DELTA[iid]))
        if set(s["labels"]) != {"region", "instance_id"}:
            bad.append("heartbeat labels %r" % s["labels"])
    for fam, key in (("active_tasks", "ActiveTaskCount"), ("invocations", "InvocationCount")):
        got = {s["labels"]["instance_id"]: s["value"] for s in fams[P + fam]["samples"]}
        wantv = {i: float(it[key]) for i, it in by_id.items()}
        if got != wantv:
            bad.append("%s: %d differ" % (fam, sum(1 for i in wantv if got.get(i) != wantv[i])))
    t.check(all(s["name"] == P + "invocations_total" for s in fams[P + "invocations"]["samples"]),
            "counter samples must be named ..._total")
    info = {s["labels"]["instance_id"]: s for s in fams[P + "info"]["samples"]}
    t.eq(sorted(info), sorted(by_id), "instances with an info sample")
    for iid, s in info.items():
        it = by_id[iid]
        want_l = {"region": region, "instance_id": iid, "version": it["CloudAssistantVersion"],
                  "session_manager": "true" if it["SupportSessionManager"] else "false"}
        if s["labels"] != want_l or s["value"] != 1.0:
            bad.append("info of %s: %r %r, want %r 1" % (iid, s["labels"], s["value"], want_l))
    t.check(not bad, "prom samples against the fixtures:\n  " + "\n  ".join(bad[:10]))
    n_live = sum(1 for it in found if it["CloudAssistantStatus"] == "true")
    n_nf = 0 if ids is None else len([i for i in ids if i not in by_id])
    counts = {s["labels"]["state"]: s["value"] for s in fams[P + "instances"]["samples"]}
    t.eq(counts, {"live": float(n_live), "down": float(len(found) - n_live), "notfound": float(n_nf)},
         "ecs_cloud_assistant_instances by state")
    t.check(all(s["labels"] == {"region": region, "state": s["labels"]["state"]}
                for s in fams[P + "instances"]["samples"]), "instances labels")
    t.eq([(s["labels"], s["value"]) for s in fams[P + "scrape_success"]["samples"]], [({"region": region}, 1.0)],
         "scrape_success")
    dur = fams[P + "scrape_duration_seconds"]["samples"]
    t.check(len(dur) == 1 and 0 <= dur[0]["value"] < 60, "scrape_duration_seconds %r" % dur)
    return fams, strict


@test("prom/ids-parse")
def _(t):
    ids, _ = mix(8, 4, 2, 5)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "prom"] + ids)
    t.exit(r, 0)
    t.eq(r.err, "", "stderr")
    prom_check(t, r.out, REGION, ids)


@test("prom/all-parse-shanghai")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "prom", "--all"], region=cli.SH_REGION)
    t.exit(r, 0)
    prom_check(t, r.out, cli.SH_REGION, None)


@test("prom/api-error-scrape-metrics-only")
def _(t):
    with t.ecs(force_error="InternalError") as emu:
        r = t.call(emu, ["-o", "prom", "--retries", "0"] + ALIVE[REGION][:4])
    t.exit(r, 3)
    prom_check(t, r.out, REGION, None, complete=False)
    t.err_line(r, "InternalError")


@test("prom/second-page-fails-scrape-metrics-only")
def _(t):
    with t.ecs(error_every=2) as emu:
        r = t.call(emu, ["-o", "prom", "--retries", "0", "--all"])
    t.exit(r, 3)
    prom_check(t, r.out, REGION, None, complete=False)


@test("prom/no-credentials-scrape-metrics-only")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "prom"] + ALIVE[REGION][:4], env=t.env())
    t.exit(r, 5)
    prom_check(t, r.out, REGION, None, complete=False)


@test("prom/label-values-escaped")
def _(t):
    ids = sample(ALL_IDS[REGION], 12, 19)
    with t.ecs(odd_versions=True) as emu:
        r = t.call(emu, ["-o", "prom"] + ids)
        rt = t.call(emu, ["-o", "tsv"] + ids)
    t.exit(r, 0)
    fams = prom_parse(t, r.out)
    prom_strict(t, r.out)
    got = {s["labels"]["instance_id"]: s["labels"]["version"] for s in fams[P + "info"]["samples"]}
    want = {i: fixtures.odd_version(ITEMS0[i]["CloudAssistantVersion"]) for i in ids}
    t.eq(got, want, "info version labels (quote, backslash, newline, UTF-8) after parsing")
    t.check('\\"beta\\" \\\\ build\\nnext' in r.out, "escapes as written: %r" % r.out[:300])
    t.exit(rt, 0)
    shown = {row[0]: row[2] for row in parse_tsv(rt.out)}
    t.eq(shown, {i: v.replace("\n", "\\x0A").replace("\u202e", "<U+202E>") or "-" for i, v in want.items()},
         "tsv versions filtered for display")


# ---------------------------------------------------------------------------------------------
# --output-file
# ---------------------------------------------------------------------------------------------

def leftovers(d, name):
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(d, name + "*")) if os.path.basename(p) != name)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Poller(threading.Thread):
    """Reads path in a loop while a run goes on: every distinct content seen, and whether a
    temporary file beside it was ever seen."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.stop, self.seen, self.reads, self.tmp_seen = path, False, [], 0, False

    def run(self):
        d, base = os.path.split(self.path)
        while not self.stop:
            try:
                data = read(self.path)
            except FileNotFoundError:
                data = None
            self.reads += 1
            if not self.seen or self.seen[-1] != data:
                self.seen.append(data)
            if not self.tmp_seen and any(n.startswith(base) and n != base for n in os.listdir(d)):
                self.tmp_seen = True


def _atomic(t, fmt, check_new):
    path = os.path.join(t.dir, "out", "status." + fmt)
    os.makedirs(os.path.dirname(path))
    old = b"old complete content\n"
    with open(path, "wb") as f:
        f.write(old)
    ino = os.stat(path).st_ino
    poller = Poller(path)
    with t.ecs(delay_ms=250) as emu:
        poller.start()
        r = t.call(emu, ["-o", fmt, "--all", "--output-file", path])
        time.sleep(0.05)
        poller.stop = True
        poller.join()
    t.exit(r, 0)
    t.eq(r.out, "", "stdout with --output-file")
    new = read(path)
    odd = [s for s in poller.seen if s not in (old, new)]
    t.check(not odd, "a reader saw a file that is neither the old nor the new one (%d bytes of %d): %r"
            % (len(odd[0] or b""), len(new), (odd[0] or b"")[-200:]) if odd else "")
    check_new(t, new.decode(), r)
    t.check(poller.seen[0] == old and poller.seen[-1] == new and poller.reads > 20,
            "poller saw %d versions in %d reads" % (len(poller.seen), poller.reads))
    t.check(poller.tmp_seen, "no temporary file beside the output was seen during a %.1f s run" % r.elapsed)
    t.check(os.stat(path).st_ino != ino, "the file was rewritten in place, not renamed over")
    t.eq(leftovers(os.path.dirname(path), "status." + fmt), [], "files left beside the output")
    t.check(len(new) > 16384, "output of %d bytes is too small to need several writes" % len(new))


def _tsv_all(t, text, r):
    fake = Run(r.cmd, r.env, None, 0, text, "", r.t0, r.t1)
    t.tsv(fake, ALL_IDS[REGION])


@test("outfile/atomic-tsv-poll")
def _(t):
    _atomic(t, "tsv", _tsv_all)


@test("outfile/atomic-prom-poll")
def _(t):
    _atomic(t, "prom", lambda t, text, r: prom_check(t, text, REGION, None))


@test("outfile/mode-0644-under-umask-077")
def _(t):
    path = os.path.join(t.dir, "m.prom")
    old = os.path.join(t.dir, "old.json")
    with open(old, "w") as f:
        f.write("{}\n")
    os.chmod(old, 0o600)
    ids = ALIVE[REGION][:3]
    with t.ecs() as emu:
        for p, fmt in ((path, "prom"), (old, "json")):
            cmd = [t.suite.bin, "--endpoint", "127.0.0.1:%d" % emu.port, "-r", REGION, "-o", fmt,
                   "--output-file", p] + ids
            pr = subprocess.run(["sh", "-c", 'umask 077 && exec "$@"', "sh"] + cmd, env=t.env(AK),
                                capture_output=True, timeout=60)
            t.suite.record(t.name, Run(cmd, t.env(AK), None, pr.returncode, pr.stdout.decode(), pr.stderr.decode(),
                                       0, 0))
            t.eq(pr.returncode, 0, "exit status of %s" % " ".join(cmd))
            t.eq(oct(os.stat(p).st_mode & 0o7777), oct(0o644), "mode of the %s output file under umask 077" % fmt)
    t.check(b"ecs_cloud_assistant_up{" in read(path), "prom file content")
    parse_json(read(old).decode())


def _keep_old(t, fmt, args, env, code, emu_cfg=None):
    path = os.path.join(t.dir, "keep." + fmt)
    old = b"the old file\n"
    with open(path, "wb") as f:
        f.write(old)
    with t.ecs(**(emu_cfg or {})) as emu:
        r = t.call(emu, ["-o", fmt, "--output-file", path] + args + ALIVE[REGION][:3], env=env)
    t.exit(r, code)
    t.eq(read(path), old, "the old %s file after a run that failed before asking" % fmt)
    t.eq(leftovers(t.dir, "keep." + fmt), [], "files left beside the output")
    t.eq(r.out, "", "stdout")


for _fmt in ("tsv", "json", "table"):
    add("outfile/no-credentials-keeps-old-%s" % _fmt,
        lambda t, f: _keep_old(t, f, [], t.env(), 5), _fmt)
    add("outfile/bad-ca-file-keeps-old-%s" % _fmt,
        lambda t, f: _keep_old(t, f, ["--ca-file", os.path.join(t.dir, "no-such-ca.pem")], None, 2), _fmt)


def _replaced_on_failure(t, fmt, args, env, code, cfg):
    path = os.path.join(t.dir, "status." + fmt)
    old = ("# HELP ecs_cloud_assistant_scrape_success stale\n# TYPE ecs_cloud_assistant_scrape_success gauge\n"
           'ecs_cloud_assistant_scrape_success{region="%s"} 1\n' % REGION)
    with open(path, "w") as f:
        f.write(old)
    with t.ecs(**cfg) as emu:
        r = t.call(emu, ["-o", fmt, "--output-file", path, "--retries", "0"] + args, env=env)
    t.exit(r, code)
    t.eq(leftovers(t.dir, "status." + fmt), [], "files left beside the output")
    text = read(path).decode()
    t.check(text != old, "the old %s file was left in place by a run that failed (exit %s)" % (fmt, r.rc))
    return text, r


@test("outfile/prom-api-error-replaced-success-0")
def _(t):
    text, r = _replaced_on_failure(t, "prom", ALIVE[REGION][:3], None, 3, {"force_error": "InternalError"})
    prom_check(t, text, REGION, None, complete=False)


@test("outfile/prom-no-credentials-replaced-success-0")
def _(t):
    text, r = _replaced_on_failure(t, "prom", ALIVE[REGION][:3], t.env(), 5, {})
    prom_check(t, text, REGION, None, complete=False)


@test("outfile/prom-usage-error-replaced-success-0")
def _(t):
    text, r = _replaced_on_failure(t, "prom", ["--batch-size", "0"] + ALIVE[REGION][:3], None, 2, {})
    prom_check(t, text, REGION, None, complete=False)


@test("outfile/nagios-no-credentials-replaced-unknown")
def _(t):
    text, r = _replaced_on_failure(t, "nagios", ALIVE[REGION][:3], t.env(), 3, {})
    t.check(text.startswith("CLOUD ASSISTANT UNKNOWN - "), "nagios file after a credentials failure: %r" % text)


@test("outfile/json-api-error-replaced-incomplete")
def _(t):
    text, r = _replaced_on_failure(t, "json", ["--parallel", "1", "--batch-size", "2"] + ALIVE[REGION][:5], None, 3,
                                   {"error_every": 2})
    doc, items = parse_json(text)
    t.eq(doc.get("Incomplete"), True, "Incomplete in the file of a run that failed while asking")
    t.eq(doc.get("Error", {}).get("Code"), "api", "Error.Code")
    t.eq([i["InstanceId"] for i in items], ALIVE[REGION][:2], "records answered before the error")
    t.eq(r.out, "", "stdout")


@test("outfile/nagios-exit-code-kept")
def _(t):
    ids, down = mix(2, 1, 0, 6)
    path = os.path.join(t.dir, "check.txt")
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "nagios", "--output-file", path] + ids)
    t.exit(r, 2)
    t.eq(r.out, "", "stdout")
    fake = Run(r.cmd, r.env, None, r.rc, read(path).decode(), "", r.t0, r.t1)
    nagios(t, fake, "CRITICAL")


@test("outfile/unwritable-directory-exit-6")
def _(t):
    path = os.path.join(t.dir, "no-such-dir", "x.tsv")
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "--output-file", path] + ALIVE[REGION][:2])
        st = emu.stats()
    t.exit(r, 6)
    t.err_line(r, "--output-file", "no-such-dir")
    t.stat_eq(st, "requests", 0)


@test("outfile/signal-removes-temporary-keeps-old")
def _(t):
    path = os.path.join(t.dir, "sig.tsv")
    old = b"old\n"
    with open(path, "wb") as f:
        f.write(old)
    with t.ecs(delay_ms=3000) as emu:
        cmd = [t.suite.bin, "--endpoint", "127.0.0.1:%d" % emu.port, "-r", REGION, "-o", "tsv", "--batch-size", "1",
               "--output-file", path] + ALIVE[REGION][:5]
        p = subprocess.Popen(cmd, env=t.env(AK), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline and not leftovers(t.dir, "sig.tsv"):
            time.sleep(0.02)
        tmp = leftovers(t.dir, "sig.tsv")
        time.sleep(0.2)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
    t.suite.record(t.name, Run(cmd, t.env(AK), None, p.returncode, out.decode(), err.decode(), 0, 0))
    t.check(tmp, "no temporary file appeared beside %s" % path)
    t.eq(p.returncode, 143, "exit status after SIGTERM")
    t.eq(read(path), old, "the old file after SIGTERM")
    t.eq(leftovers(t.dir, "sig.tsv"), [], "files left beside the output after SIGTERM")
    t.eq(out, b"", "stdout")


_FULL_SH = r"""
set -u
mount -t tmpfs -o size=64k,mode=0755 ecs-test-tmpfs "$D" || { echo "mount-failed"; exit 0; }
printf 'old file\n' > "$D/status.$FMT"
dd if=/dev/zero of="$D/filler" bs=4096 2>/dev/null
"$@" > "$D/../stdout" 2> "$D/../stderr"
echo "rc=$?"
echo "content=$(base64 -w0 "$D/status.$FMT")"
echo "files=$(ls -A "$D" | tr '\n' ' ')"
"""


def _full_tmpfs(t, fmt, ids, code=6, names_file=False):
    if os.geteuid() != 0:
        raise TestSkip("needs root for a private mount namespace")
    if not shutil.which("unshare"):
        t.fail("unshare (util-linux) missing")
    # inside a chroot / is not a mount point and unshare cannot make it private: say so
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise TestSkip("no private mount namespace here (a chroot?): %s" % probe.stderr.strip())
    d = os.path.join(t.dir, "full")
    os.mkdir(d)
    with t.ecs() as emu:
        cmd = [t.suite.bin, "--endpoint", "127.0.0.1:%d" % emu.port, "-r", REGION, "-o", fmt,
               "--output-file", os.path.join(d, "status." + fmt)] + ids
        env = dict(t.env(AK), D=d, FMT=fmt)
        p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", _FULL_SH, "sh"] + cmd,
                           env=env, capture_output=True, timeout=60)
    so, se = (open(os.path.join(t.dir, n), errors="replace").read() if os.path.exists(os.path.join(t.dir, n)) else ""
              for n in ("stdout", "stderr"))
    t.suite.record(t.name, Run(cmd, t.env(AK), None, p.returncode, so, se, 0, 0))
    res = dict(ln.split("=", 1) for ln in p.stdout.decode().split("\n") if "=" in ln)
    t.check("mount-failed" not in p.stdout.decode() and "rc" in res,
            "could not run in a private mount namespace with a tmpfs: %r %r" % (p.stdout, p.stderr))
    t.eq(res["rc"], str(code), "exit status with a full file system (stderr %r)" % se)
    t.eq(base64.b64decode(res["content"]), b"old file\n", "the old file on the full file system")
    t.eq(res["files"].split(), ["filler", "status." + fmt], "files on the full file system")
    t.check(se.startswith(PROG + ": ") and "space" in se.lower(), "stderr does not say what failed: %r" % se)
    t.check(not names_file or "standard output" not in se and ("--output-file" in se or "status." + fmt in se),
            "the error names standard output, not the output file that could not be written: %r" % se)


add("outfile/full-tmpfs-exit-6-tsv", _full_tmpfs, "tsv", ALL_IDS[REGION][:100])
add("outfile/full-tmpfs-error-names-the-file", _full_tmpfs, "json", ALL_IDS[REGION][:100], names_file=True)
add("outfile/full-tmpfs-exit-6-prom", _full_tmpfs, "prom", ALL_IDS[REGION][:20])
add("outfile/full-tmpfs-nagios-unknown-3", _full_tmpfs, "nagios", ALL_IDS[REGION][:20], code=3)


# ---------------------------------------------------------------------------------------------
# --down, the table, stdin
# ---------------------------------------------------------------------------------------------

@test("down/tsv-json-table")
def _(t):
    ids, down = mix(6, 3, 2, 7)
    want = [i for i in ids if not live(i)]
    with t.ecs() as emu:
        rt = t.call(emu, ["-o", "tsv", "--down"] + ids)
        rj = t.call(emu, ["-o", "json", "--down"] + ids)
        rb = t.call(emu, ["--down"] + ids)
    for r in (rt, rj, rb):
        t.exit(r, 0)
    rows = parse_tsv(rt.out)
    t.eq([row[0] for row in rows], want, "tsv --down ids (down and not found, input order)")
    t.check(all(row[1] in ("false", "notfound") for row in rows), "tsv --down statuses")
    doc, items = parse_json(rj.out)
    t.eq([it["InstanceId"] for it in items], [i for i in want if i in ITEMS0], "json --down items")
    t.eq(doc["NotFound"], [i for i in ids if i not in ITEMS0], "json --down NotFound")
    t.eq(doc["TotalCount"], len(items), "json --down TotalCount")
    rows = parse_table_any(t, rb.out)[1]
    t.eq([row["INSTANCE_ID"] for row in rows], want, "table --down ids")


@test("down/all-tsv")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "--down", "--all"])
    t.exit(r, 0)
    t.eq([row[0] for row in parse_tsv(r.out)], DEAD[REGION], "--all --down ids")


@test("down/check-still-fails")
def _(t):
    ids, _ = mix(3, 1, 0, 8)
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "--down", "--check"] + ids)
    t.exit(r, 1)


COLS = ["INSTANCE_ID", "AGENT", "VERSION", "OS", "HEARTBEAT", "TASKS", "RUNS", "SSM"]
WIDTHS = dict(zip(COLS, (22, 9, 11, 7, 9, 5, 5, 3)))
DROP_ORDER = ["SSM", "RUNS", "TASKS", "OS", "VERSION"]


def cols_for(width):
    cols = list(COLS)
    for c in DROP_ORDER:
        if width and sum(WIDTHS[x] for x in cols) + len(cols) - 1 > width:
            cols.remove(c)
    return cols


def parse_table_any(t, out):
    lines = [ln for ln in out.split("\n") if ln.strip()]
    t.check(lines, "table output is empty")
    ms = list(re.finditer(r"\S+", lines[0]))
    names = [m.group() for m in ms]
    starts = [m.start() for m in ms]
    rows = []
    for ln in lines[1:]:
        vals = []
        for k, s in enumerate(starts):
            t.check(s == 0 or (len(ln) > s and ln[s - 1] == " "), "row not aligned with %s: %r" % (names[k], ln))
            vals.append(ln[s:starts[k + 1] if k + 1 < len(starts) else None].strip())
        rows.append(dict(zip(names, vals)))
    return names, rows, lines


def check_table(t, r, ids, width=80, skew=0):
    width = width or 80
    names, rows, lines = parse_table_any(t, r.out)
    t.eq(names, cols_for(width), "table columns at width %d" % width)
    long_ = [ln for ln in lines if len(ln) > max(width, 42)]
    t.check(not long_, "table lines wider than %d: %r" % (width, long_[:2]))
    t.eq([row["INSTANCE_ID"] for row in rows], ids, "table ids")
    for row in rows:
        iid = row["INSTANCE_ID"]
        it = ITEMS0.get(iid)
        if it is None:
            t.eq(row["AGENT"], "NOT FOUND", "AGENT of not found %s" % iid)
            continue
        want = {"AGENT": "yes" if it["CloudAssistantStatus"] == "true" else "no",
                "VERSION": it["CloudAssistantVersion"] or "-", "OS": it["OSType"],
                "TASKS": str(it["ActiveTaskCount"]), "RUNS": str(it["InvocationCount"]),
                "SSM": "yes" if it["SupportSessionManager"] else "no"}
        for c in names[1:]:
            if c == "HEARTBEAT":
                t.check(row[c] in ages_possible(iid, r, skew), "HEARTBEAT of %s is %r, want one of %s"
                        % (iid, row[c], sorted(ages_possible(iid, r, skew))))
            else:
                t.eq(row[c], want[c], "%s of %s" % (c, iid))
    return rows


@test("table/80-columns-ages-no-terminal")
def _(t):
    ids, _ = mix(10, 6, 2, 9)
    with t.ecs() as emu:
        r = t.call(emu, ids)
    t.exit(r, 0)
    check_table(t, r, ids)
    t.eq(r.err, "", "stderr when stdout is not a terminal (no summary)")


@test("table/all-ages")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["--all"])
    t.exit(r, 0)
    rows = check_table(t, r, ALL_IDS[REGION])
    units = {row["HEARTBEAT"][-1] for row in rows if row["HEARTBEAT"] != "-"}
    t.check({"s", "d"} <= units, "ages in seconds and days expected in the fixtures: %r" % units)


@test("table/ages-minutes-hours")
def _(t):
    """The emulator's clock behind ours: heartbeats minutes old by the local clock. Past 5 min of
    difference the client goes by the server's clock (it signs with it too), so an agent that
    beat seconds ago by the server's clock is shown seconds old, not hours: a wrong local clock
    must not make a live agent look stale."""
    ids = [i for i in ALIVE[REGION] if HEARTBEAT_DELTA.get(i, 99) < 50][:8]
    for skew, unit in ((-150, "m"), (-3 * 3600 - 120, "s")):
        with t.ecs(skew_seconds=skew) as emu:
            r = t.call(emu, ids)
        t.exit(r, 0)
        rows = check_table(t, r, ids, skew=skew)
        t.eq({row["HEARTBEAT"][-1] for row in rows}, {unit}, "age units with the emulator %d s behind" % -skew)


@test("stdin/comments-blank-lines-separators")
def _(t):
    ids, _ = mix(5, 2, 1, 10)
    text = "# fleet list\n\n   \n%s  # two web hosts\n%s,%s\n\t#indented comment %s\n%s\n\n# end\n" % (
        " ".join(ids[:2]), ids[2], ids[3], madeup_id(77), "\n".join(ids[4:]))
    crlf = "\ufeff# saved on Windows\r\n\r\n%s\r\n# %s\r\n%s # last line, no newline" % (
        "\r\n".join(ids[:4]), madeup_id(78), ",".join(ids[4:]))
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv", "-"], stdin=text)
        r2 = t.call(emu, ["-o", "tsv", "-"], stdin="# only a comment\n\n")
        r3 = t.call(emu, ["-o", "tsv", "-"], stdin=crlf)
    t.exit(r, 0)
    t.tsv(r, ids)
    t.exit(r2, 2)
    t.err_line(r2, "no instance ids")
    t.exit(r3, 0)
    t.tsv(r3, ids)


# ---------------------------------------------------------------------------------------------
# Terminals
# ---------------------------------------------------------------------------------------------

def _pty(cols, rows=24):
    master, slave = os.openpty()
    tty.setraw(slave)          # no output processing: what the program writes is what we read
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return master, slave


def _drain(fd, sink):
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:        # EIO: the slave side is closed
            break
        if not data:
            break
        sink.append(data)


def run_tty(t, emu, args, out_tty=True, err_tty=False, cols=80, timeout=60, same=False):
    """Runs the binary with stdout and/or stderr on a pseudo-terminal of `cols` columns; same=True:
    both on one terminal (what a user sees), the bytes in order in .out."""
    cmd = [t.suite.bin, "--endpoint", "127.0.0.1:%d" % emu.port, "-r", REGION] + [str(a) for a in args]
    env = t.env(AK)
    fds, close, readers, bufs = {}, [], [], {}
    for name, want in (("out", out_tty), ("err", err_tty)):
        if same and name == "err":
            fds["err"] = fds["out"]
            err_tty = False
            continue
        if want or same:
            m, s = _pty(cols)
            fds[name] = s
            close.append(s)
            bufs[name] = []
            th = threading.Thread(target=_drain, args=(m, bufs[name]), daemon=True)
            readers.append((th, m))
        else:
            fds[name] = subprocess.PIPE
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fds["out"], stderr=fds["err"], env=env,
                         start_new_session=True)
    for s in close:
        os.close(s)
    for th, _ in readers:
        th.start()
    try:
        out, err = p.communicate(timeout=timeout * cli.SLACK)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    for th, m in readers:
        th.join(5)
        os.close(m)
    t1 = time.time()
    out = b"".join(bufs["out"]) if out_tty or same else out
    err = b"".join(bufs["err"]) if err_tty else (err or b"")
    r = Run(cmd, env, None, p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), t0, t1)
    t.runs.append(r)
    t.suite.record(t.name, r)
    return r


SUMMARY_RE = re.compile(r"([0-9]+) instances: ([0-9]+) live, ([0-9]+) down, ([0-9]+) not found")


def summary_of(t, ids):
    n_nf = sum(1 for i in ids if i not in ITEMS0)
    n_live = sum(1 for i in ids if live(i))
    return "%d instances: %d live, %d down, %d not found" % (len(ids), n_live, len(ids) - n_live - n_nf, n_nf)


@test("tty/summary-after-table")
def _(t):
    ids, _ = mix(7, 3, 2, 12)
    with t.ecs() as emu:
        r = run_tty(t, emu, ids)
    t.exit(r, 0)
    check_table(t, r, ids)
    t.eq(r.err, summary_of(t, ids) + "\n", "stderr after a table on a terminal")


@test("tty/summary-with-down")
def _(t):
    ids, _ = mix(7, 3, 2, 13)
    with t.ecs() as emu:
        r = run_tty(t, emu, ["--down"] + ids)
    t.exit(r, 0)
    t.eq(r.err, summary_of(t, ids) + "\n", "summary after a --down table on a terminal (counts every instance)")


@test("tty/no-summary-for-tsv-json-or-pipe")
def _(t):
    ids, _ = mix(3, 1, 1, 14)
    with t.ecs() as emu:
        for args in (["-o", "tsv"], ["-o", "json"], ["-o", "prom"], ["-o", "nagios"]):
            r = run_tty(t, emu, args + ids)
            t.check(not SUMMARY_RE.search(r.err), "summary on stderr with %s on a terminal: %r" % (args, r.err))
        r = t.call(emu, ids)
        t.eq(r.err, "", "stderr of a table to a pipe")


@test("tty/summary-on-stderr-terminal-too")
def _(t):
    ids, _ = mix(4, 2, 0, 15)
    with t.ecs() as emu:
        r = run_tty(t, emu, ids, out_tty=True, err_tty=True)
    t.exit(r, 0)
    t.eq(r.err, summary_of(t, ids) + "\n", "stderr (a terminal) of a quick table run: the summary only")


WIDTH_CASES = (80, 79, 78, 77, 74, 70, 65, 60, 50, 42, 30, 0)   # 0: the terminal does not say


@test("tty/narrow-terminal-drops-columns")
def _(t):
    ids, _ = mix(6, 3, 1, 16)
    bad = []
    with t.ecs() as emu:
        for w in WIDTH_CASES:
            r = run_tty(t, emu, ids, cols=w)
            try:
                t.exit(r, 0)
                check_table(t, r, ids, width=w)
            except TestFailure as e:
                bad.append("%d columns: %s" % (w, e))
    t.check(not bad, "column dropping:\n  " + "\n  ".join(bad))


@test("tty/wide-terminal-keeps-80-columns")
def _(t):
    ids, _ = mix(3, 1, 0, 17)
    with t.ecs() as emu:
        r = run_tty(t, emu, ids, cols=200)
    check_table(t, r, ids, width=80)


def _table_to_file(t, seed):
    ids, _ = mix(3, 1, 0, seed)
    path = os.path.join(t.dir, "table.txt")
    with t.ecs() as emu:
        r = run_tty(t, emu, ["--output-file", path] + ids, cols=50)
    t.exit(r, 0)
    t.eq(r.out, "", "terminal stdout with --output-file")
    return Run(r.cmd, r.env, None, 0, read(path).decode(), r.err, r.t0, r.t1), ids


@test("tty/output-file-table-not-shaped-by-terminal")
def _(t):
    fake, ids = _table_to_file(t, 18)
    check_table(t, fake, ids, width=80)


@test("tty/output-file-table-no-summary")
def _(t):
    fake, ids = _table_to_file(t, 20)
    t.check(not SUMMARY_RE.search(fake.err), "summary on stderr although the table went to a file: %r" % fake.err)


PROGRESS_RE = re.compile(r"\r" + PROG + r": ([0-9]+)(?: of ([0-9]+))? instances answered\.\.\.")


def _progress(t, args, total, slow_cfg, out_tty=False, of=True):
    with t.ecs(**slow_cfg) as emu:
        r = run_tty(t, emu, args, out_tty=out_tty, err_tty=True)
    t.exit(r, 0)
    t.check(r.elapsed > 2.2, "the run took only %.1f s" % r.elapsed)
    shown = list(PROGRESS_RE.finditer(r.err))
    t.check(shown, "no progress line on a terminal stderr during a %.1f s run: %r" % (r.elapsed, r.err))
    for m in shown:
        t.check(int(m.group(1)) <= total and (m.group(2) is not None) == of
                and (not of or int(m.group(2)) == total), "progress %r (total %d)" % (m.group(0), total))
    tail = r.err[shown[-1].end():]
    t.check(tail.startswith("\r\x1b[K"), "progress line not erased at the end: %r" % tail[:40])
    t.check("\n" not in r.err[:shown[-1].end()], "progress line holds a newline: %r" % r.err[:200])
    return r, tail[len("\r\x1b[K"):]


@test("tty/progress-ids-erased")
def _(t):
    ids = ALL_IDS[REGION][:30]
    r, rest = _progress(t, ["-o", "tsv", "--parallel", "1", "--batch-size", "5"] + ids, 30, {"delay_ms": 450})
    t.eq(rest, "", "stderr after the erased progress line (tsv to a pipe)")
    t.tsv(r, ids)


@test("tty/progress-all-then-summary")
def _(t):
    r, rest = _progress(t, ["--all"], len(ALL_IDS[REGION]), {"delay_ms": 450}, out_tty=True, of=False)
    n = len(ALL_IDS[REGION])
    t.eq(rest, "%d instances: %d live, %d down, 0 not found\n" % (n, len(ALIVE[REGION]), len(DEAD[REGION])),
         "after the erased progress line: the summary")


@test("tty/progress-never-mixes-with-rows")
def _(t):
    """stdout and stderr on one terminal: table rows written during the run must not land on
    the line that holds the progress text."""
    ids = ALL_IDS[REGION]
    with t.ecs(delay_ms=120) as emu:
        r = run_tty(t, emu, ["--parallel", "1", "--batch-size", "10"] + ids, same=True)
    t.exit(r, 0)
    shown = list(PROGRESS_RE.finditer(r.out))
    t.check(shown, "no progress line during a %.1f s run" % r.elapsed)
    mixed = [r.out[m.start():m.end() + 40] for m in shown if not r.out[m.end():].startswith("\r")]
    t.check(not mixed, "%d of %d progress lines were followed by output on the same line, e.g. %r"
            % (len(mixed), len(shown), mixed[:1]))
    screen = re.sub(r"\r\x1b\[K", "", re.sub(r"\r" + PROG + r": [^\r\n]*answered\.\.\.", "", r.out))
    check_table(t, Run(r.cmd, r.env, None, 0, screen.replace(summary_of(t, ids) + "\n", ""), "", r.t0, r.t1), ids)


@test("tty/no-progress-when-stderr-is-a-pipe")
def _(t):
    ids = ALL_IDS[REGION][:30]
    with t.ecs(delay_ms=450) as emu:
        r = run_tty(t, emu, ["--parallel", "1", "--batch-size", "5"] + ids, out_tty=True, err_tty=False)
    t.exit(r, 0)
    t.check(r.elapsed > 2.2, "the run took only %.1f s" % r.elapsed)
    t.eq(r.err, summary_of(t, ids) + "\n", "stderr (a pipe) of a slow run: the summary only")


@test("tty/no-progress-nagios-prom")
def _(t):
    ids = ALL_IDS[REGION][:24]
    bad = []
    with t.ecs(delay_ms=450) as emu:
        for fmt in ("nagios", "prom"):
            r = run_tty(t, emu, ["-o", fmt, "--parallel", "1", "--batch-size", "4"] + ids, out_tty=True, err_tty=True)
            if r.elapsed < 2.2:
                bad.append("%s run took only %.1f s" % (fmt, r.elapsed))
            if r.err != "":
                bad.append("stderr of a slow -o %s run on a terminal: %r" % (fmt, r.err[:200]))
    t.check(not bad, "; ".join(bad))


@test("tty/no-progress-quick-run")
def _(t):
    ids = ALL_IDS[REGION][:30]
    with t.ecs() as emu:
        for _ in range(3):   # a loaded machine may make a run slower than 2 s: then try again
            r = run_tty(t, emu, ["-o", "tsv", "--batch-size", "5"] + ids, out_tty=False, err_tty=True)
            if r.elapsed < 1.8:
                break
    t.check(r.elapsed < 1.8, "no run under 1.8 s in 3 tries (last %.1f s)" % r.elapsed)
    t.exit(r, 0)
    t.eq(r.err, "", "stderr of a quick run on a terminal")


# =============================================================================================
# --wait and many regions
# =============================================================================================


@test("wait/returns-within-one-interval-of-agents-up")
def _(t):
    """Down agents come up 2 s after start: --wait answers within one interval of that, exit 0,
    every instance live in the final output, and only the not-live ids are asked again."""
    ids, _ = mix(4, 3, 0, 31)
    with t.ecs(agents_up_after=2) as emu:
        r = t.call(emu, ["--wait", "30", "--interval", "1", "-o", "tsv"] + ids, timeout=40)
        st = emu.stats()
    t.exit(r, 0)
    rows = parse_tsv(r.out)
    t.eq([row[0] for row in rows], ids, "final rows in input order, once each")
    t.eq({row[1] for row in rows}, {"true"}, "every agent live at the end")
    t.check(1.8 <= r.elapsed <= 2.0 + 1.0 * cli.SLACK + 0.8,
            "returned %.2f s after start; agents came up at 2 s, interval 1 s" % r.elapsed)
    asked = [e for e in st.get("log", []) if e.get("action") == "DescribeCloudAssistantStatus"]
    t.check(len(asked) >= 2, "more than one round: %r" % asked)
    t.eq(asked[0].get("ids"), len(ids), "the first round asks every id")
    t.check(all(e.get("ids", 0) <= 3 for e in asked[1:]),
            "later rounds ask only the 3 ids that were not live: %r" % asked)


@test("wait/gives-up-at-deadline-exit-1")
def _(t):
    ids, _ = mix(3, 1, 1, 32)
    with t.ecs() as emu:
        r = t.call(emu, ["--wait", "2", "--interval", "1", "-o", "tsv"] + ids, timeout=30)
    t.exit(r, 1)
    t.check(1.9 <= r.elapsed <= 2.0 + 1.5 * cli.SLACK, "gave up after %.2f s, want about 2" % r.elapsed)
    rows = parse_tsv(r.out)
    t.eq([row[0] for row in rows], ids, "the final state of every instance, in input order")
    t.check(any(row[1] == "notfound" for row in rows) and any(row[1] == "false" for row in rows),
            "down and not-found instances shown as such: %r" % rows)


@test("wait/all-mode-and-nagios")
def _(t):
    with t.ecs(agents_up_after=1) as emu:
        r = t.call(emu, ["--all", "--wait", "20", "--interval", "1", "-o", "nagios"], timeout=40)
    t.exit(r, 0)
    t.check(r.out.startswith("CLOUD ASSISTANT OK - "), "nagios OK once every agent of the region is up: %r" % r.out[:200])


@test("regions/two-regions-tsv-col10-json-regionid")
def _(t):
    n_hz, n_sh = len(ALL_IDS[REGION]), len(ALL_IDS[cli.SH_REGION])
    with t.ecs() as emu:
        r = t.call(emu, ["--all", "-o", "tsv"], region="%s,%s" % (REGION, cli.SH_REGION))
        rj = t.call(emu, ["--all", "-o", "json", "-r", cli.SH_REGION], region=REGION)
        r1 = t.call(emu, ["--all", "-o", "tsv"])
    t.exit(r, 0)
    lines = [ln.split("\t") for ln in r.out.splitlines()]
    t.eq(len(lines), n_hz + n_sh, "rows of both regions")
    t.eq({len(c) for c in lines}, {10}, "TSV columns with two regions")
    t.eq(sum(1 for c in lines if c[9] == REGION), n_hz, "rows with region %s in column 10" % REGION)
    t.eq(sum(1 for c in lines if c[9] == cli.SH_REGION), n_sh, "rows with region %s" % cli.SH_REGION)
    t.exit(rj, 0)
    doc = parse_json(rj.out)[0]
    items = doc["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"]
    t.eq(len(items), n_hz + n_sh, "JSON items of both regions")
    t.eq({it["RegionId"] for it in items}, {REGION, cli.SH_REGION}, "RegionId on every item")
    t.exit(r1, 0)
    t.eq({len(ln.split("\t")) for ln in r1.out.splitlines()}, {9}, "one region: TSV keeps 9 columns")


@test("regions/ids-looked-up-in-every-region")
def _(t):
    hz, sh = sample(ALL_IDS[REGION], 3, 41), sample(ALL_IDS[cli.SH_REGION], 3, 42)
    ids = [hz[0], sh[0], madeup_id(4242), hz[1], sh[1], hz[2], sh[2]]
    with t.ecs() as emu:
        r = t.call(emu, ["-o", "tsv"] + ids, region="%s,%s" % (REGION, cli.SH_REGION))
    t.exit(r, 0)
    rows = parse_tsv_n(r.out, 10)
    t.eq([c[0] for c in rows], ids, "every id once, in input order")
    want = {i: REGION for i in hz}
    want.update({i: cli.SH_REGION for i in sh})
    for c in rows:
        if c[0] in want:
            t.eq(c[9], want[c[0]], "region of %s" % c[0])
        else:
            t.eq((c[1], c[9]), ("notfound", "-"), "an id no region has")


@test("regions/error-in-one-region-others-print")
def _(t):
    with t.ecs() as emu:
        r = t.call(emu, ["--all", "-o", "tsv"], region="%s,cn-nowhere" % REGION)
        rn = t.call(emu, ["--all", "-o", "nagios"], region="%s,cn-nowhere" % REGION)
    t.exit(r, 3)
    t.eq(len(r.out.splitlines()), len(ALL_IDS[REGION]), "the good region still prints")
    t.check("region cn-nowhere" in r.err and "InvalidRegionId.NotFound" in r.err,
            "the failing region is named with the API error: %r" % r.err)
    t.exit(rn, 3)
    t.check(rn.out.startswith("CLOUD ASSISTANT UNKNOWN - region cn-nowhere"), "nagios UNKNOWN names the region: %r" % rn.out[:200])


@test("regions/all-from-describe-regions")
def _(t):
    n_hz, n_sh = len(ALL_IDS[REGION]), len(ALL_IDS[cli.SH_REGION])
    with t.ecs() as emu:
        r = t.call(emu, ["--all", "-o", "tsv", "-v"], region="all")
        st = emu.stats()
        rd = t.call(emu, ["--all", "--dry-run"], region="all")
        rb = t.call(emu, ["--all"], region="all,%s" % REGION)
    t.exit(r, 0)
    rows = parse_tsv_n(r.out, 10)
    t.eq(len(rows), n_hz + n_sh, "every instance of every region DescribeRegions named")
    t.eq(st.get("actions", {}).get("DescribeRegions"), 1, "one DescribeRegions call")
    t.check("* region 1 of 2: %s" % REGION in r.err, "-v lists the regions: %r" % r.err[-400:])
    t.exit(rd, 0)
    t.check("x-acs-action: DescribeRegions" in rd.out, "dry run shows the DescribeRegions request")
    t.exit(rb, 2)
    t.err_line(rb, "'all'")


def parse_tsv_n(out, ncols):
    rows = [ln.split("\t") for ln in out.splitlines()]
    bad = [r for r in rows if len(r) != ncols]
    if bad:
        raise TestFailure("TSV rows without %d columns: %r" % (ncols, bad[:3]))
    return rows


# =============================================================================================
# Runner
# =============================================================================================


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="binary under test (default ./ecs-ca-status)")
    ap.add_argument("--only", action="append", default=[], help="run tests whose name contains SUBSTRING")
    ap.add_argument("--jobs", type=int, default=4, help="tests run in parallel (default 4)")
    ap.add_argument("--slack", type=float, help="multiplier for time bounds (default 1)")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing tests too")
    args = ap.parse_args()
    args.qemu = None

    tests = [(n, f) for n, f in TESTS if not args.only or any(s in n for s in args.only)]
    if args.list:
        for n, _ in tests:
            print(n)
        return 0
    if not args.bin:
        args.bin = cli.find_binary()
    if not args.bin or not os.path.exists(args.bin):
        print("monitoring: binary not found (%s); build it or pass --bin" % (args.bin or PROG))
        print("monitoring: 0 passed, 1 failed")
        return 1
    args.bin = os.path.abspath(args.bin)
    cli.SLACK = args.slack or 1.0
    args.jobs = max(1, args.jobs)
    suite = cli.Suite(args)

    def on_signal(signum, frame):
        suite.cleanup()
        os._exit(130)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    passed = failed = skipped = 0
    start = time.time()
    try:
        suite.setup()
        slow = ("tty/progress", "tty/no-progress-when", "tty/progress-never", "tty/no-progress-nagios", "outfile/atomic",
                "tty/narrow", "nagios/threshold", "outfile/signal")
        tests.sort(key=lambda nf: 0 if any(s in nf[0] for s in slow) else 1)
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = [ex.submit(cli.run_one, suite, n, f, args.verbose) for n, f in tests]
            for fut in concurrent.futures.as_completed(futs):
                name, status, detail, dt = fut.result()
                if status == "PASS":
                    passed += 1
                    if args.verbose:
                        print("PASS %s (%.1f s)" % (name, dt), flush=True)
                elif status == "SKIP":
                    skipped += 1
                    print("SKIP %s: %s" % (name, detail), flush=True)
                else:
                    failed += 1
                    print("FAIL %s (%.1f s): %s\n" % (name, dt, detail), flush=True)
        if suite.runs:
            problems = cli.check_leaks(suite)
            if problems:
                failed += 1
                print("FAIL secrets/never-printed:\n" + "\n".join(problems[:20]), flush=True)
            else:
                passed += 1
    except Exception:
        traceback.print_exc()
        failed += 1
    finally:
        suite.cleanup()
    tail = ", %d skipped" % skipped if skipped else ""
    print("(%.1f s, %d binary runs)" % (time.time() - start, len(suite.runs)))
    print("monitoring: %d passed, %d failed%s" % (passed, failed, tail))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
