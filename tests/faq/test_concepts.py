"""The concept lexicon (handlers/faq/engine/concepts.yaml): everyday words reach the FAQ entry that
words the same situation differently, and never outweigh the FAQ's own words."""

from __future__ import annotations

import pytest

from content.schema import FaqEntry
from handlers.faq.engine import FaqIndex, index
from handlers.faq.engine.text import concept_groups, tokens


def test_the_lexicon_loads_through_the_same_pipeline_as_the_phrasings() -> None:
    # everyday groups and (round 12) the shipped packs' topic groups, as a tuned pack has them
    groups = concept_groups(topics=True)
    # stemmed and folded like a phrasing: "penarikan" is "tarik", "ditolak" is "tolak"
    for word, group in (("penarikan", "withdraw"), ("ditolak", "reject"),
                        ("pensiunan", "age"), ("tetangga", "other-person"),
                        ("voucher", "promo"), ("handphone", "device")):
        (tok,) = tokens(word)
        assert group in groups[tok], word
    # each group still joins several different words once chat forms and synonyms are folded
    sizes: dict[str, int] = {}
    for names in groups.values():
        for name in names:
            sizes[name] = sizes.get(name, 0) + 1
    assert min(sizes.values()) >= 3


def test_a_new_faq_gets_the_everyday_groups_only() -> None:
    # the topic groups were written for the shipped packs' business (round 12)
    everyday, every = concept_groups(), concept_groups(topics=True)
    assert set(everyday) < set(every)
    (voucher,) = tokens("voucher")
    assert "promo" in every[voucher] and voucher not in everyday
    (penarikan,) = tokens("penarikan")
    assert "withdraw" in everyday[penarikan]


@pytest.mark.parametrize(("question", "expected"), [
    # neither "penarikan" nor "saldo" is in the sample FAQ: withdrawal and money words are
    ("penarikan saldo", "payout-schedule"),
    ("cara tarik duit", "payout-schedule"),
    # "ikutan" is not in the FAQ; the registration words are
    ("gimana caranya ikutan program ini", "how-to-register"),
])
def test_everyday_words_reach_the_entry_through_the_lexicon(
        sample_index: FaqIndex, question: str, expected: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert sample_index.search(question).top == expected
    # the lexicon is what found it
    monkeypatch.setattr(index, "CONCEPT_UNKNOWN", 0.0)
    monkeypatch.setattr(index, "CONCEPT_KNOWN", 0.0)
    assert sample_index.search(question).top != expected


def _entry(entry_id: str, indonesian: str, english: str) -> FaqEntry:
    return FaqEntry.model_validate({"id": entry_id,
                                    "questions": {"id": [indonesian], "en": [english]},
                                    "answer": {"id": "Jawaban.", "en": "Answer."}})


def test_an_expansion_never_overrides_an_exact_match() -> None:
    ix = FaqIndex([_entry("uang-hilang", "uang saya hilang dari akun",
                          "my money is gone from the account"),
                   _entry("saldo-hilang", "saldo saya hilang dari akun",
                          "my balance is gone from the account")], out_of_scope=())
    # "uang" and "saldo" share a concept group, but each question names one entry's word
    assert ix.search("uang hilang").top == "uang-hilang"
    assert ix.search("saldo hilang").top == "saldo-hilang"
    # a money word neither phrasing uses reaches both through the group
    assert {h.entry_id for h in ix.search("dana hilang").hits} == {"uang-hilang",
                                                                    "saldo-hilang"}


def test_the_faqs_own_phrasings_still_find_their_entry(sample_index: FaqIndex) -> None:
    for entry in sample_index.entries:
        for phrasings in entry.questions.values():
            for phrasing in phrasings:
                assert sample_index.search(phrasing).top == entry.id, phrasing
