"""The Asterisk twin: a separate program that behaves like Asterisk for the engine."""
