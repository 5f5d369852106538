"""Settings from ``ATENDE_*`` environment variables and an optional TOML file.

Validated once at start; every bad value is reported with its name and the reason, never with
a secret (passwords in URLs are masked) and never with a traceback. ``ATENDE_*`` names the
engine does not know are listed by :func:`unknown_env_names` (the engine warns of them).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from telephony.ami.config import AmiServer

__all__ = [
    "AmiServer",
    "Settings",
    "SettingsError",
    "load_settings",
    "mask_url",
    "unknown_env_names",
]

# ATENDE_* names read by the engine outside Settings (the CLI, the test suite)
OTHER_ENV_NAMES = frozenset({"ATENDE_CONFIG", "ATENDE_PASSWORD"})
OTHER_ENV_PREFIXES = ("ATENDE_TEST_",)
_URL_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^@\s]*@")


def mask_url(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` URL in it masked."""
    return _URL_PASSWORD.sub(r"\1***@", text)


class SettingsError(Exception):
    """Raised when the settings cannot be loaded; the message lists each bad value."""


_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _config_file() -> Path | None:
    raw = os.environ.get("ATENDE_CONFIG")
    return Path(raw) if raw else None


class Settings(BaseSettings):
    """Everything the engine reads at start."""

    # strings are decoded by the validators below, so a bad one is named like any other
    model_config = SettingsConfigDict(env_prefix="ATENDE_", extra="forbid", enable_decoding=False)

    database_url: str = "sqlite+aiosqlite:///./var/atende.db"
    redis_url: str | None = None
    ami_servers: list[AmiServer] = Field(default_factory=lambda: [AmiServer()])
    ami_action_timeout: float = Field(10.0, gt=0)
    ami_reconnect_max_delay: float = Field(30.0, gt=0)
    agi_host: str = "127.0.0.1"
    agi_port: int = Field(4573, ge=0, le=65535)
    agi_command_timeout: float = Field(30.0, gt=0)
    #: addresses, networks or host names that may open FastAGI sessions; empty: the hosts of
    #: ``ami_servers`` (with the loopback addresses when one of them is loopback)
    agi_allowed: list[str] = Field(default_factory=list)
    #: seconds a FastAGI session waits for AMI to show its channel before it is refused
    agi_channel_wait: float = Field(5.0, gt=0)
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    twin_ami_port: int = Field(5038, ge=0, le=65535)
    twin_seed: int = 1
    erp_adapter: Literal["embedded", "protheus"] = "embedded"
    erp_timezone: str = "America/Sao_Paulo"
    #: the contact center's time zone: "today" of the live statistics and the reports' days
    site_timezone: str = "America/Sao_Paulo"
    erp_demo_customers: int = Field(300, ge=1)
    protheus_base_url: str = ""
    protheus_tenant: str = "01,0101"
    protheus_username: str = ""
    protheus_password: SecretStr = SecretStr("")
    protheus_auth: Literal["basic", "oauth2"] = "basic"
    redis_key_prefix: str = "atende:"
    crm_view_ttl: float = Field(300.0, ge=1)
    acd_tick_interval: float = Field(0.5, gt=0)
    acd_no_answer_pause: float = Field(30.0, ge=0)
    acd_vip_callers: list[str] = Field(default_factory=list)
    acd_login_on_start: bool = False
    acd_engine_id: str = Field("main", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    acd_lease_ttl: float = Field(6.0, gt=0)
    acd_max_backlog: float = Field(5.0, gt=0)
    acd_max_calls: int = Field(0, ge=0)
    ivr_did_queues: dict[str, str] = Field(default_factory=dict)
    #: the sound file asking callers of the default menu for a CPF/CNPJ (none: not asked)
    ivr_tax_id_prompt: str | None = Field(None, pattern=r"^[A-Za-z0-9_/-]+$")
    dialer_channel: str = Field("PJSIP/{number}@trunk", pattern=r"\{number\}")
    dialer_max_lines: int = Field(60, ge=1)
    dialer_tick_interval: float = Field(0.5, gt=0)
    login_token_hours: float = Field(12.0, gt=0, le=24 * 30)
    cli_token_days: int = Field(30, ge=0, le=3650)
    login_free_attempts_per_user: int = Field(5, ge=1)
    login_free_attempts_per_address: int = Field(50, ge=1)
    login_max_delay: float = Field(300.0, gt=0)
    password_workers: int = Field(2, ge=1, le=64)
    #: ``minimal`` only for test suites: hashes made with it cost nothing to guess
    password_hash_cost: Literal["standard", "minimal"] = "standard"
    http_trusted_proxies: list[str] = Field(default_factory=list)
    #: one ``http_request`` log event per HTTP request
    http_access_log: bool = True

    @field_validator("acd_vip_callers", "ivr_did_queues", "http_trusted_proxies", mode="before")
    @classmethod
    def _decode_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ValueError(f"not valid JSON ({exc})") from None
        return value

    @field_validator("agi_allowed", mode="before")
    @classmethod
    def _parse_agi_allowed(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    return json.loads(text)
                except ValueError as exc:
                    raise ValueError(f"not valid JSON ({exc})") from None
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("agi_allowed")
    @classmethod
    def _check_agi_allowed(cls, value: list[str]) -> list[str]:
        for entry in value:
            if not _is_network(entry) and not _HOST_NAME.fullmatch(entry):
                raise ValueError(f"{entry!r} is not an address, a network or a host name")
        return value

    @property
    def agi_allowed_peers(self) -> list[str]:
        """Who may open FastAGI sessions: ``agi_allowed``, else the AMI servers' hosts (and
        127.0.0.1 and ::1 when one of them is loopback)."""
        if self.agi_allowed:
            return list(self.agi_allowed)
        hosts = list(dict.fromkeys(server.host for server in self.ami_servers))
        if any(_is_loopback(host) for host in hosts):
            hosts += [h for h in ("127.0.0.1", "::1") if h not in hosts]
        return hosts

    @field_validator("ami_servers", mode="before")
    @classmethod
    def _parse_ami_servers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [AmiServer.from_url(u.strip()) for u in value.split(",") if u.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("erp_timezone", "site_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(f"unknown time zone {value!r} (e.g. America/Sao_Paulo)") from None
        return value

    @model_validator(mode="after")
    def _check_protheus(self) -> Settings:
        if self.erp_adapter == "protheus" and not self.protheus_base_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError("erp_adapter protheus needs protheus_base_url (http(s)://host/rest)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Load and validate the settings, or raise :class:`SettingsError` naming each bad value."""
    path = _config_file()
    if path is not None and not path.is_file():
        raise SettingsError(f"ATENDE_CONFIG: no such file: {path}")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            lines.append(f"  ATENDE_{where.upper()}: {mask_url(err['msg'])}")
        raise SettingsError("invalid settings:\n" + "\n".join(lines)) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"ATENDE_CONFIG: {path} is not valid TOML: {exc}") from None
    except SourceError as exc:
        raise SettingsError(f"invalid settings: {mask_url(str(exc))}") from None


def unknown_env_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """``ATENDE_*`` variables the engine does not read, each with a likely meant name."""
    env = os.environ if environ is None else environ
    known = {f"ATENDE_{name.upper()}" for name in Settings.model_fields} | OTHER_ENV_NAMES
    found = []
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith("ATENDE_") or upper in known:
            continue
        if upper.startswith(OTHER_ENV_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1)
        found.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return found
