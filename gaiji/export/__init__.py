"""Pipeline stage: export."""
