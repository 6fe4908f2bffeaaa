"""The event loop coachbot runs on: uvloop where it is installed, else asyncio's own.

Serving partners is mostly small socket writes and reads (Bot API calls, database round
trips) and callbacks between them; uvloop does that work in C, which leaves the CPU for the
coaching core. COACHBOT_EVENT_LOOP=asyncio keeps the standard loop.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
CHOICES = ("auto", "uvloop", "asyncio")


def loop_factory(choice: str = "auto") -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the loop: `auto` is uvloop when installed (not on Windows), else asyncio."""
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"COACHBOT_EVENT_LOOP must be one of {', '.join(CHOICES)}, "
                         f"not {choice!r}")
    if choice == "asyncio" or (choice == "auto" and importlib.util.find_spec("uvloop") is None):
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        raise ValueError("COACHBOT_EVENT_LOOP=uvloop, but uvloop is not installed") from None
    return uvloop.new_event_loop


def run(coro: Coroutine[Any, Any, T], choice: str = "auto") -> T:
    """asyncio.run on the chosen loop."""
    try:
        factory = loop_factory(choice)
    except ValueError:
        coro.close()  # never awaited: no "coroutine was never awaited" warning
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)
