"""Database: declarative base, portable types, engine and session factory, the one transaction(), migrations."""
