"""Test helpers that start real things beside the machine's own engine: a second engine, a registry
mirror on loopback, a learner account. Every one is a context manager that removes what it made."""
