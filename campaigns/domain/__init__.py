"""The pure core of campaigns: no I/O, no clock (times are passed in)."""
