"""Alembic migrations; ``phalanx db upgrade`` and app start-up apply them."""
