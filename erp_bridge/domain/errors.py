"""Errors with stable codes the agent desktop and the API show (``customer_blocked``, ...)."""

from __future__ import annotations


class ErpError(Exception):
    """A business rule refused the request; ``code`` is stable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TaxIdError(ErpError):
    """A CPF or CNPJ is malformed or its check digits do not match."""

    def __init__(self, message: str) -> None:
        super().__init__("tax_id_invalid", message)


def not_found(what: str, key: object) -> ErpError:
    """``<what>_unknown`` error, e.g. ``product_unknown``."""
    return ErpError(f"{what}_unknown", f"no {what.replace('_', ' ')} {key}")
