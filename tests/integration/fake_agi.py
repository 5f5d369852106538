"""A FastAGI environment as Asterisk sends it, for a channel no Asterisk has."""

from __future__ import annotations

VENDAS = "1133330001"


def fake_environment(n: int) -> bytes:
    """A well-formed FastAGI environment for a channel no Asterisk has (``9999.<n>``)."""
    env = {
        "agi_network": "yes",
        "agi_network_script": "inbound",
        "agi_request": "agi://127.0.0.1/inbound",
        "agi_channel": f"Local/{VENDAS}@inbound-9999{n:04d};2",
        "agi_language": "en",
        "agi_type": "Local",
        "agi_uniqueid": f"9999.{n}",
        "agi_version": "22.11.0",
        "agi_callerid": f"55119000{n:05d}",
        "agi_calleridname": "Fake",
        "agi_context": "inbound",
        "agi_extension": VENDAS,
        "agi_priority": "4",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "1",
    }
    return "".join(f"{k}: {v}\n" for k, v in env.items()).encode() + b"\n"
