"""The site's credit parameters on the embedded ERP: one sheet to read, changes by an admin
with a change log (who, when, old, new). The rules read them at the start of every write."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC

from erp_bridge.domain import entities as e
from erp_bridge.domain.errors import ErpError
from erp_bridge.domain.parameters import SPECS, current, normalize
from erp_bridge.embedded.store import C, ErpStore, as_utc, log


@dataclass(frozen=True)
class ParameterLine:
    """A parameter as the admin sees it: its current setting, whether the site set it, the
    default, what it means."""

    name: str
    current: str
    kind: str
    default: str
    stored: bool
    meaning: str


@dataclass(frozen=True)
class ParameterSheet:
    """Every parameter of a site and its latest changes (newest first)."""

    site: str
    parameters: tuple[ParameterLine, ...]
    changes: tuple[e.ParameterChange, ...]


class SettingsDesk(ErpStore):
    """Parameters of :class:`~erp_bridge.embedded.adapter.EmbeddedErp`."""

    async def parameters(self, *, changes: int = 50) -> ParameterSheet:
        """The site's parameters and its last ``changes`` changes."""
        async with self.read() as uow:
            stored = await uow.load(e.Parameter, C[e.Parameter].site == self._site)
            log_rows = await uow.load(e.ParameterChange, C[e.ParameterChange].site == self._site)
        values = {p.name: p.value for p in stored}
        now = current(self._policy, values)
        base = current(self._policy, {})
        for change in log_rows:
            change.at = as_utc(change.at).astimezone(UTC)
        return ParameterSheet(
            self._site,
            tuple(
                ParameterLine(
                    s.name, now[s.name], s.kind, base[s.name], s.name in values, s.meaning
                )
                for s in SPECS
            ),
            tuple(sorted(log_rows, key=lambda c: c.id, reverse=True)[:changes]),
        )

    async def set_parameters(
        self, values: Mapping[str, str], *, by: str
    ) -> list[e.ParameterChange]:
        """Change some parameters (all checked first; nothing written on error); each real
        change is logged. Answers the changes made (empty when every value was already so)."""
        if not values:
            raise ErpError("parameters_empty", "say which parameters to change")
        clean = {name: normalize(name, str(value)) for name, value in values.items()}
        async with self.write() as uow:
            stored = {
                p.name: p
                for p in await uow.load(e.Parameter, C[e.Parameter].site == self._site, lock=True)
            }
            before = current(self._policy, {n: p.value for n, p in stored.items()})
            made = []
            for name, value in sorted(clean.items()):
                if before[name] == value:
                    continue
                if name in stored:
                    stored[name].value = value
                else:
                    uow.books.add(e.Parameter(self._site, name, value))
                made.append(
                    uow.books.add(
                        e.ParameterChange(
                            f"{time.time_ns():020d}-{uow.books.new_id()[:8]}",
                            self._site,
                            name,
                            before[name],
                            value,
                            by,
                            self._clock(),
                        )
                    )
                )
                log.info("erp_parameter_changed", site=self._site, name=name, by=by)
            return made
