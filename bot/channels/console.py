"""The terminal chat: the embedded default channel, interactive or scripted from stdin."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from bot.channels.delivery import Delivery
from bot.channels.markdown import spans
from bot.config import Settings
from bot.core import Button, Inbound, Reply, SendResult
from bot.runtime import background_services, build_app
from bot.storage.faults import StorageUnavailable
from bot.storage.repos import Repos
from handlers.coaches.roles import enroll_console_coach

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
VAR = Path("var")  # where the console puts the documents a reply carries
_STYLE = {(False, False): "", (True, False): "bold", (False, True): "italic",
          (True, True): "bold italic"}  # by (bold, italic)


def to_rich(markdown: str) -> Text:
    """Renders our Markdown subset (*bold*, _italic_) for the terminal.

    Built from spans, never parsed as rich markup: whatever a partner typed (`[b]`, `:x:`)
    is shown as typed, as on Telegram.
    """
    text = Text()
    for span in spans(markdown):
        text.append(span.text, style=_STYLE[span.bold, span.italic])
    return text


class ConsoleChannel:
    """Prints replies with numbered buttons; `N` or `#N` presses button N."""

    name = "console"

    def __init__(self, user: str, *, out: TextIO | None = None, scripted: bool = False,
                 display_name: str | None = None):
        self.user = user
        self.display_name = display_name
        self.scripted = scripted
        self.console = Console(file=out or sys.stdout, highlight=False,
                               force_terminal=False if scripted else None,
                               width=100 if scripted else None)
        self.buttons: list[Button] = []
        self._ids = count(1)
        self._answers = Delivery(_Answers(self))

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.show(reply, proactive=True)
        return SendResult.ok(str(next(self._ids)))

    def show(self, reply: Reply, proactive: bool = False) -> None:
        body = to_rich(reply.text)
        if reply.image:
            body.append(f"\n[image: {reply.image}]")
        title = "coachbot 🔔" if proactive else "coachbot"
        if self.scripted:
            self.console.print(f"--- {title}")
            self.console.print(body)
        else:
            self.console.print(Panel(body, title=title, title_align="left", border_style="cyan"))
        for f in reply.files:  # a terminal has no attachments: the file goes to var/
            path = VAR / Path(f.name).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f.data)
            self.console.print(Text(f"[file saved: {path}]", style="bold"))
        if reply.buttons:
            start = len(self.buttons)
            labels = []
            for i, b in enumerate(reply.flat_buttons, start=start + 1):
                self.buttons.append(b)
                labels.append(f"[{i}] {b.label}")
            self.console.print(Text("   ".join(labels), style="bold green"))

    def parse(self, line: str, update_no: int) -> Inbound | None:
        """Turns a typed line into an Inbound: a button number, or text/commands."""
        stripped = line.strip()
        number = stripped[1:] if stripped.startswith("#") else stripped
        if number.isdigit() and self.buttons and (stripped.startswith("#") or len(number) <= 2):
            idx = int(number) - 1
            if 0 <= idx < len(self.buttons):
                return Inbound.button(self.name, self.user, self.buttons[idx].payload,
                                      display_name=self.display_name)
            if stripped.startswith("#"):
                self.console.print(Text(f"(no button {number})", style="yellow"))
                return None
        return Inbound.from_text(self.name, self.user, line.rstrip("\n"),
                                 display_name=self.display_name)

    async def run(self, handle: Handle, lines: TextIO | None = None) -> None:
        """Reads partner messages until end of input or /quit."""
        source = lines or sys.stdin
        n = 0
        if not self.scripted:
            self.console.print(Text("Type a message, a button number, or /quit to leave.",
                                    style="dim"))
        while True:
            if self.scripted:
                line = await asyncio.to_thread(source.readline)
                if not line:
                    break
                self.console.print(Text(f">>> {line.rstrip()}", style="bold"))
            else:
                try:
                    line = await asyncio.to_thread(self.console.input, "[bold]you › [/bold]")
                except (EOFError, KeyboardInterrupt):
                    break
            if line.strip() in ("/quit", "/exit"):
                break
            n += 1
            msg = self.parse(line, n)
            if msg is None:
                continue
            try:
                replies = await handle(msg)
            except StorageUnavailable:  # nothing was processed: the user may send it again
                self.console.print(Text("(the database is unavailable; please send that "
                                        "again in a moment)", style="dim"))
                continue
            self.buttons = []
            await self._answers.deliver(msg, replies)


class _Answers:
    """The console as delivery sees it while its user waits for the answer: replies are
    shown without the bell of a message the bot sends on its own (`ConsoleChannel.send`)."""

    name = ConsoleChannel.name

    def __init__(self, console: ConsoleChannel):
        self.console = console

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        self.console.show(reply)  # one terminal: every answer is shown in it
        return SendResult.ok()


async def serve(settings: Settings, user: str = "demo", name: str | None = None,
                coach: bool = False) -> None:
    """Chats in the terminal until its input ends (`coachbot chat`, and `coachbot run` when no
    network channel is configured); piped stdin is a script, one message per line."""
    app = await build_app(settings)
    if coach:  # the coaches' chat on the console: tickets arrive here
        async with app.db.transaction() as session:
            await enroll_console_coach(Repos(session), user=user, name=name,
                                       pack_id=settings.default_pack,
                                       language=settings.coach_language, now=app.clock.now())
    channel = ConsoleChannel(user, scripted=not sys.stdin.isatty(), display_name=name)
    try:
        async with background_services(app, {channel.name: channel}):
            await channel.run(app.handle)
    finally:
        await app.db.dispose()
