"""The customer view for the screen-pop: assembled through the ERP port, cached, warmed by
the IVR, refreshed by the ERP's change feed and by this engine's outcomes."""
