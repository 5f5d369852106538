"""Atende: settings, CLI, wiring (the composition root) and the web app."""
