"""Settings: environment, TOML file, and clear errors for bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from atende.settings import AmiServer, SettingsError, load_settings, unknown_env_names
from tests.erp_api.conftest import closed_port


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no environment the engine uses SQLite and no Redis."""
    monkeypatch.delenv("ATENDE_CONFIG", raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite://")
    assert settings.redis_url is None


def test_ami_servers_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comma-separated list of ami:// URLs gives several Asterisk servers."""
    monkeypatch.setenv(
        "ATENDE_AMI_SERVERS", "ami://acd:s1@10.0.0.1:5038/pbx-a,ami://acd:s2@10.0.0.2/pbx-b"
    )
    servers = load_settings().ami_servers
    assert [(s.name, s.host, s.port) for s in servers] == [
        ("pbx-a", "10.0.0.1", 5038),
        ("pbx-b", "10.0.0.2", 5038),
    ]
    assert servers[1].secret.get_secret_value() == "s2"
    assert "s2" not in repr(servers[1])


def test_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """ATENDE_CONFIG names a TOML file; the environment wins over it."""
    path = tmp_path / "atende.toml"
    path.write_text('http_port = 9090\nlog_level = "debug"\n')
    monkeypatch.setenv("ATENDE_CONFIG", str(path))
    monkeypatch.setenv("ATENDE_LOG_LEVEL", "warning")
    settings = load_settings()
    assert settings.http_port == 9090
    assert settings.log_level == "warning"


def test_each_bad_value_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two bad values give one error that names both."""
    monkeypatch.setenv("ATENDE_HTTP_PORT", "99999")
    monkeypatch.setenv("ATENDE_DATABASE_URL", "mysql://x")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert "ATENDE_HTTP_PORT" in text
    assert "ATENDE_DATABASE_URL" in text


def test_missing_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A config path that does not exist is a clear error."""
    monkeypatch.setenv("ATENDE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="no such file"):
        load_settings()


def _run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ATENDE_")}
    return subprocess.run(
        [sys.executable, "-m", "atende.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_settings_are_named_without_traceback_or_secret(tmp_path: Path) -> None:
    """A wrong AMI url with a secret, bad JSON and a bad port: the command exits 2 and names
    each setting, prints no traceback, and the AMI secret is not in the output."""
    result = _run_cli(
        {
            "ATENDE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
            "ATENDE_AMI_SERVERS": "amx://atende:AmiS3cretXyZ@10.0.0.1:5038/pbx1",
            "ATENDE_IVR_DID_QUEUES": "{bad json",
            "ATENDE_HTTP_PORT": "eighty",
        },
        "db",
        "upgrade",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2
    for name in ("ATENDE_AMI_SERVERS", "ATENDE_IVR_DID_QUEUES", "ATENDE_HTTP_PORT"):
        assert name in result.stderr, name
    assert "AmiS3cretXyZ" not in output
    assert "amx://atende:***@10.0.0.1" in result.stderr  # the url shown, its secret masked
    assert "Traceback" not in output


def test_json_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON settings are read from the environment as before."""
    monkeypatch.setenv("ATENDE_IVR_DID_QUEUES", '{"1140040000": "sales"}')
    monkeypatch.setenv("ATENDE_ACD_VIP_CALLERS", '["5511999990001"]')
    settings = load_settings()
    assert settings.ivr_did_queues == {"1140040000": "sales"}
    assert settings.acd_vip_callers == ["5511999990001"]


def test_bad_toml_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A config file that is not TOML is a SettingsError naming ATENDE_CONFIG."""
    path = tmp_path / "atende.toml"
    path.write_text("http_port = = 1\n")
    monkeypatch.setenv("ATENDE_CONFIG", str(path))
    with pytest.raises(SettingsError, match="ATENDE_CONFIG"):
        load_settings()


def test_unknown_names_are_found_with_a_suggestion() -> None:
    """A misspelt ATENDE_ name is reported with the name it likely meant; the names the CLI
    and the tests read are not reported."""
    env = {
        "ATENDE_HTTP_PROT": "8081",
        "ATENDE_HTTP_PORT": "8080",
        "ATENDE_PASSWORD": "x",
        "ATENDE_CONFIG": "x",
        "ATENDE_TEST_PG_URL": "x",
        "HOME": "/root",
    }
    assert unknown_env_names(env) == ["ATENDE_HTTP_PROT (did you mean ATENDE_HTTP_PORT?)"]


async def test_engine_warns_of_unknown_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The engine, starting, logs a warning naming each unknown ATENDE_ variable."""
    from structlog.testing import capture_logs

    from atende.wiring import Engine

    monkeypatch.setenv("ATENDE_ACD_TICK_INTERVALL", "1")
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'e.db'}",
        http_port=0,
        agi_port=0,
        ami_servers=[AmiServer(port=closed_port())],
    )
    engine = Engine(settings)
    with capture_logs() as logs:
        try:
            await engine.start()
        finally:
            await engine.stop()
    warned = [e["name"] for e in logs if e["event"] == "unknown_setting"]
    assert warned == ["ATENDE_ACD_TICK_INTERVALL (did you mean ATENDE_ACD_TICK_INTERVAL?)"]


def test_agi_allowed_defaults_to_the_ami_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """FastAGI peers: by default the AMI servers' hosts, with both loopback addresses when one
    of them is loopback; ATENDE_AGI_ALLOWED (comma-separated or JSON) replaces them; an entry
    that is no address, network or host name is refused by name."""
    monkeypatch.delenv("ATENDE_CONFIG", raising=False)
    monkeypatch.delenv("ATENDE_AGI_ALLOWED", raising=False)
    monkeypatch.setenv("ATENDE_AMI_SERVERS", "ami://a:s@127.0.0.1:5038/pbx1")
    assert load_settings().agi_allowed_peers == ["127.0.0.1", "::1"]
    monkeypatch.setenv(
        "ATENDE_AMI_SERVERS", "ami://a:s@10.0.0.5:5038/pbx1,ami://a:s@pbx2.example:5038/pbx2"
    )
    assert load_settings().agi_allowed_peers == ["10.0.0.5", "pbx2.example"]
    monkeypatch.setenv("ATENDE_AGI_ALLOWED", "10.0.0.0/24, pbx3.example")
    assert load_settings().agi_allowed_peers == ["10.0.0.0/24", "pbx3.example"]
    monkeypatch.setenv("ATENDE_AGI_ALLOWED", '["192.0.2.7"]')
    assert load_settings().agi_allowed_peers == ["192.0.2.7"]
    monkeypatch.setenv("ATENDE_AGI_ALLOWED", "10.0.0.1,not a host!")
    with pytest.raises(SettingsError, match="ATENDE_AGI_ALLOWED"):
        load_settings()
