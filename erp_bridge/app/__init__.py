"""Application services: one module per use case, called by the API and the agent desktop.

They check the request's shape, call the ERP port (or the outbox), and raise
:class:`~erp_bridge.domain.errors.ErpError` with stable codes (``customer_blocked``,
``credit_blocked``, ``product_unknown``, ...).
"""
