"""The standard operation types and payment terms every embedded ERP starts with."""

from __future__ import annotations

from erp_bridge.domain.entities import OperationType, PaymentTerms

SALE = "501"  # sale: creates receivables, moves stock
SERVICE = "502"  # service: creates receivables, no stock
BONUS = "503"  # free goods: moves stock, no receivables
CONSIGNMENT = "504"  # consignment out: neither


def standard_operations() -> list[OperationType]:
    """TES 501..504."""
    return [
        OperationType(SALE, "Venda de mercadoria", True, True),
        OperationType(SERVICE, "Prestacao de servico", True, False),
        OperationType(BONUS, "Bonificacao", False, True),
        OperationType(CONSIGNMENT, "Remessa sem cobranca", False, False),
    ]


def standard_terms() -> list[PaymentTerms]:
    """Cash, 30 days, 30/60/90 and 28/56."""
    return [
        PaymentTerms("001", "A vista", "0"),
        PaymentTerms("002", "30 dias", "30"),
        PaymentTerms("003", "30/60/90", "30,60,90"),
        PaymentTerms("004", "28/56", "28,56"),
    ]
