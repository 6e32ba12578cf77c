"""Deterministic fixture instances for the ECS emulator.

Nothing here is random: every instance (id, OS, agent state, counters) is a pure function of its
region and its index, so tests can import this module and compute exactly what the emulator will
answer.  Times are offsets from a "now" (Unix seconds) given by the caller; the emulator passes its
own (possibly skewed) clock, the same value it puts in the response's Date header.  A test that
wants exact equality parses the Date header of a response and calls instances(region, now).
"""

import hashlib
import time

# region -> (id prefix, number of instances).  Real ids look like i-bp1xxxxxxxxxxxxxxxxx (hangzhou)
# and i-uf6xxxxxxxxxxxxxxxxx (shanghai): a 5 character prefix + 17 lower-case alphanumerics.
REGIONS = {
    "cn-hangzhou": ("i-bp1", 300),
    "cn-shanghai": ("i-uf6", 120),
}

OS_TYPES = ("Linux", "Windows", "FreeBSD")

# region -> LocalName per AcceptLanguage of DescribeRegions (zh-CN is the API's default).
REGION_NAMES = {
    "cn-hangzhou": {"zh-CN": "华东1（杭州）", "en-US": "China (Hangzhou)", "ja": "中国 (杭州)"},
    "cn-shanghai": {"zh-CN": "华东2（上海）", "en-US": "China (Shanghai)", "ja": "中国 (上海)"},
}


# What the emulator's odd_versions switch appends to every CloudAssistantVersion: characters that
# output formats must escape or filter (quote, backslash, newline), non-ASCII, a bidi control.
ODD_VERSION_SUFFIX = ' "beta" \\ build\nnext \u00e9\u202e'


def odd_version(version):
    """CloudAssistantVersion as served with odd_versions on (empty stays empty)."""
    return version + ODD_VERSION_SUFFIX if version else version


def region_name(region, lang="zh-CN"):
    """LocalName of a fixture region as DescribeRegions gives it."""
    return REGION_NAMES[region][lang]

_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"

# Agent versions per OS (cycled).  SupportSessionManager needs Linux >= 2.2.3.189 or
# Windows >= 2.1.3.189 (doc section 1); FreeBSD agents never support it here.
_VERSIONS = {
    "Linux": ("2.2.3.857", "2.2.3.857", "2.2.0.106", "2.1.3.190", "2.2.3.189"),
    "Windows": ("2.1.3.857", "2.1.3.189", "2.1.0.88"),
    "FreeBSD": ("2.3.0.10", "2.2.0.5"),
}
_SESSION_MIN = {"Linux": (2, 2, 3, 189), "Windows": (2, 1, 3, 189)}


def iso(ts):
    """Unix seconds -> 'YYYY-MM-DDThh:mm:ssZ' (the API's time format)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def instance_id(region, index):
    """Deterministic instance id: prefix + 17 chars from SHA-256(region/index)."""
    prefix = REGIONS[region][0]
    digest = hashlib.sha256(("%s/%d" % (region, index)).encode()).digest()
    return prefix + "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:17])


def _os_of(index):
    if index % 25 == 11:
        return "FreeBSD"
    if index % 10 in (3, 7):
        return "Windows"
    return "Linux"


def _state_of(index):
    """'running', 'stopped' (installed, no heartbeat) or 'absent' (agent never installed)."""
    if index % 17 == 5:
        return "absent"
    if index % 13 == 4:
        return "stopped"
    return "running"


def _supports_session(os_type, version):
    need = _SESSION_MIN.get(os_type)
    if not need or not version:
        return False
    return tuple(int(p) for p in version.split(".")) >= need


_CACHE = {}  # (region, now, all_up) -> items: building them costs ~5 ms, a fleet asks often


def instances(region, now=None, all_up=False):
    """All fixture instances of a region, in fixture (= response) order, as the JSON items the
    API returns with CloudAssistantStatus as the string "true"/"false".  Keys absent from an
    item are absent on the wire too.  Raises KeyError for an unknown region.  The caller gets
    its own copies.

    all_up=True: the emulator's agents_up_after mode once the time has come: every agent that is
    down (stopped, or never installed) is installed and live, its last heartbeat 0-4 s ago;
    agents that were live are as before."""
    return [dict(it) for it in _cached(region, now, all_up)]


def _cached(region, now, all_up=False):
    if now is None:
        now = time.time()
    key = (region, int(now), bool(all_up))
    items = _CACHE.get(key)
    if items is None:
        items = _build(region, int(now), all_up)
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = items
    return items


def _build(region, now, all_up):
    count = REGIONS[region][1]
    out = []
    for i in range(count):
        os_type = _os_of(i)
        state = _state_of(i)
        came_up = all_up and state != "running"
        if all_up:
            state = "running"
        item = {"InstanceId": instance_id(region, i)}
        if state == "absent":
            item["CloudAssistantStatus"] = "false"
            item["CloudAssistantVersion"] = ""
            # Alternate between an absent and an empty LastHeartbeatTime.
            if i % 2 == 0:
                item["LastHeartbeatTime"] = ""
            item["ActiveTaskCount"] = 0
            item["InvocationCount"] = 0
            item["OSType"] = os_type
            item["SupportSessionManager"] = False
            out.append(item)
            continue
        versions = _VERSIONS[os_type]
        version = versions[(i // 3) % len(versions)]
        invocations = (i * 37) % 211 if i % 6 else 0
        if state == "running":
            item["CloudAssistantStatus"] = "true"
            heartbeat = now - (5 + (i * 7) % 55)          # seen within the last minute
            if came_up:
                heartbeat = now - i % 5
            active = (i % 4 == 1) and 1 or 0
        else:
            item["CloudAssistantStatus"] = "false"
            heartbeat = now - 86400 * (1 + i % 40) - (i * 97) % 3600
            active = 0
        item["CloudAssistantVersion"] = version
        item["LastHeartbeatTime"] = iso(heartbeat)
        if invocations:
            item["LastInvokedTime"] = iso(heartbeat - 3600 * (1 + i % 72) - (i * 13) % 60)
        item["ActiveTaskCount"] = active
        item["InvocationCount"] = invocations
        item["OSType"] = os_type
        item["SupportSessionManager"] = _supports_session(os_type, version)
        out.append(item)
    return out


def select(region, now=None, instance_ids=None, os_type=None, all_up=False):
    """The instances a query returns before paging: fixture order, optionally restricted to a set
    of ids (unknown ids simply absent) and an OSType (case-insensitive)."""
    items = _cached(region, now, all_up)
    if instance_ids is not None:
        wanted = set(instance_ids)
        items = [it for it in items if it["InstanceId"] in wanted]
    if os_type:
        items = [it for it in items if it["OSType"].lower() == os_type.lower()]
    return [dict(it) for it in items]


def region_of(instance_id_):
    """Region whose fixtures contain this id, or None."""
    for region in REGIONS:
        if any(it["InstanceId"] == instance_id_ for it in instances(region, 0)):
            return region
    return None


if __name__ == "__main__":  # quick summary: python3 fixtures.py
    import collections
    for reg in REGIONS:
        items = instances(reg)
        ids = [it["InstanceId"] for it in items]
        assert len(set(ids)) == len(ids)
        c = collections.Counter((it["OSType"], it["CloudAssistantStatus"], bool(it["CloudAssistantVersion"]))
                                for it in items)
        print(reg, len(items), dict(c))
