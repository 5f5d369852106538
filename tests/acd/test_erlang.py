"""Erlang C against the workforce reference values."""

from __future__ import annotations

import pytest

from acd.domain import agents_for_service_level, erlang_c, staffing, with_shrinkage


def test_reference_staffing_100_calls_per_half_hour() -> None:
    """100 calls/30 min, AHT 180 s, 80/20: 14 agents, SL .888, occ .714, P(wait) .174, ASA 7.84."""
    result = agents_for_service_level(100, 1800, 180, 0.8, 20)
    assert result.agents == 14
    assert result.service_level == pytest.approx(0.888, abs=0.0005)
    assert result.occupancy == pytest.approx(0.714, abs=0.0005)
    assert result.probability_wait == pytest.approx(0.174, abs=0.0005)
    assert result.asa == pytest.approx(7.84, abs=0.005)
    assert with_shrinkage(result.agents, 0.30) == 20


def test_one_agent_fewer_misses_the_target() -> None:
    """13 agents give less than 80% in 20 s, so 14 is the minimum."""
    assert staffing(10.0, 13, 180, 20).service_level < 0.8


def test_erlang_c_edges() -> None:
    """No traffic never waits; traffic at or above capacity always waits; bad input is refused."""
    assert erlang_c(0.0, 3) == 0.0
    assert erlang_c(5.0, 5) == 1.0
    assert 0 < erlang_c(300.0, 320) < 1  # large numbers stay finite
    with pytest.raises(ValueError, match="agents must be positive"):
        erlang_c(1.0, 0)
    with pytest.raises(ValueError, match="target_level"):
        agents_for_service_level(100, 1800, 180, 1.5, 20)
