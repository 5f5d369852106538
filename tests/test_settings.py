"""Settings: environment, TOML file, and clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from atende.settings import SettingsError, load_settings


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
