"""manager.conf, read with pyst2: the engine's AMI user has what it needs and no more."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "asterisk-traces"
_FILTER = re.compile(r"^eventfilter\((?P<criteria>[^)]*(?:\([^)]*\)[^)]*)*)\)$")
_CRITERION = re.compile(r"^(action|name|header|method)\(([^)]*)\)$")


def _classes(value: str | None) -> set[str]:
    return {c.strip() for c in (value or "").split(",") if c.strip()}


def _filters(user: Any) -> list[dict[str, str]]:
    """The advanced eventfilter lines as criteria dicts (value under ``match``)."""
    found = []
    for key, value in user.items:
        if not key.startswith("eventfilter"):
            continue
        match = _FILTER.match(key)
        assert match, f"not an eventfilter(...) line: {key}"
        criteria: dict[str, str] = {}
        for part in re.findall(r"\w+\([^)]*\)", match["criteria"]):
            crit = _CRITERION.match(part)
            assert crit, f"unknown eventfilter criterion {part!r}"
            criteria[crit.group(1)] = crit.group(2)
        criteria["match"] = value
        found.append(criteria)
    return found


def _excluded(filters: list[dict[str, str]], event: dict[str, str]) -> bool:
    """Asterisk's exclude-only semantics: an event matching any exclude filter is dropped."""
    for f in filters:
        if f.get("action", "include") != "exclude":
            continue
        if "name" in f and event.get("Event") != f["name"]:
            continue
        if "header" in f:
            value = event.get(f["header"])
            if value is None:
                continue
            method = f.get("method", "none")
            if method == "starts_with" and not value.startswith(f["match"]):
                continue
            if method in ("exact", "none") and f["match"] and value != f["match"]:
                continue
            if method == "regex" and not re.search(f["match"], value):
                continue
        return True
    return False


def _trace_events() -> list[dict[str, str]]:
    """Events of the traces recorded unfiltered (read=all): the product_* files, except the
    ``_unfiltered`` ones, were recorded through these very filters."""
    events = []
    for path in sorted(TRACES.glob("*.ami.jsonl")):
        if path.name.startswith("product_") and "_unfiltered" not in path.name:
            continue
        text = "".join(
            r.get("data", "")
            for r in map(json.loads, path.read_text().splitlines())
            if r["dir"] == "recv"
        )
        for block in text.split("\r\n\r\n"):
            fields = dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line)
            if "Event" in fields:
                events.append(fields)
    return events


def test_ami_user_is_not_all_powerful(conf: Any) -> None:
    """The ``atende`` user is not read=all/write=all and cannot run CLI, config or system."""
    user = conf("manager.conf").one("atende")
    read, write = _classes(user.get("read")), _classes(user.get("write"))
    assert "all" not in read and "all" not in write
    assert not write & {"system", "command", "config"}


def test_ami_user_has_the_classes_the_engine_uses(conf: Any) -> None:
    """Events of calls, dialplan variables, agents, AGI and system; actions to Redirect,
    Hangup, Setvar/Getvar, Originate, CoreShowChannels/Status/CoreStatus, AGI."""
    user = conf("manager.conf").one("atende")
    assert {"call", "dialplan", "agent", "agi", "system"} <= _classes(user.get("read"))
    assert {"call", "originate", "reporting", "agent", "agi"} <= _classes(user.get("write"))


def test_ami_user_only_from_allowed_addresses(conf: Any) -> None:
    """Everyone is denied but the permitted addresses; a secret is required."""
    manager = conf("manager.conf")
    user = manager.one("atende")
    assert user.get("deny") == "0.0.0.0/0.0.0.0"
    assert user.all("permit")
    assert user.get("secret")
    general = manager.one("general")
    assert general.get("enabled") == "yes" and general.get("port") == "5038"


def test_eventfilters_are_valid_and_present(conf: Any) -> None:
    """eventfilter lines use Asterisk 22's criteria syntax and are all exclusions."""
    filters = _filters(conf("manager.conf").one("atende"))
    assert len(filters) >= 5
    assert {f["action"] for f in filters} == {"exclude"}
    assert {"Newexten", "RTCPSent", "RTCPReceived"} <= {f.get("name") for f in filters}
    for f in filters:
        if "header" in f:
            assert f["method"] in ("starts_with", "exact", "regex") and f["match"]


def test_filters_drop_noise_but_keep_what_the_engine_reads(conf: Any) -> None:
    """Applied to the recorded AMI traffic, the filters drop Newexten and timing VarSets but
    keep channels, dials, bridges, hold, originate results and the engine's variables."""
    filters = _filters(conf("manager.conf").one("atende"))
    events = _trace_events()
    kept = [e for e in events if not _excluded(filters, e)]
    kept_names = {e["Event"] for e in kept}
    assert not any(e["Event"] == "Newexten" for e in kept)
    for needed in (
        "Newchannel",
        "Newstate",
        "Hangup",
        "DialBegin",
        "DialEnd",
        "BridgeEnter",
        "BridgeLeave",
        "MusicOnHoldStart",
        "OriginateResponse",
        "ChanSpyStart",
        "CoreShowChannel",
        "Status",
        "FullyBooted",
    ):
        assert needed in kept_names, needed
    kept_vars = {e["Variable"] for e in kept if e["Event"] == "VarSet"}
    # what the engine reads from VarSet (the tracker's channel variables)
    read = {"ROUTE", "AMDSTATUS", "AMDCAUSE", "AMD_RESULT", "ATENDE_DIALER_RESULT"}
    assert read | {"CAMPAIGN_ID", "LEAD_ID"} <= kept_vars
    assert not kept_vars & {"DIALEDTIME", "ANSWEREDTIME_MS", "RINGTIME", "BRIDGEPEER"}
    assert not kept_vars & {"DIALSTATUS", "DIALEDPEERNUMBER", "__ATENDE_DID", "AGENT_INTERFACE"}
    assert not kept_names & {"NewCallerid", "NewConnectedLine", "DTMFBegin"}
    assert len(kept) < 0.5 * len(events)
