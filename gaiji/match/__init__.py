"""Pipeline stage: match."""
