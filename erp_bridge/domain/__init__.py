"""Pure Faturamento core: customers, stock, sales orders, releases, invoices, collection.

No I/O and no clock: every operation takes the :class:`~erp_bridge.domain.books.Books` it works
on and today's date.
"""
