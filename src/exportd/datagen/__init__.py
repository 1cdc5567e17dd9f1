"""Deterministic synthetic organizations: `seed_organization(database, SeedSpec(seed=…))`."""
