"""Alembic environment: runs on the connection handed over by ``storage.session.upgrade``.

FTS5 tables and their shadow tables (report_fts, report_bigram) are hidden from autogenerate, which would
otherwise propose dropping them.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

from storage.models import Base

config = context.config


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(("report_fts", "report_bigram")))


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` CLI use: build an engine from sqlalchemy.url
        engine = engine_from_config(config.get_section(config.config_ini_section) or {},
                                    prefix="sqlalchemy.", poolclass=pool.NullPool)
        with engine.connect() as conn:
            _configure_and_run(conn)
    else:
        _configure_and_run(connection)


def _configure_and_run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, include_name=include_name,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
