"""A typed answer to "did this help?": "iya membantu", "ga kak", "masih bingung"."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z]+")
MAX_WORDS = 4
# everyday Indonesian and English for "no" and "still unclear", chat spellings included
NO = frozenset({"ga", "gak", "gk", "nggak", "ngga", "enggak", "engga", "tidak", "tdk", "tak",
                "belum", "blm", "blum", "kurang", "bingung", "no", "nope", "not", "nah",
                "unclear", "confused", "confusing"})
YES = frozenset({"ya", "iya", "iyaa", "yaa", "yup", "yes", "yep", "yess", "membantu",
                 "ngebantu", "terbantu", "helpful", "helped", "helps", "jelas", "paham",
                 "ngerti", "mengerti", "clear"})
# words that say nothing either way ("iya kak, udah jelas")
NEUTRAL = frozenset({"kak", "ka", "kk", "min", "mimin", "sis", "gan", "bang", "mas", "mbak",
                     "bro", "sudah", "udah", "udh", "sangat", "banget", "bgt", "cukup", "sih",
                     "deh", "dong", "kok", "nih", "masih", "it", "was", "is", "very", "really",
                     "thanks", "makasih", "mksh", "thx", "that", "this", "jawabannya",
                     "the", "answer", "ini", "itu"})


def typed_feedback(text: str) -> bool | None:
    """True for a short "yes, it helped", False for a short "no" or "still unclear", None
    for anything else (a question: it goes on to the FAQ)."""
    if "?" in text:
        return None
    words = _WORD.findall(text.lower())
    if not words or len(words) > MAX_WORDS:
        return None
    if not all(w in NO or w in YES or w in NEUTRAL for w in words):
        return None
    if any(w in NO for w in words):
        return False
    return True if any(w in YES for w in words) else None
