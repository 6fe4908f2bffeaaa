"""The button under a coach's sent answer that files the ticket in the FAQ. Tickets shows it,
the FAQ handles it; here so that neither imports the other for it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.payloads import ButtonData, button


@button("ft")
@dataclass(frozen=True, slots=True)
class TeachButton(ButtonData):
    """On a ticket a coach answered: no action shows the choices, `new` files a new entry,
    `pN` files the question as another wording of the engine's Nth suggestion."""

    ticket: int
    action: str | None = None
