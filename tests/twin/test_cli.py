"""``atende twin`` as a program: a taken AMI port is a clear error, not a traceback."""

from __future__ import annotations

import socket

from telephony.twin.cli import run_twin, twin_config


async def test_taken_ami_port_exits_with_2() -> None:
    """Another program on the AMI port: the twin logs why and exits with 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = twin_config(taken.getsockname()[1], {"atende": "x"}, ("127.0.0.1", 4573))
        assert await run_twin(config) == 2


def test_twin_config_takes_the_products_feature_codes() -> None:
    """``atende twin`` runs with the atxfer code of asterisk-conf/features.conf, as the
    product's Asterisk does (else the engine's attended transfers are refused)."""
    config = twin_config(0, {"atende": "x"}, ("127.0.0.1", 4573))
    assert config.features == {"atxfer": "*2"}
