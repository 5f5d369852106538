"""Exactly-once delivery of call outcomes (sales order, promise, service ticket) to the ERP."""
