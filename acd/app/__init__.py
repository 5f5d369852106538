"""The ACD's use cases, one per module, shared by the HTTP API and the CLI."""
