"""The database round trips one message costs: the budget the Telegram benchmark relies on.

A partner's everyday messages are one transaction each with a fixed, small number of
statements (see docs/bench/telegram.md): the update-id dedupe insert, one UPDATE … RETURNING
that loads the partner and stamps last_active_at, and for /progress one query for everything
it shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.storage.db import Database
from tests.fixtures.chat import Chat


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def test_help_and_progress_cost_few_round_trips(chat: Chat, database: Database) -> None:
    await chat.onboard(name="Sari", ratings=4)

    with statements(database) as seen:
        await chat.send("/help")
    assert seen == ["INSERT", "UPDATE"]  # dedupe, partner loaded and stamped

    with statements(database) as seen:
        await chat.send("/progress")
    assert seen == ["INSERT", "UPDATE", "SELECT"]  # … and one query for the whole overview
    assert "4.0" in chat.text  # the readiness from the before self-assessment is still shown


async def test_a_redelivered_update_costs_one_statement(chat: Chat, database: Database) -> None:
    await chat.onboard()
    replies = await chat.press_payload("m:home", update_id="same")
    assert replies
    with statements(database) as seen:
        assert await chat.press_payload("m:home", update_id="same") == []
    assert seen == ["INSERT"]
