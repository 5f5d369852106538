"""Random sequences of ERP operations (hypothesis strategies) shared by the property tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import strategies as st

from erp_bridge.domain.orders import OrderLine


@dataclass(frozen=True)
class Step:
    """One operation: ``kind`` with its arguments (indexes wrap around what exists)."""

    kind: str
    store: str = "01"
    lines: tuple[OrderLine, ...] = ()
    pick: int = 0
    amount: Decimal = Decimal(0)


_line = st.builds(
    OrderLine,
    product=st.sampled_from(["P1", "P2", "P3"]),
    quantity=st.integers(1, 8).map(Decimal),
    operation=st.sampled_from(["501", "501", "502", "503"]),
)

steps = st.one_of(
    st.builds(
        Step,
        kind=st.just("order"),
        store=st.sampled_from(["01", "02"]),
        lines=st.lists(_line, min_size=1, max_size=3).map(tuple),
    ),
    st.builds(
        Step,
        kind=st.sampled_from(
            ["credit", "stock", "reject", "invoice", "receive", "reverse", "hold"]
        ),
        pick=st.integers(0, 20),
    ),
    st.builds(
        Step,
        kind=st.just("pay"),
        pick=st.integers(0, 20),
        amount=st.integers(1, 9000).map(lambda c: Decimal(c) / 100),
    ),
    st.builds(
        Step,
        kind=st.just("customer"),
        store=st.sampled_from(["01", "02"]),
        amount=st.integers(0, 3000).map(Decimal),
    ),
)
