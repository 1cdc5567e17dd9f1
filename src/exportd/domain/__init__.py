"""Pure rules and types: no I/O here."""
