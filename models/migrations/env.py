"""Alembic environment: runs against the engine models.db hands over."""

from alembic import context

import models
from models.db import make_engine

config = context.config
target_metadata = models.Base.metadata


def run_migrations() -> None:
    """Migrate over the engine given in the config's attributes (or the URL option)."""
    engine = config.attributes.get("engine") or make_engine(
        config.get_main_option("sqlalchemy.url") or ""
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
