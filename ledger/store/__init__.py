"""Storage of the log and its projections (SQLModel/SQLAlchemy; SQLite or PostgreSQL).

Everything database-related lives under ``ledger.store``; the modules directly in ``ledger``
and ``ledger.domain`` stay free of it so the offline verifier needs nothing but the core.
"""
