"""Pipeline stage: review."""
