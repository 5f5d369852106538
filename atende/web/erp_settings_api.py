"""The site's ERP parameters (Protheus ``MV_`` credit parameters): read by supervisors and
admins in one place, changed by an admin only, each change logged (who, when, old, new)."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from atende.auth import Role
from atende.web.erp_support import body_of, erp, erp_errors, parse, reply
from atende.web.security import allow, principal
from erp_bridge.domain.errors import ErpError
from erp_bridge.embedded.adapter import EmbeddedErp


class ParametersBody(BaseModel):
    """``{"values": {"MV_RISCOC": "20", "MV_BLOQUEI": false, ...}}``: the parameters to
    change (text as Protheus keeps it, or a JSON number or boolean)."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, StrictBool | StrictStr | int | Decimal] = Field(min_length=1, max_length=50)

    def as_text(self) -> dict[str, str]:
        """Each value as text (``true`` / ``false`` as ``T`` / ``F``)."""
        return {
            name: ("T" if value else "F") if isinstance(value, bool) else str(value)
            for name, value in self.values.items()
        }


def _embedded(request: web.Request) -> EmbeddedErp:
    found = erp(request).embedded
    if found is None:
        raise ErpError("not_supported", "parameters are kept in Protheus (SX6)")
    return found


@allow(Role.SUPERVISOR)
@erp_errors
async def get_parameters(request: web.Request) -> web.Response:
    """The site's credit parameters (value, default, whether the site set it, meaning) and
    their latest changes with who made them and when."""
    return reply(await _embedded(request).parameters())


@allow()
@erp_errors
async def change_parameters(request: web.Request) -> web.Response:
    """Change some credit parameters (admin only); all are checked before any is written
    (``parameter_unknown`` 404, ``parameter_invalid`` 422); the next analysis uses them.
    Answers the changes made and the sheet."""
    body = parse(ParametersBody, await body_of(request))
    ctx = _embedded(request)
    made = await ctx.set_parameters(body.as_text(), by=principal(request).username)
    return reply({"changes": made, "sheet": await ctx.parameters()})
