"""The class board: its store (SQLAlchemy Core) and its figures."""
