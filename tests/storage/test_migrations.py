"""Migrations: every revision upgrades and downgrades, and the head matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.base import Base
from bot.storage.db import Database, alembic_config
from handlers.registry import load_models

load_models()


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def test_stairway_every_revision_goes_up_down_and_up_again(database: Database) -> None:
    await database.downgrade("base")
    previous = "base"
    for rev in _revisions():
        await database.migrate(rev)
        await database.downgrade(previous)
        await database.migrate(rev)
        previous = rev


async def test_head_schema_matches_the_models(database: Database) -> None:
    def diff(sync_conn: object) -> list[object]:
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(ctx, Base.metadata))

    async with database.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []
