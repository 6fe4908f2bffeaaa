"""The terminal chat: the embedded default channel, interactive or scripted from stdin."""

from __future__ import annotations

import asyncio
import mimetypes
import re
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
from bot.core import Attachment, Button, Inbound, Reply, SendResult
from bot.runtime import background_services, build_app
from bot.storage.faults import StorageUnavailable
from bot.storage.repos import Repos
from handlers.coaches.roles import enroll_console_coach

Handle = Callable[[Inbound], Awaitable[list[Reply]]]
# where the files the bot sends (certificates) land on the console
FILES_DIR = Path("var") / "files"
ATTACH_COMMANDS = {"photo": "photo", "file": "document"}


def attachment(kind: str, raw_path: str) -> Attachment | None:
    """A file on disk as a partner's attachment (`/photo path`, `/file path`)."""
    path = Path(raw_path.strip()).expanduser()
    if not raw_path.strip() or not path.is_file():
        return None
    mime = mimetypes.guess_type(path.name)[0] or ""
    return Attachment(kind, str(path.resolve()), path.name, mime, path.stat().st_size)
_STYLE = {(False, False): "", (True, False): "bold", (False, True): "italic",
          (True, True): "bold italic"}  # by (bold, italic)


def to_rich(markdown: str) -> Text:
    """Renders our Markdown subset (*bold*, _italic_) for the terminal.

    Built from spans, never parsed as rich markup: whatever a partner typed (`[b]`, `:x:`)
    is shown as typed, as on Telegram.
    """
    text = Text()
    for span in spans(markdown):
        text.append(span.text, style="cyan" if span.code else _STYLE[span.bold, span.italic])
    return text


class ConsoleChannel:
    """Prints replies; each message with buttons gets a number (`#3`) and its buttons are
    numbered from 1. `N` presses button N of the latest such message, `#3.1` button 1 of
    message 3 (the last KEEP messages stay pressable), and a button's label typed as text
    presses it."""

    name = "console"
    KEEP = 20

    def __init__(self, user: str, *, out: TextIO | None = None, scripted: bool = False,
                 display_name: str | None = None, files_dir: Path = FILES_DIR):
        self.user = user
        self.display_name = display_name
        self.scripted = scripted
        self.console = Console(file=out or sys.stdout, highlight=False,
                               force_terminal=False if scripted else None,
                               width=100 if scripted else None)
        # message number -> its buttons, for the last KEEP messages with buttons
        self.pressable: dict[int, list[Button]] = {}
        self.last_shown = 0
        self._ids = count(1)
        self.files_dir = files_dir
        self._answers = Delivery(_Answers(self))

    @property
    def buttons(self) -> list[Button]:
        """The buttons of the latest message that has any."""
        return self.pressable[max(self.pressable)] if self.pressable else []

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        return SendResult.ok(str(self.show(reply, proactive=True)))

    def show(self, reply: Reply, proactive: bool = False) -> int:
        """Prints one message; returns its number."""
        number = next(self._ids)
        self.last_shown = number
        body = to_rich(reply.text)
        if reply.image:
            body.append(f"\n[image: {reply.image}]")
        for file in reply.files:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            target = self.files_dir / Path(file.name).name
            target.write_bytes(file.data)
            body.append(f"\n[file: {target}]")
        title = "coachbot 🔔" if proactive else "coachbot"
        if reply.buttons:
            title += f" #{number}"
        if self.scripted:
            self.console.print(f"--- {title}")
            self.console.print(body)
        else:
            self.console.print(Panel(body, title=title, title_align="left", border_style="cyan"))
        if reply.buttons:
            self.pressable[number] = reply.flat_buttons
            for old in sorted(self.pressable)[:-self.KEEP]:
                del self.pressable[old]
            labels = [f"[{i}] {b.label}" for i, b in enumerate(reply.flat_buttons, start=1)]
            self.console.print(Text("   ".join(labels), style="bold green"))
        return number

    def _press(self, button: Button) -> Inbound:
        return Inbound.button(self.name, self.user, button.payload,
                              display_name=self.display_name)

    def _by_label(self, typed: str) -> Button | None:
        """The button of the latest message whose label the line names (`wib` for
        "WIB (Java, …)"), when that message is the last one shown and only one matches."""
        if not self.pressable or max(self.pressable) != self.last_shown:
            return None
        want = _words(typed)
        if len(want) < 2:
            return None
        found = [b for b in self.buttons
                 if _words(b.label) == want or _words(b.label).startswith(want + " ")]
        return found[0] if len(found) == 1 else None

    def parse(self, line: str, update_no: int = 0) -> Inbound | None:
        """Turns a typed line into an Inbound: a button (by number or label), or text."""
        stripped = line.strip()
        ref = re.fullmatch(r"#(\d{1,4})\.(\d{1,2})", stripped)
        if ref:
            message, index = int(ref.group(1)), int(ref.group(2)) - 1
            buttons = self.pressable.get(message, [])
            if 0 <= index < len(buttons):
                return self._press(buttons[index])
            self.console.print(Text(f"(no button {stripped})", style="yellow"))
            return None
        number = stripped[1:] if stripped.startswith("#") else stripped
        if number.isdigit() and self.buttons and (stripped.startswith("#") or len(number) <= 2):
            idx = int(number) - 1
            if 0 <= idx < len(self.buttons):
                return self._press(self.buttons[idx])
            if stripped.startswith("#"):
                self.console.print(Text(f"(no button {number})", style="yellow"))
                return None
        head, _, rest = stripped.partition(" ")
        kind = ATTACH_COMMANDS.get(head[1:].lower()) if head.startswith("/") else None
        if kind is not None:
            found = attachment(kind, rest)
            if found is None:
                self.console.print(Text(f"(no file {rest.strip()!r})", style="yellow"))
                return None
            return Inbound.from_text(self.name, self.user, "", display_name=self.display_name,
                                     attachments=(found,))
        labelled = self._by_label(stripped)
        if labelled is not None:
            return self._press(labelled)
        return Inbound.from_text(self.name, self.user, line.rstrip("\n"),
                                 display_name=self.display_name)

    async def run(self, handle: Handle, lines: TextIO | None = None) -> None:
        """Reads partner messages until end of input or /quit."""
        source = lines or sys.stdin
        n = 0
        if not self.scripted:
            self.console.print(Text("Type a message, a button's number or label, #3.1 for "
                                    "button 1 of message #3, or /quit to leave.", style="dim"))
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
            await self._answers.deliver(msg, replies)


def _words(text: str) -> str:
    """A label or typed line as lower-case words, without emoji and punctuation."""
    return " ".join(re.findall(r"\w+", text.casefold()))


class _Answers:
    """The console as delivery sees it while its user waits for the answer: replies are
    shown without the bell of a message the bot sends on its own (`ConsoleChannel.send`)."""

    name = ConsoleChannel.name

    def __init__(self, console: ConsoleChannel):
        self.console = console

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        # one terminal: every answer is shown in it
        return SendResult.ok(str(self.console.show(reply)))


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
