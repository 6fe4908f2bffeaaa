"""A recording channel for the dispatcher: what it sent, and scripted platform answers."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from itertools import count

from bot.core import Reply, SendResult


@dataclass
class RecordingChannel:
    name: str = "console"
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    # chat id -> answers to give, in order, before answering ok
    script: dict[str, deque[SendResult]] = field(default_factory=dict)
    _ids: count[int] = field(default_factory=lambda: count(1000))

    def answer(self, chat_id: str, *results: SendResult) -> None:
        self.script.setdefault(chat_id, deque()).extend(results)

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        queued = self.script.get(chat_id)
        if queued:
            return queued.popleft()
        self.sent.append((chat_id, reply))
        return SendResult.ok(str(next(self._ids)))

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [r.text for c, r in self.sent if chat_id is None or c == chat_id]
