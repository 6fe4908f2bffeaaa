"""The FAQ engine on its own: chat Indonesian, English, typos, honesty about what it
does not know, and coach hours as pure functions of a given time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from content.loader import PackLibrary
from handlers.faq.engine import Band, FaqEngines, FaqIndex
from handlers.faq.engine.index import Match
from handlers.faq.engine.text import is_smalltalk, tokens
from handlers.faq.gaps import group_questions
from handlers.faq.repo import QuestionRecord
from handlers.tickets.hours import CoachHours, reannounce_times


def test_chat_indonesian_is_normalised_before_matching() -> None:
    assert tokens("gmn cara daftar kak?") == ["bagaimana", "cara", "daftar"]
    assert tokens("lupa pw akun") == ["lupa", "password", "akun"]
    assert tokens("komisi kapan cair ya min") == ["komisi", "kapan", "cair"]
    assert tokens("Kapan komisinya dicairkan??") == ["kapan", "komisi", "cair"]
    assert tokens("pesanan dibatalin") == ["pesan", "batal"]
    assert tokens("ga bisa login, udh coba2") == ["tidak", "bisa", "login", "sudah", "coba"]


@pytest.mark.parametrize(("question", "expected"), [
    ("lupa pw akun", "forgot-password"),
    ("gmn cara daftar jd mitra kak?", "how-to-register"),
    ("komisi kapan cair ya min", "payout-schedule"),
    ("forgot my pasword", "forgot-password"),
    ("when do i get my comission", "payout-schedule"),
    ("cara share link ke temen", "share-link"),
    ("tgl kembar tuh apa", "twin-dates"),
])
def test_partner_phrasings_find_the_right_entry(sample_index: FaqIndex, question: str,
                                                 expected: str) -> None:
    match = sample_index.search(question)
    assert match.top == expected
    assert match.band is not Band.NONE


@pytest.mark.parametrize("question", [
    "cuaca besok hujan gak", "resep nasi goreng", "who won the football match",
    "asdfgh qwerty", "สวัสดีครับ", "🙂🙂🙂", "", "?",
])
def test_out_of_scope_and_junk_are_not_answered(sample_index: FaqIndex, question: str) -> None:
    assert sample_index.search(question).band is Band.NONE


@pytest.mark.parametrize("junk", [
    "'; DROP TABLE partners; --", "SELECT * FROM partners", "admin' OR '1'='1",
    "<script>alert('komisi')</script>", "1 UNION SELECT password FROM akun",
    "delete from komisi where 1=1",
])
def test_pasted_code_is_not_answered_even_with_domain_words(junk: str) -> None:
    # "partners", "komisi" and "akun" are real domain words, but code asks the FAQ nothing
    from benchmarks.tools.faq_calibrate import shipped_indexes

    for pack, index in shipped_indexes().items():
        assert index.search(junk).band is Band.NONE, pack


def test_no_real_question_is_taken_for_code() -> None:
    from benchmarks.tools.faq_calibrate import CASE_FILES, load_all, shipped_faqs
    from handlers.faq.engine.text import is_code

    questions = [c.q for cs in load_all(CASE_FILES).values() for c in cs]
    questions += [p for entries in shipped_faqs().values() for e in entries
                  for ps in e.questions.values() for p in ps]
    questions += ["how do I select photos from my gallery for the post",
                  "bisa delete from riwayat ga kak", "drop link hotel di grup boleh?"]
    assert len(questions) > 5000
    assert [q for q in questions if is_code(q)] == []


def test_a_huge_paste_is_handled_quickly_and_honestly(sample_index: FaqIndex) -> None:
    match = sample_index.search("lorem ipsum dolor sit amet " * 160)
    assert isinstance(match, Match) and match.band is Band.NONE


def test_confidence_is_a_probability_and_ranks_the_clear_case_higher(
        sample_index: FaqIndex) -> None:
    clear = sample_index.search("lupa kata sandi akun")
    vague = sample_index.search("akun")
    assert 0.0 <= vague.confidence < clear.confidence <= 1.0


def test_greetings_and_thanks_are_small_talk() -> None:
    assert is_smalltalk("makasih kak!") == "thanks"
    assert is_smalltalk("halo min") == "hello"
    assert is_smalltalk("halo, kapan komisi cair?") is None


def test_one_index_per_pack_is_built_once(library: PackLibrary) -> None:
    engines = FaqEngines.build(library)
    pack = library.get("example")
    assert engines.for_pack(pack) is engines.for_pack(pack)
    assert len(engines.for_pack(pack)) == len(pack.faq)


def _at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def test_coach_hours_in_jakarta() -> None:
    hours = CoachHours.parse("09:00-17:00", [1, 2, 3, 4, 5], "Asia/Jakarta")
    assert hours.is_open(_at(2026, 11, 2, 3))  # Monday 10:00 WIB
    assert not hours.is_open(_at(2026, 11, 2, 11))  # Monday 18:00 WIB
    # Saturday noon: the next shift is Monday 09:00 WIB = 02:00 UTC
    assert hours.next_open(_at(2026, 11, 7, 5)) == _at(2026, 11, 9, 2)
    # Friday 16:30 WIB, every 60 minutes: 17:30 is closed, so Monday 09:00, then 10:00
    assert reannounce_times(_at(2026, 11, 6, 9, 30), 60, 2, hours) == [
        _at(2026, 11, 9, 2), _at(2026, 11, 9, 3)]


def test_unreadable_hours_mean_round_the_clock() -> None:
    hours = CoachHours.parse("whenever", [], "Asia/Jakarta")
    assert hours.is_open(_at(2026, 11, 8, 20))


def test_gaps_group_similar_questions() -> None:
    def q(i: int, text: str, helped: bool | None = None) -> QuestionRecord:
        return QuestionRecord(i, 1, "p", "id", text, None, 0.1, Band.NONE, [], None, helped,
                              _at(2026, 11, 2, 3))

    groups = group_questions([q(1, "cara jadi coach gmn"), q(2, "gimana cara jadi coach?"),
                              q(3, "resep rendang"), q(4, "bisa jadi coach gak")])
    assert groups[0].count == 3 and groups[1].count == 1
