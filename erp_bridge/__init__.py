"""erp_bridge package."""
