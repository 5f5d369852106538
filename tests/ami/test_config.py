"""AMI server addresses from ``ami://`` urls: a bad url never shows its secret."""

from __future__ import annotations

import pytest

from atende.settings import SettingsError, load_settings
from telephony.ami import AmiServer


def test_url_parts() -> None:
    """user, secret, host, port and name come from the url; the name defaults to the host."""
    server = AmiServer.from_url("ami://atende:S3cret@pbx-host:5039/pbx2")
    assert (server.name, server.host, server.port, server.username) == (
        "pbx2",
        "pbx-host",
        5039,
        "atende",
    )
    assert server.secret.get_secret_value() == "S3cret"
    assert AmiServer.from_url("ami://u:p@10.0.0.5").name == "10.0.0.5"


def test_a_wrong_url_is_reported_with_its_secret_masked() -> None:
    """``amx://atende:AmiS3cretXyZ@...`` is refused naming the url, with the secret masked,
    also through the settings (ATENDE_AMI_SERVERS)."""
    url = "amx://atende:AmiS3cretXyZ@pbx:5038/pbx1"
    with pytest.raises(ValueError) as info:
        AmiServer.from_url(url)
    assert "AmiS3cretXyZ" not in str(info.value)
    assert "amx://atende:***@pbx:5038/pbx1" in str(info.value)
    with pytest.raises(SettingsError) as error:
        load_settings(ami_servers=f"ami://a:b@pbx1:5038/x,{url}")
    assert "AmiS3cretXyZ" not in str(error.value)
    assert "ATENDE_AMI_SERVERS" in str(error.value)
