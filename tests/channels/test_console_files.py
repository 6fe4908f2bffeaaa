"""On the terminal a partner sends proof as `/photo path` or `/file path`, and files the bot
sends (a certificate) are written where the coach can open them."""

from __future__ import annotations

import io
from pathlib import Path

from bot.channels.console import ConsoleChannel
from bot.core import Attachment, OutFile, Reply


def test_photo_and_file_commands_attach_the_file_and_a_missing_one_is_said(
        tmp_path: Path) -> None:
    shot = tmp_path / "live.png"
    picture = b"\x89PNG picture"
    shot.write_bytes(picture)
    out = io.StringIO()
    console = ConsoleChannel("sari", out=out, scripted=True, files_dir=tmp_path / "out")

    photo = console.parse(f"/photo {shot}", 1)
    doc = console.parse(f"/file {shot}", 2)
    missing = console.parse(f"/photo {tmp_path / 'nope.png'}", 3)

    assert photo is not None and photo.attachments == (
        Attachment("photo", str(shot.resolve()), "live.png", "image/png", len(picture)),)
    assert doc is not None and doc.attachments[0].kind == "document"
    assert missing is None and "no file" in out.getvalue()


def test_a_file_in_a_reply_is_written_and_named(tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleChannel("sari", out=out, scripted=True, files_dir=tmp_path / "out")
    cert = OutFile("cert.pdf", b"%PDF-1.4", "application/pdf")
    console.show(Reply("Sertifikatmu", files=(cert,)))
    assert (tmp_path / "out" / "cert.pdf").read_bytes() == b"%PDF-1.4"
    assert f"[file: {tmp_path / 'out' / 'cert.pdf'}]" in out.getvalue()
