"""One partner's turn across every worker of a deployment.

Several web workers share one PostgreSQL: any may take any update, so one partner's updates
may reach two workers at once. A transaction-scoped advisory lock per partner makes the second
wait until the first has committed; it then sees the partner's new state, and a duplicate of
the same update sees its id recorded and stops. The lock ends with the transaction, so a
crashed worker holds nothing. SQLite has one process and one writer: no lock needed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

# the first key of the two-key advisory locks that are partners' turns (the second is a hash
# of channel:id); two-key locks never collide with the one-key schedule lock
PARTNER_TURNS = 0x63620001


def turn_lock() -> Any:
    """The SQL expression that waits for a partner's turn (PostgreSQL), with the parameters
    of `turn_params`; a message's arrival takes it inside its own statement."""
    return func.pg_advisory_xact_lock(bindparam("turn_ns", type_=Integer),
                                      func.hashtext(bindparam("turn_key", type_=String)))


def turn_params(channel: str, external_id: str) -> dict[str, Any]:
    return {"turn_ns": PARTNER_TURNS, "turn_key": f"{channel}:{external_id}"}


_TAKE = select(turn_lock())


class PartnerTurns:
    def __init__(self, session: AsyncSession):
        self.s = session

    async def take(self, channel: str, external_id: str) -> None:
        """Waits for this partner's turn; it lasts until the transaction ends."""
        bind = self.s.bind
        if bind is None or bind.dialect.name != "postgresql":
            return
        await self.s.execute(_TAKE, turn_params(channel, external_id))
