"""Storage: SQLAlchemy models, repositories and the database handle."""
