"""``atende agent ...`` and ``atende queue ...`` on SQLite and PostgreSQL: the same models and
use cases as the HTTP API, so the same values are accepted and the same things refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from atende.cli import main


@pytest.fixture
def cli(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[pytest.CaptureFixture[str]]:
    """``main`` on ``database_url``; logging put back as it was afterwards."""
    monkeypatch.setenv("ATENDE_DATABASE_URL", database_url)
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield capsys
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


def _queues(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    capsys.readouterr()
    assert main(["queue", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    return {q["name"]: q for q in map(json.loads, lines)}


def test_agents_share_no_interface_and_bad_levels_name_the_option(
    cli: pytest.CaptureFixture[str],
) -> None:
    """A second agent on the same phone is refused (exit 1, interface_in_use); a level of 9 is
    bad input (exit 2) naming --skill; nothing is stored for refused agents."""
    assert main(["agent", "add", "2001", "--interface", "PJSIP/2001", "--skill", "sales=4"]) == 0
    assert main(["agent", "add", "2002", "--interface", "PJSIP/2001"]) == 1
    assert "interface_in_use" in cli.readouterr().err
    assert main(["agent", "add", "2003", "--interface", "PJSIP/2003", "--skill", "sales=9"]) == 2
    assert "--skill sales: Input should be less than or equal to 5" in cli.readouterr().err
    assert main(["agent", "add", "2004", "--interface", "PJSIP/2004", "--skill", "sales"]) == 2
    assert "expected name=level" in cli.readouterr().err
    assert main(["agent", "add", "2002", "--interface", "PJSIP/2002"]) == 0
    assert main(["agent", "set", "2002", "--interface", "PJSIP/2001"]) == 1
    assert "interface_in_use" in cli.readouterr().err
    assert main(["agent", "set", "2002", "--skill", "support=2", "--name", "Ana"]) == 0
    assert main(["agent", "set", "9999", "--name", "x"]) == 1
    assert "agent_not_found" in cli.readouterr().err
    assert main(["agent", "list"]) == 0
    agents = [json.loads(line) for line in cli.readouterr().out.splitlines()]
    assert [(a["agent"], a["interface"], a["skills"], a["name"]) for a in agents] == [
        ("2001", "PJSIP/2001", {"sales": 4}, ""),
        ("2002", "PJSIP/2002", {"support": 2}, "Ana"),
    ]


def test_queue_add_refuses_to_overwrite_without_replace(cli: pytest.CaptureFixture[str]) -> None:
    """``queue add`` on an existing queue is refused and changes nothing; ``queue set`` changes
    the given settings only (escalation kept); ``--replace`` replaces the whole queue."""
    steps = json.dumps([{"after": 30, "relax": {"sales": 1}}])
    assert (
        main(["queue", "add", "vendas", "--skill", "sales=2", "--wrap-up", "5",
              "--escalation", steps])
        == 0
    )  # fmt: skip
    assert main(["queue", "add", "vendas", "--skill", "sales=3"]) == 1
    err = cli.readouterr().err
    assert "queue_exists" in err and "--replace" in err
    vendas = _queues(cli)["vendas"]
    assert (vendas["skills"], vendas["wrap_up_seconds"]) == ({"sales": 2}, 5.0)

    assert main(["queue", "set", "vendas", "--wrap-up", "8"]) == 0
    vendas = _queues(cli)["vendas"]
    assert vendas["wrap_up_seconds"] == 8.0
    assert main(["queue", "set", "vendas", "--thresholds", '{"waiting": 4}']) == 0
    vendas = _queues(cli)["vendas"]
    assert vendas["thresholds"] == {"waiting": 4, "longest_wait": None, "service_level": None}
    assert main(["queue", "set", "vendas", "--thresholds", '{"waiting": 0}']) == 2
    assert "--thresholds" in cli.readouterr().err
    assert vendas["escalation"] == [
        {"after": 30.0, "relax": {"sales": 1}, "add_queue_agents": [], "add_skills": [],
         "overflow_to": None, "callback": False}
    ]  # fmt: skip

    assert main(["queue", "add", "vendas", "--replace", "--skill", "sales=3"]) == 0
    vendas = _queues(cli)["vendas"]
    assert (vendas["skills"], vendas["wrap_up_seconds"], vendas["escalation"]) == (
        {"sales": 3},
        0.0,
        [],
    )
    assert main(["queue", "add", "suporte", "--replace"]) == 0
    assert "queue suporte created" in cli.readouterr().out


def test_queue_values_are_checked_like_the_api(cli: pytest.CaptureFixture[str]) -> None:
    """Bad settings are refused with the option named; an overflow to an unknown queue is
    queue_config_invalid, as through the API; nothing is stored."""
    assert main(["queue", "add", "q1", "--strategy", "random"]) == 2
    assert "--strategy: Input should be 'longest_idle'" in cli.readouterr().err
    assert main(["queue", "add", "q1", "--ring-timeout", "0"]) == 2
    assert "--ring-timeout: Input should be greater than 0" in cli.readouterr().err
    steps = json.dumps([{"after": 10, "overflow_to": "nowhere"}])
    assert main(["queue", "add", "q1", "--escalation", steps]) == 2
    assert "queue_config_invalid" in cli.readouterr().err
    assert main(["queue", "set", "q1", "--weight", "2"]) == 1
    assert "queue_not_found" in cli.readouterr().err
    assert _queues(cli) == {}


def test_queue_disposition_codes(cli: pytest.CaptureFixture[str]) -> None:
    """``--disposition code=label`` sets the queue's codes (``set`` replaces them all); a pair
    without ``=`` and a code twice are refused."""
    assert main(["queue", "add", "vendas", "--disposition", "sale=Venda"]) == 0
    assert _queues(cli)["vendas"]["dispositions"] == [{"code": "sale", "label": "Venda"}]
    assert main(["queue", "set", "vendas", "--disposition", "no=Nao", "--disposition", "x=X"]) == 0
    assert [d["code"] for d in _queues(cli)["vendas"]["dispositions"]] == ["no", "x"]
    assert main(["queue", "set", "vendas", "--disposition", "sale"]) == 2
    assert main(["queue", "set", "vendas", "--disposition", "a=A", "--disposition", "a=B"]) != 0
    assert [d["code"] for d in _queues(cli)["vendas"]["dispositions"]] == ["no", "x"]
