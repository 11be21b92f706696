"""Alembic migrations of the online stores (run by ``matcher.online.migrate``)."""
