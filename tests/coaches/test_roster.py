"""A roster export from a spreadsheet: bad rows named by line, good rows in, re-import updates."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import KNOWN_CHANNELS
from bot.core import FixedClock
from bot.storage.db import Database
from bot.storage.models import Cohort, Partner
from bot.storage.repos import Repos
from handlers.coaches import roster

HEADER = "channel,external_id,chat_id,name,language,timezone,cohort\n"
GOOD = (HEADER
        + "telegram,1001,1001,Sari Dewi,id,WITA,batch1\n"
        + "telegram,1002,,Budi,English,Asia/Jayapura,batch1\n"
        + "\n"
        + "console,andi,andi,Andi,,,\n")


def test_bad_rows_are_reported_by_line_number_and_good_rows_kept() -> None:
    text = (HEADER
            + "telegram,1001,1001,Sari,id,WITA,batch1\n"       # line 2: fine
            + "fax,1002,1002,Budi,id,WIB,batch1\n"             # line 3: channel
            + "telegram,,1003,Ani,id,WIB,batch1\n"             # line 4: no id
            + "telegram,1004,1004,Dewi,fr,WIB,batch1\n"        # line 5: language
            + "telegram,1005,1005,Eko,id,Mars/Base,batch1\n"   # line 6: zone
            + "telegram,1006,1006,Fajar,id,WIB,batch 1\n"      # line 7: cohort code
            + "telegram,1001,1001,Sari again,id,WIB,\n"        # line 8: duplicate
            + "telegram,1007,1007,🙂,id,WIB,\n"                 # line 9: name
            + "telegram,1008,1008,Gita,id,WIB,batch1,extra\n"  # line 10: too many values
            + "telegram,1009,1009,Hana,ID,wib,batch1\n")       # line 11: fine
    rows, errors = roster.parse(text, KNOWN_CHANNELS)
    assert [r.line for r in rows] == [2, 11]
    assert [line for line, _ in errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    problems = dict(errors)
    assert "channel 'fax'" in problems[3]
    assert "language 'fr'" in problems[5]
    assert "timezone 'Mars/Base'" in problems[6]
    assert "same partner as line 2" in problems[8]
    assert rows[1].language == "id" and rows[1].timezone == "Asia/Jakarta"


def test_a_missing_header_imports_nothing() -> None:
    rows, errors = roster.parse("telegram,1001,1001,Sari,id,WITA,batch1\n", KNOWN_CHANNELS)
    assert rows == [] and errors[0][0] == 1 and "header" in errors[0][1]
    assert roster.parse("", KNOWN_CHANNELS)[1][0][1].startswith("the file is empty")


def test_semicolon_exports_and_a_bom_are_read() -> None:
    text = "\ufeff" + HEADER.replace(",", ";") + "telegram;1001;;Sari;id;WIB;\n"
    rows, errors = roster.parse(text, KNOWN_CHANNELS)
    assert errors == [] and rows[0].chat_id == "1001"


async def test_import_then_reimport_updates_instead_of_duplicating(database: Database,
                                                                   clock: FixedClock) -> None:
    async with database.transaction() as s:
        result = await roster.import_text(Repos(s), GOOD, pack_id="example", now=clock.now(),
                                           channels=KNOWN_CHANNELS)
    assert (result.created, result.updated, result.errors) == (3, 0, [])
    assert result.cohorts_created == ["batch1"]

    changed = GOOD.replace("Budi,English", "Budi Santoso,id")
    async with database.transaction() as s:
        again = await roster.import_text(Repos(s), changed, pack_id="example", now=clock.now(),
                                           channels=KNOWN_CHANNELS)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    async with database.transaction() as s:
        assert (await s.execute(select(func.count()).select_from(Partner))).scalar_one() == 3
        assert (await s.execute(select(func.count()).select_from(Cohort))).scalar_one() == 1
        budi = (await s.execute(select(Partner).where(Partner.external_id == "1002"))
                ).scalar_one()
    assert (budi.name, budi.language, budi.timezone, budi.chat_id) == (
        "Budi Santoso", "id", "Asia/Jayapura", "1002")
