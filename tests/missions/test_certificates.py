"""Passing the final quiz and the required missions earns a certificate: looked at as a
partner would (the PDF rendered to an image), sent in chat, verified by its code, revoked by
a coach."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from sqlalchemy import select
from typer.testing import CliRunner

from bot.app import CoachBot
from bot.cli import app
from bot.config import Settings
from bot.core import SystemClock, reply_from_dict
from bot.storage.db import Database
from bot.storage.models import OutboxMessage
from bot.storage.repos import Repos
from content.loader import PackLibrary
from handlers.missions.certificate import CertText, pdf, png
from handlers.missions.certify import issue_due
from handlers.missions.models import Certificate
from scheduler.scope import Scope
from tests.fixtures.chat import Chat
from tests.missions.conftest import finish_promotion

runner = CliRunner()
NAME = "Ni Luh Putu Ayu Dewi Nur'aini Ñoman"
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftoppm) not installed")


def _text(name: str = NAME) -> CertText:
    return CertText("Sertifikat", "diberikan kepada", "atas keberhasilan menyelesaikan program",
                    name, "Mulai jadi Affiliate Video Pendek", "7 Desember 2026",
                    "Kode verifikasi: K7QM-3XPA")


@needs_poppler
def test_the_pdf_renders_to_a_page_with_ink_and_the_name_as_written(tmp_path: Path) -> None:
    doc = tmp_path / "cert.pdf"
    doc.write_bytes(pdf(_text()))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-singlefile", str(doc),
                    str(tmp_path / "page")], check=True, timeout=60)
    page = Image.open(tmp_path / "page.png").convert("L")
    assert page.width > page.height  # landscape
    lo, hi = page.getextrema()
    assert hi - lo > 150 and ImageStat.Stat(page).stddev[0] > 10, "the page is not blank"
    words = subprocess.run(["pdftotext", str(doc), "-"], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    assert NAME in words and "K7QM-3XPA" in words
    fonts = subprocess.run(["pdffonts", str(doc)], capture_output=True, text=True,
                           check=True, timeout=60).stdout
    assert "DejaVuSans" in fonts and "Identity-H" in fonts  # embedded, Unicode


def test_the_png_is_a_picture_with_ink() -> None:
    from io import BytesIO

    picture = Image.open(BytesIO(png(_text()))).convert("L")
    assert picture.size == (1600, 1131)
    assert ImageStat.Stat(picture).stddev[0] > 10
    blank = Image.open(BytesIO(png(_text(name="")))).convert("L")
    assert picture.tobytes() != blank.tobytes()  # the name is drawn


async def _earn(env: Path, packs: Path) -> str:
    """Sari finishes both modules, gets "First video" approved and passes the final quiz;
    the job issues her certificate. Returns its code."""
    db = Database(f"sqlite+aiosqlite:///{env}/cli.sqlite3")
    await db.migrate()
    settings = Settings(_env_file=None, packs_dir=packs,  # type: ignore[call-arg]
                        default_pack="example")
    library = PackLibrary.load([packs / "example"])
    bot = CoachBot(db, library, settings, clock=SystemClock())
    sari, coaches = Chat(bot, user="sari"), Chat(bot, user="coaches", display_name="Dewi")
    await finish_promotion(sari, name="Ayu Ñoman")
    await sari.press("Menu")
    await sari.press("Final readiness quiz")
    await sari.press("Twin dates")
    await sari.press("The coach")
    assert "You're ready to start" in sari.text

    async def issue() -> int:
        async with db.transaction() as s:
            return await issue_due(Scope(Repos(s), library, settings, SystemClock().now()))

    assert await issue() == 0  # the required mission is not done yet
    await sari.send("/missions")
    await sari.press("First video")
    await sari.press("Send proof")
    await sari.send("https://video.example/v/9")
    await coaches.send("/review")
    await coaches.press("Setujui")
    assert await issue() == 1
    assert await issue() == 0  # once

    async with db.transaction() as s:
        [row] = (await s.execute(select(OutboxMessage).where(
            OutboxMessage.kind == "certificate"))).scalars().all()
    sent = reply_from_dict(row.payload)
    assert "Congratulations, Ayu Ñoman" in sent.text
    pdf_file, png_file = sent.files
    assert pdf_file.data.startswith(b"%PDF") and png_file.data.startswith(b"\x89PNG")
    await db.dispose()
    return sent.text.split("verification code is *", 1)[1].split("*", 1)[0]


def test_a_certificate_is_earned_sent_verified_and_revoked(
        env: Path, mission_packs: Path) -> None:
    code = asyncio.run(_earn(env, mission_packs))
    ok = runner.invoke(app, ["cert", "verify", code.lower()])
    assert ok.exit_code == 0, ok.output
    assert f"{code}: Ayu Ñoman, Example pack, issued" in ok.output and "valid" in ok.output
    assert runner.invoke(app, ["cert", "verify", "AAAA-BBBB"]).exit_code == 1
    revoked = runner.invoke(app, ["cert", "revoke", code, "--by", "Dewi"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    after = runner.invoke(app, ["cert", "verify", code])
    assert after.exit_code == 1 and "REVOKED" in after.output and "by Dewi" in after.output


async def test_a_coach_checks_and_revokes_a_certificate_in_chat(
        chat: Chat, coach: Chat, bot: CoachBot, database: Database) -> None:
    await finish_promotion(chat)
    await chat.press("Menu")
    await chat.press("Final readiness quiz")
    await chat.press("Twin dates")
    await chat.press("The coach")
    await chat.send("/missions")
    await chat.press("First video")
    await chat.press("Send proof")
    await chat.send("https://video.example/v/3")
    await coach.send("/review")
    await coach.press("Setujui")
    async with database.transaction() as s:
        assert await issue_due(Scope(Repos(s), bot.library, bot.settings, bot.clock.now())) == 1
        [code] = (await s.execute(select(Certificate.code))).scalars().all()

    await coach.send(f"/cert {code.lower()}")
    assert f"🎓 {code}: Sari, Paket contoh, terbit 2 Nov 2026." in coach.text
    await chat.send(f"/cert revoke {code}")
    assert "for coaches only" in chat.text
    await coach.send(f"/cert cabut {code}")
    assert f"Sertifikat {code} sudah dicabut." in coach.text
    await coach.send(f"/cert {code}")
    assert "⛔ Dicabut oleh Dewi pada 2 Nov." in coach.text
    await coach.send("/cert AAAA-BBBB")
    assert "Tidak ada sertifikat aktif dengan kode AAAA-BBBB" in coach.text
