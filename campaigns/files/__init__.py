"""Adapters that read uploaded list files (CSV of any spreadsheet dialect, XLSX) as rows."""
