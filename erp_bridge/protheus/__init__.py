"""The Protheus REST adapter: the ERP port over TOTVS Protheus REST (aiohttp)."""
