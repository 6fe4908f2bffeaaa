"""/link on several workers at once (PostgreSQL runs the turns side by side): a code is
used up by exactly one identity; the other is told the code is gone, nothing crashes."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from bot.app import CoachBot
from bot.core import Inbound
from bot.storage.models import Partner, PartnerIdentity
from tests.fixtures.chat import Chat

TG, WA = "telegram", "whatsapp"


async def test_two_identities_taking_one_code_at_once_join_one_of_them(bot: CoachBot) -> None:
    tg = Chat(bot, user="5550001", channel=TG)
    await tg.onboard(name="Sari")
    await tg.send("/link")
    found = re.search(r"/link ([A-Z0-9]{6})", tg.text)
    assert found
    code = found.group(1)
    phones = ["6281234567801", "6281234567802"]
    for phone in phones:  # each identity wrote once before: their own (empty) records exist
        await Chat(bot, user=phone, channel=WA).send("halo")

    answers = await asyncio.gather(*(
        bot.handle(Inbound.from_text(WA, phone, f"/link {code}", update_id=f"race-{phone}"))
        for phone in phones))
    texts = ["\n".join(r.text for r in replies) for replies in answers]
    assert sum("Linked, Sari!" in t for t in texts) == 1, texts
    assert sum("don't know that code" in t or "tidak kukenal" in t for t in texts) == 1, texts
    async with bot.db.transaction() as s:
        joined = {i.user_id for i in (await s.execute(select(PartnerIdentity))).scalars()
                  if i.channel == WA}
        assert len(joined) == 1
        assert await s.scalar(select(func.count()).select_from(Partner)
                              .where(Partner.name == "Sari")) == 1
