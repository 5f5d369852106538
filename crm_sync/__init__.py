"""crm_sync package."""
