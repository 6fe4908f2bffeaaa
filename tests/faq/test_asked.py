"""Questions partners asked, filed by a coach under the entry that answers them, teach the
engine partners' own words for that situation (faq_asked.yaml)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from content.loader import PackInvalid, load_pack
from handlers.faq.engine import FaqIndex, load_faq_file
from handlers.faq.engine.index import Band
from tests.conftest import EXAMPLE_PACKS
from tests.faq.conftest import SAMPLE_FAQ

runner = CliRunner()


@pytest.mark.parametrize(("question", "entry", "filed"), [
    # nobody wrote "kue" (slang for money) or "dompet" into the FAQ; a partner did
    ("kok kuenya blm nyampe ke dompet", "payout-schedule", "kuenya kapan nyampe dompet"),
    ("notif duit masuk blm bunyi2 nih", "payout-schedule", "notif duit masuk kok ga bunyi"),
    ("akunku kekunci abis ganti hp", "forgot-password", "kekunci abis ganti hp"),
])
def test_a_filed_question_teaches_the_engine_a_partners_words(
        question: str, entry: str, filed: str) -> None:
    entries = load_faq_file(SAMPLE_FAQ)
    before = FaqIndex(entries, out_of_scope=()).search(question)
    assert before.band is Band.NONE
    after = FaqIndex(entries, out_of_scope=(), asked={entry: [filed]}).search(question)
    assert after.top == entry
    assert after.band is Band.ANSWER


def test_a_filed_question_never_takes_another_entrys_own_phrasing() -> None:
    entries = load_faq_file(SAMPLE_FAQ)
    # a partner who forgot the registration link is not asking about a forgotten password
    ix = FaqIndex(entries, out_of_scope=(), asked={"how-to-register": [
        "lupa link daftar mitra", "link pendaftaran mitra lupa disimpan"]})
    assert ix.search("Saya lupa kata sandi akun").top == "forgot-password"
    assert ix.search("lupa link pendaftaran").top == "how-to-register"


def test_asked_questions_for_an_entry_that_is_not_there_change_nothing() -> None:
    entries = load_faq_file(SAMPLE_FAQ)
    plain = FaqIndex(entries, out_of_scope=())
    stray = FaqIndex(entries, out_of_scope=(), asked={"deleted-entry": ["kuenya kapan cair"]})
    for q in ("kuenya kapan cair", "lupa password", "cara daftar"):
        assert stray.search(q) == plain.search(q)


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE_PACKS / "example", target)
    return target


def test_the_pack_brings_its_asked_questions_to_the_bot(pack: Path) -> None:
    question = "kuenya kapan nyampe dompet ya kak"
    result = runner.invoke(app, ["faq", "ask", "--pack", str(pack), question])
    assert result.output.splitlines()[0].split()[0] == "none", result.output
    (pack / "faq_asked.yaml").write_text(yaml.safe_dump(
        {"asked": {"payout": ["kuenya kapan nyampe dompet"]}}))
    assert load_pack(pack).faq_asked == {"payout": ["kuenya kapan nyampe dompet"]}
    result = runner.invoke(app, ["faq", "ask", "--pack", str(pack), question])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split()[0] == "payout", result.output


@pytest.mark.parametrize("section", ["asked", "taught"])
def test_a_question_filed_under_a_missing_entry_is_named(pack: Path, section: str) -> None:
    (pack / "faq_asked.yaml").write_text(yaml.safe_dump(
        {section: {"payout": ["kapan cair"], "ghost": ["siapa kamu"]}}))
    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    assert [str(e) for e in exc.value.errors] == [
        f"example/faq_asked.yaml: {section}.ghost: reference to a missing FAQ entry 'ghost'"]
    result = runner.invoke(app, ["content", "check", str(pack)])
    assert result.exit_code != 0
    assert "reference to a missing FAQ entry 'ghost'" in result.output


def test_a_malformed_asked_file_is_named(pack: Path) -> None:
    (pack / "faq_asked.yaml").write_text("asked:\n  payout: [\"\", 3]\n")
    with pytest.raises(PackInvalid) as exc:
        load_pack(pack)
    assert all(e.file == "example/faq_asked.yaml" for e in exc.value.errors)
    assert exc.value.errors


def test_the_questions_kept_for_an_entry_are_those_that_bring_new_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from handlers.faq.engine import index

    monkeypatch.setattr(index, "ASKED_PER_ENTRY", 2)
    (entry,) = [e for e in load_faq_file(SAMPLE_FAQ) if e.id == "payout-schedule"]
    questions = ["kapan komisi dicairkan?",          # only the FAQ's own words
                 "kuenya kapan nyampe dompet",       # three new words
                 "saldo telat masuk rekening bank"]  # five new words
    assert index.select_asked(entry, questions) == [questions[2], questions[1]]
    # the index takes no more than that many, whatever the file holds
    ix = FaqIndex([entry], out_of_scope=(), asked={"payout-schedule": questions * 3})
    own = sum(len(ps) for ps in entry.questions.values())
    assert len(ix.phrases.docs) == own + 2


def test_a_coach_teaches_the_bot_a_question_from_the_gaps(pack: Path) -> None:
    question = "kuenya kapan nyampe dompet ya kak"
    before = runner.invoke(app, ["faq", "ask", "--pack", str(pack), question])
    assert before.output.split()[0] == "none"
    taught = runner.invoke(app, ["faq", "teach", "--pack", str(pack), "payout",
                                 "kuenya kapan  nyampe dompet"])
    assert taught.exit_code == 0, taught.output
    assert "filed under payout (1 taught for it)" in taught.output
    assert "the engine now: payout" in taught.output
    # the bot reads it from its next start: a fresh load of the pack
    assert load_pack(pack).faq_asked == {"payout": ["kuenya kapan nyampe dompet"]}
    after = runner.invoke(app, ["faq", "ask", "--pack", str(pack), question])
    assert after.output.split()[0] == "payout", after.output
    # the same question twice is filed once
    again = runner.invoke(app, ["faq", "teach", "--pack", str(pack), "payout",
                                "kuenya kapan nyampe dompet"])
    assert "(1 taught for it)" in again.output


@pytest.mark.parametrize(("entry", "question", "message"), [
    ("payot", "kapan cair", "no FAQ entry 'payot' in example; did you mean: payout"),
    ("payout", "   ", "the question must be 1 to 500 characters"),
    ("payout", "x" * 501, "the question must be 1 to 500 characters"),
])
def test_teaching_a_missing_entry_or_a_bad_question_files_nothing(
        pack: Path, entry: str, question: str, message: str) -> None:
    result = runner.invoke(app, ["faq", "teach", "--pack", str(pack), entry, question])
    assert result.exit_code == 2
    assert message in result.output
    assert not (pack / "faq_asked.yaml").exists()


def test_rewriting_the_development_data_keeps_what_coaches_taught(pack: Path) -> None:
    from handlers.faq.engine import asked

    path = pack / asked.FILE
    asked.teach(path, "payout", "kuenya kapan nyampe dompet")
    asked.write(path, asked={"payout": ["komisi cair tgl brp"],
                             "forgot-password": ["lupa pw"]})
    asked.write(path, asked={"payout": ["jadwal cair komisi"]})  # the next calibration
    assert load_pack(pack).faq_asked == {"payout": ["kuenya kapan nyampe dompet",
                                                    "jadwal cair komisi"]}
