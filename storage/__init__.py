"""SQLite edge: schema migrations and the repository."""
