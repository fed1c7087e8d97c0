"""Persistence: SQLAlchemy 2 models, the async database handle and Alembic migrations.

Imports none of bot/, dialogs/ or adapters/.
"""
