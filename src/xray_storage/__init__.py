"""Storage adapters of Teddy X-Ray: SQLModel (SQLite, PostgreSQL), filesystem, in-memory."""
