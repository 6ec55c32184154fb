"""The database edge: SQLite or PostgreSQL behind one store, migrations and the repositories."""
