"""The dialer runtime: a pure core (which lead next, how many lines, what a result means)
and its adapters (AMI originate, the ACD hand-off, SQL)."""
