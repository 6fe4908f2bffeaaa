"""`coachbot run`, except that the process kills itself (SIGKILL) right after the transaction
of a message whose text is $COACHBOT_TEST_DIE_AFTER_COMMIT committed, before any reply to it
is sent: the deterministic kill -9 after the commit.

    python -m tests.reliability.dying_bot run
"""

from __future__ import annotations

import os
import signal

from bot.app import CoachBot
from bot.cli import main
from bot.core import Inbound, Reply

_handle = CoachBot.handle


async def _dies_after_commit(self: CoachBot, msg: Inbound) -> list[Reply]:
    replies = await _handle(self, msg)  # committed: the state change and its reply rows
    if msg.text == os.environ.get("COACHBOT_TEST_DIE_AFTER_COMMIT"):
        os.kill(os.getpid(), signal.SIGKILL)
    return replies


CoachBot.handle = _dies_after_commit  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
