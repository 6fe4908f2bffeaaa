"""A FAQ the engine has never seen (issue 14): the generic model's bands hold with no data of
its own, an unsure match is offered rather than answered, and a message that asks nothing
never gets an entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from content.schema import FaqEntry, Text
from handlers.faq.engine import (
    Band,
    Chat,
    FaqIndex,
    calibration,
    classify,
    load_faq_file,
    model_for,
    thresholds_for,
)
from handlers.faq.engine.index import GENERIC_MODEL, TUNED_MODEL

LAUNDRY = Path(__file__).with_name("laundry_faq.yaml")


@pytest.fixture(scope="module")
def laundry() -> FaqIndex:
    return FaqIndex(load_faq_file(LAUNDRY))


def test_a_new_faq_gets_the_generic_model_and_no_shipped_pack_data(laundry: FaqIndex) -> None:
    assert laundry.model is GENERIC_MODEL and not laundry.tuned
    assert laundry.thresholds == thresholds_for(None) == thresholds_for(None, "some-new-pack")
    assert (laundry.thresholds.answer, laundry.thresholds.offer) == (
        calibration.GENERIC_ANSWER, calibration.GENERIC_OFFER)
    # the shipped packs' out-of-scope list and topic lexicon are theirs alone
    assert laundry.out_of_scope == []
    for pack in calibration.TUNED_PACKS:
        assert model_for(pack) is TUNED_MODEL
    assert model_for("some-new-pack") is GENERIC_MODEL


@pytest.mark.parametrize(("question", "expected"), [
    ("gmn cara daftar laundry aku jadi mitra?", "join-as-outlet"),
    ("harga per kg aku yg atur sendiri kah?", "price-per-kilo"),
    ("baju pelanggan luntur, siapa yg ganti rugi?", "damaged-clothes"),
    ("kapan saldo outlet cair ke rekening?", "payout-schedule"),
    ("aplikasi motong komisi brp persen?", "app-commission"),
    ("mau libur seminggu, outlet bisa ditutup dulu?", "close-outlet-temporarily"),
])
def test_a_clear_question_on_a_new_faq_is_answered(laundry: FaqIndex, question: str,
                                                   expected: str) -> None:
    match = laundry.search(question)
    assert (match.top, match.band) == (expected, Band.ANSWER), match.confidence


@pytest.mark.parametrize(("question", "expected"), [
    ("kurir blm dateng2 ambil cucian, udh sejam", "pickup-courier-late"),
    ("how do I pause my outlet for the holidays?", "close-outlet-temporarily"),
    ("when do I get paid?", "payout-schedule"),
])
def test_a_question_in_other_words_is_at_least_offered(laundry: FaqIndex, question: str,
                                                       expected: str) -> None:
    match = laundry.search(question)
    assert match.top == expected and match.band is not Band.NONE


@pytest.mark.parametrize("question", [
    "cuaca besok hujan gak", "resep nasi goreng", "who won the football match",
])
def test_out_of_scope_on_a_new_faq_is_not_answered(laundry: FaqIndex, question: str) -> None:
    assert laundry.search(question).band is Band.NONE


def test_an_unsure_match_is_offered_not_answered() -> None:
    # the question has a word of each of two entries ("nomor" of the phone number,
    # "rekening" of the bank account): the engine cannot tell which is meant, so it offers
    # both instead of answering one; with no topic word at all, it does not guess
    def entry(entry_id: str, indonesian: list[str], english: list[str]) -> FaqEntry:
        return FaqEntry(id=entry_id, questions={"id": indonesian, "en": english},
                        answer=Text(id=f"jawaban {entry_id}", en=f"answer {entry_id}"))

    ix = FaqIndex([
        entry("change-bank", ["cara ganti rekening bank untuk pencairan",
                              "rekening bank salah, ganti gimana"],
              ["how to change the bank account for payouts", "wrong bank account"]),
        entry("change-phone", ["cara ganti nomor hp akun", "nomor hp lama hilang, ganti gimana"],
              ["how to change the phone number of my account", "lost my old number"]),
        entry("register", ["cara daftar jadi mitra", "syarat pendaftaran mitra"],
              ["how to sign up as a partner", "registration requirements"]),
    ])
    clear = ix.search("gimana cara ganti rekening bank buat pencairan?")
    assert (clear.top, clear.band) == ("change-bank", Band.ANSWER)
    unsure = ix.search("ganti nomor rekening")
    assert unsure.band is Band.OFFER, unsure.confidence
    assert {h.entry_id for h in unsure.hits[:2]} == {"change-bank", "change-phone"}
    assert ix.search("cara ganti").band is not Band.ANSWER


@pytest.mark.parametrize(("text", "kind"), [
    ("maksudnya?", Chat.VAGUE), ("maksudnya gmn kak?", Chat.VAGUE),
    ("gimana tuh", Chat.VAGUE), ("terus?", Chat.VAGUE), ("terus gmn?", Chat.VAGUE),
    ("lah kok gitu sih", Chat.VAGUE), ("what do you mean?", Chat.VAGUE),
    ("I don't get it", Chat.VAGUE), ("kapan?", Chat.VAGUE), ("?", Chat.VAGUE),
    ("ok", Chat.ACK), ("ok kak", Chat.ACK), ("siap kak", Chat.ACK), ("oh gitu ya", Chat.ACK),
    ("wkwkwk", Chat.ACK), ("oh ok, got it", Chat.ACK), ("hmm", Chat.ACK),
    ("makasih min 🙏", Chat.THANKS), ("ok thanks", Chat.THANKS),
    ("halo min", Chat.HELLO), ("good morning!", Chat.HELLO),
    # anything that names a topic is a question for the FAQ
    ("komisi?", None), ("kapan cair?", None), ("gimana caranya daftar?", None),
    ("halo, kapan komisi cair?", None), ("gak bisa login", None), ("🙂🙂🙂", None),
])
def test_messages_that_ask_nothing_are_classified(text: str, kind: Chat | None) -> None:
    assert classify(text) is kind


@pytest.mark.parametrize("text", [
    "ok", "makasih", "maksudnya?", "gimana tuh", "terus?", "siap", "oh gitu",
    "what do you mean", "maksudnya gimana kak?", "ok kak siap",
])
def test_vague_and_conversational_messages_get_no_entry(laundry: FaqIndex, text: str) -> None:
    from benchmarks.tools.faq_calibrate import shipped_indexes

    for index in (laundry, *shipped_indexes().values()):
        match = index.search(text)
        assert match.band is Band.NONE and match.hits == () and match.chat is not None, text
    assert laundry.search("maksudnya gimana kak?").vague
    assert not laundry.search("ok kak").vague
