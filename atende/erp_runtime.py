"""The ERP the engine talks to, chosen by the settings: the embedded ERP on the engine's
database (default) or Protheus over REST. Built by the composition root and the CLI only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from atende.settings import Settings
from erp_bridge.embedded.adapter import EmbeddedErp
from erp_bridge.port import ErpPort
from erp_bridge.protheus.adapter import ProtheusErp
from erp_bridge.protheus.client import ProtheusClient, ProtheusConfig


@dataclass
class ErpRuntime:
    """The port, the embedded ERP when that is the adapter, and the Protheus client to close."""

    port: ErpPort
    embedded: EmbeddedErp | None = None
    client: ProtheusClient | None = None

    async def close(self) -> None:
        """Release the ERP's connections (the Protheus HTTP session)."""
        if self.client is not None:
            await self.client.close()


def build_erp(settings: Settings, engine: AsyncEngine) -> ErpRuntime:
    """``EmbeddedErp`` on ``engine`` or ``ProtheusErp`` as ``settings.erp_adapter`` says."""
    if settings.erp_adapter == "protheus":
        client = ProtheusClient(
            ProtheusConfig(
                settings.protheus_base_url,
                settings.protheus_tenant,
                settings.protheus_username,
                settings.protheus_password.get_secret_value(),
                auth=settings.protheus_auth,
            )
        )
        return ErpRuntime(ProtheusErp(client), client=client)
    embedded = EmbeddedErp(engine, timezone=settings.erp_timezone)
    return ErpRuntime(embedded, embedded=embedded)
