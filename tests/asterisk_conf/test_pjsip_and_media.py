"""pjsip.conf, http.conf, rtp.conf, musiconhold.conf, read with pyst2."""

from __future__ import annotations

from typing import Any

WEBRTC_EQUIVALENT = {
    "use_avpf": "yes",
    "media_encryption": "dtls",
    "ice_support": "yes",
    "rtcp_mux": "yes",
}


def _agents(pjsip: Any) -> list[Any]:
    return [s for s in pjsip.objects(type_="endpoint") if s.get("context") == "agents"]


def test_agent_phones_are_webrtc_ready(conf: Any) -> None:
    """Each agent endpoint (from the template) is WebRTC: webrtc=yes or its settings, on wss."""
    pjsip = conf("pjsip.conf")
    agents = _agents(pjsip)
    assert {a.name for a in agents} >= {"2001", "2002"}
    for agent in agents:
        assert "agent-webrtc" in agent.templates
        webrtc = agent.get("webrtc") == "yes"
        equivalent = all(agent.get(k) == v for k, v in WEBRTC_EQUIVALENT.items())
        assert webrtc or equivalent, agent.name
        assert agent.get("dtls_auto_generate_cert") == "yes" or agent.get("dtls_cert_file")
        transport = pjsip.one(agent.get("transport"), "transport")
        assert transport.get("protocol") == "wss"


def test_agent_codecs_opus_then_ulaw(conf: Any) -> None:
    """Codecs are reset with disallow=all, then opus and ulaw are allowed."""
    for agent in _agents(conf("pjsip.conf")):
        codecs = [(k, v) for k, v in agent.items if k in ("disallow", "allow")]
        assert codecs[0] == ("disallow", "all")
        allowed = [c for k, v in codecs[1:] for c in v.split(",")]
        assert allowed[:2] == ["opus", "ulaw"], agent.name


def test_each_agent_has_auth_and_aor(conf: Any) -> None:
    """The endpoint's auth and aors name existing objects; one registered device each."""
    pjsip = conf("pjsip.conf")
    for agent in _agents(pjsip):
        auth = pjsip.one(agent.get("auth"), "auth")
        assert auth.get("username") == agent.name and auth.get("password")
        aor = pjsip.one(agent.get("aors"), "aor")
        assert aor.get("max_contacts") == "1"


def test_trunk_lands_in_inbound_and_can_register(conf: Any) -> None:
    """The carrier's endpoint sends calls to [inbound]; auth, aor, identify, registration."""
    pjsip = conf("pjsip.conf")
    trunk = pjsip.one("trunk", "endpoint")
    assert trunk.get("context") == "inbound"
    assert pjsip.one(trunk.get("outbound_auth"), "auth").get("username")
    assert pjsip.one(trunk.get("aors"), "aor").get("contact").startswith("sip:")
    (identify,) = pjsip.objects(type_="identify")
    assert identify.get("endpoint") == "trunk" and identify.get("match")
    (registration,) = pjsip.objects(type_="registration")
    assert registration.get("outbound_auth") == trunk.get("outbound_auth")


def test_no_real_secret_is_shipped(conf: Any) -> None:
    """Every password and secret in the shipped files is the CHANGE_ME placeholder."""
    for name, key in (("pjsip.conf", "password"), ("manager.conf", "secret")):
        values = [v for s in conf(name).sections for k, v in s.items if k == key]
        assert values and set(values) == {"CHANGE_ME"}, name


def test_websocket_listener_for_wss(conf: Any) -> None:
    """Browser phones reach the wss transport through http.conf's TLS listener."""
    general = conf("http.conf").one("general")
    assert general.get("enabled") == "yes" and general.get("tlsenable") == "yes"
    assert general.get("tlsbindaddr").endswith(":8089")
    assert general.get("tlscertfile") and general.get("tlsprivatekey")
    assert conf("rtp.conf").one("general").get("icesupport") == "yes"


def test_music_on_hold_default_class(conf: Any) -> None:
    """The ``default`` class the dialplan uses plays files from a directory."""
    default = conf("musiconhold.conf").one("default")
    assert default.get("mode") == "files" and default.get("directory")
