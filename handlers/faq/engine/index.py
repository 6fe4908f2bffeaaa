"""Retrieval over a pack's FAQ: BM25 over every phrasing, typo tolerance, calibrated bands."""

from __future__ import annotations

import enum
import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from content.schema import FaqEntry
from handlers.faq.engine import calibration
from handlers.faq.engine.text import (
    CANON,
    SLANG,
    Chat,
    classify,
    concept_groups,
    english_stem,
    is_chitchat,
    is_code,
    is_indonesian_root,
    load_data_file,
    nasal_root,
    stem,
    tokens,
)

K1 = 1.2
B = 0.75
# the entry as a whole (all phrasings) and its answer text add to the best phrasing's score.
# A new FAQ has a few phrasings per entry, so its answer says most of what the entry is
# about (round 12: 0.6 -> 2.0 put the right entry first for 0.766 -> 0.806 of the other
# programs' questions, better on each of them); a tuned pack also has its partners' asked
# questions, and keeps the weight it was calibrated with
ENTRY_WEIGHT = 1.0
ANSWER_WEIGHT = 2.0
TUNED_ANSWER_WEIGHT = 0.6
MAX_CONFIDENCE = 0.999
FUZZ_CUTOFF = 80.0
MIN_FUZZ_LEN = 4
PREFIXES = ("di", "ke", "nge", "ng", "me", "ter", "ber", "se")
FEATURES = ("query_coverage", "phrasing_coverage", "margin", "similarity", "length",
            "uncovered", "matched_terms", "unknown", "rare_matched", "n_unknown",
            "uncovered_known", "out_of_scope", "out_of_scope_lead",
            "answer_coverage", "phrasings", "phrase_norm", "margin3", "bayes", "share",
            "score", "lead")
# the tuned model reads the first TUNED_FEATURES only (round 11's); the rest, added for new
# FAQs in round 12, did not help the tuned packs on their blind sets
TUNED_FEATURES = 13
# what the generic model does not read: the out-of-scope list (a tuned pack's), and what
# grows with the number of candidates rather than with the match (in a FAQ of 3 entries most
# questions meet one entry only, so every margin and share is 1: "lupa pin atm" was
# answered from "lupa password"); leaving them out cost nothing on the other programs
GENERIC_IGNORES = ("out_of_scope", "out_of_scope_lead", "bayes", "share", "margin",
                   "margin3", "lead")
# questions partners asked that no FAQ entry answers (benchmarks.tools.faq_calibrate --write)
OUT_OF_SCOPE_FILE = Path(__file__).with_name("out_of_scope.yaml")
# a known out-of-scope question this close to one of the FAQ's own phrasings is answered by
# that FAQ, so it is not held against it
SHADOWED = 0.8
# a typo is at most one edit away in a short word, two in a longer one
MAX_EDITS_SHORT = 1
SHORT_WORD = 6
# naive Bayes over the pack's own phrasings, learnt at build: a word most phrasings of one
# entry share points to that entry (BM25's IDF gives such a word a low weight). Its
# posterior over the top candidates adds NB_WEIGHT x the top score (0: off).
NB_WEIGHT = 0.2
NB_ALPHA = 0.3
NB_TEMP = 1.0
NB_TOP = 20
# concept lexicon (concepts.yaml): each group of everyday words that name the same thing is
# one more term, matched by any of its words in a phrasing, an entry or an answer, so a
# situation told in words the FAQ does not use still meets it. A query word the index lacks
# adds its groups at CONCEPT_UNKNOWN; a word it knows at CONCEPT_KNOWN, half the word
# itself (1), so an exact match keeps the lead
CONCEPT_UNKNOWN = 1.5
CONCEPT_KNOWN = 0.5
# an entry indexes at most this many asked questions (faq_asked.yaml), so the index stays
# small and fast however much partners ask: `select_asked` picks the ones with new words
ASKED_PER_ENTRY = 12


_ALIAS_SURFACE = {k: v for table in (SLANG, CANON) for k, v in table.items()
                  if len(k) >= MIN_FUZZ_LEN + 1 and v and " " not in v}


@lru_cache(maxsize=1)
def _aliases() -> tuple[dict[str, str], list[str]]:
    """Slang and lexicon words, as written and as stemmed (a misspelt English word reaches
    the index stemmed: "comission" as "comiss", one edit from "commiss")."""
    target = dict(_ALIAS_SURFACE)
    for k, v in _ALIAS_SURFACE.items():
        target.setdefault(english_stem(k), v)
    return target, sorted(target)


@lru_cache(maxsize=1)
def default_out_of_scope() -> tuple[str, ...]:
    """The shipped list of known out-of-scope questions (empty when there is none)."""
    return tuple(str(q) for q in load_data_file(OUT_OF_SCOPE_FILE).get("questions") or ())


def overlap(a: set[str], b: set[str], idf: dict[str, float], unknown_idf: float) -> float:
    """IDF-weighted Jaccard of two token sets: 1 when they are the same words."""
    if not a or not b:
        return 0.0
    inter = sum(idf.get(t, unknown_idf) for t in a & b)
    return inter / (sum(idf.get(t, unknown_idf) for t in a | b) or 1.0)


class Band(enum.StrEnum):
    ANSWER = "answer"
    OFFER = "offer"
    NONE = "none"


@dataclass(frozen=True)
class Thresholds:
    answer: float = calibration.GENERIC_ANSWER
    offer: float = calibration.GENERIC_OFFER

    def band(self, confidence: float) -> Band:
        if confidence >= self.answer:
            return Band.ANSWER
        if confidence >= self.offer:
            return Band.OFFER
        return Band.NONE


@dataclass(frozen=True)
class Hit:
    entry_id: str
    score: float


@dataclass(frozen=True)
class Match:
    """The engine's verdict on one question: ranked entries, a confidence and its band."""

    band: Band
    confidence: float
    hits: tuple[Hit, ...] = ()
    tokens: tuple[str, ...] = ()
    features: tuple[float, ...] = ()
    # a message that asks the FAQ nothing: thanks, a greeting, an acknowledgement, or a
    # question with no topic ("maksudnya?"); its band is NONE and it has no hits
    chat: Chat | None = None

    @property
    def vague(self) -> bool:
        """A question with no topic: the chat should ask what it is about."""
        return self.chat is Chat.VAGUE

    @property
    def best(self) -> str | None:
        """The top entry, or None when the engine does not know."""
        return self.hits[0].entry_id if self.hits and self.band is not Band.NONE else None

    @property
    def top(self) -> str | None:
        return self.hits[0].entry_id if self.hits else None


@dataclass
class _Bm25:
    """BM25 statistics over one set of documents (token lists)."""

    docs: list[Counter[str]]
    df: Counter[str] = field(default_factory=Counter)
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)
    avg_len: float = 1.0

    def __post_init__(self) -> None:
        post: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(self.docs):
            self.lengths.append(sum(doc.values()))
            for term, tf in doc.items():
                post[term].append((i, tf))
        self.postings = dict(post)
        # one posting per document holding the term
        self.df = Counter({term: len(plist) for term, plist in self.postings.items()})
        self.avg_len = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in self.df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        # each posting's BM25 term score, computed once at build time
        norm = [K1 * (1 - B + B * length / self.avg_len) for length in self.lengths]
        k1 = K1 + 1
        self.weighted: dict[str, list[tuple[int, float]]] = {}
        for term, plist in self.postings.items():
            idf = self.idf[term] * k1
            self.weighted[term] = [(doc, idf * tf / (tf + norm[doc])) for doc, tf in plist]

    def scores(self, query: dict[str, float],
               out: dict[int, float] | None = None) -> dict[int, float]:
        """Each document's score, added to `out` when given (one pass, no merge)."""
        acc: dict[int, float] = {} if out is None else out
        get = acc.get
        for term, weight in query.items():
            postings = self.weighted.get(term)
            if not postings:
                continue
            if weight == 1.0:
                for doc, score in postings:
                    acc[doc] = get(doc, 0.0) + score
            else:
                for doc, score in postings:
                    acc[doc] = get(doc, 0.0) + weight * score
        return acc


def _group_doc(doc: Counter[str], groups: dict[str, frozenset[str]]) -> Counter[str]:
    """The concept groups a document's words belong to, each once."""
    return Counter({g for t in doc for g in groups.get(t, ())})


def _rank_key(item: tuple[int, float]) -> tuple[float, int]:
    """Higher score first; on a tie, the entry listed first in the FAQ."""
    return item[1], -item[0]


def _is_typo(word: str, known: str) -> bool:
    """One edit (a transposition counts as one) in a short word, two in a longer one."""
    limit = MAX_EDITS_SHORT if min(len(word), len(known)) <= SHORT_WORD else 2
    return OSA.distance(word, known, score_cutoff=limit) <= limit


def select_asked(entry: FaqEntry, questions: Sequence[str]) -> list[str]:
    """Up to ASKED_PER_ENTRY asked questions for an entry, each in turn the one that brings
    the most words its phrasings and the questions chosen before do not have (ties: the
    earlier)."""
    known = {t for ps in entry.questions.values() for p in ps for t in tokens(p)}
    left = [(q, set(tokens(q))) for q in dict.fromkeys(questions)]
    chosen: list[str] = []
    while left and len(chosen) < ASKED_PER_ENTRY:
        best = max(range(len(left)), key=lambda j: (len(left[j][1] - known), -j))
        question, words = left.pop(best)
        chosen.append(question)
        known |= words
    return chosen


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class ConfidenceModel:
    """A logistic regression over FEATURES (standardised) and the two band thresholds."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    answer: float
    offer: float

    def confidence(self, features: Sequence[float]) -> float:
        """The probability that the top entry is the right answer."""
        z = self.bias
        for x, mean, std, w in zip(features, self.mean, self.std, self.weights, strict=True):
            z += w * (x - mean) / (std or 1.0)
        return sigmoid(z)


GENERIC_MODEL = ConfidenceModel(calibration.GENERIC_MEAN, calibration.GENERIC_STD,
                                calibration.GENERIC_WEIGHTS, calibration.GENERIC_BIAS,
                                calibration.GENERIC_ANSWER, calibration.GENERIC_OFFER)
TUNED_MODEL = ConfidenceModel(calibration.FEATURE_MEAN, calibration.FEATURE_STD,
                              calibration.WEIGHTS, calibration.BIAS, calibration.ANSWER,
                              calibration.OFFER)


def model_for(pack: str | None) -> ConfidenceModel:
    """The shipped packs' own model for them; the generic one for any other FAQ."""
    return TUNED_MODEL if pack in calibration.TUNED_PACKS else GENERIC_MODEL


class FaqIndex:
    """One pack's FAQ, indexed once; `search` answers a question in a few milliseconds."""

    def __init__(self, entries: Sequence[FaqEntry], thresholds: Thresholds | None = None,
                 out_of_scope: Sequence[str] | None = None,
                 asked: Mapping[str, Sequence[str]] | None = None,
                 model: ConfidenceModel | None = None, pack: str | None = None):
        self.entries = list(entries)
        self.by_id = {e.id: e for e in self.entries}
        # a pack calibrated on its own development data (the shipped packs) keeps its model,
        # its topic lexicon and its list of known out-of-scope questions; any other FAQ gets
        # the generic model, fitted on FAQs of other programs, and the everyday lexicon only
        self.tuned = pack in calibration.TUNED_PACKS
        self._answer_weight = TUNED_ANSWER_WEIGHT if self.tuned else ANSWER_WEIGHT
        self.model = model or model_for(pack)
        self.thresholds = thresholds or Thresholds(self.model.answer, self.model.offer)
        if out_of_scope is None:
            out_of_scope = default_out_of_scope() if self.tuned else ()
        phrase_docs: list[Counter[str]] = []
        self.phrase_entry: list[int] = []
        self.phrase_text: list[str] = []
        entry_docs: list[Counter[str]] = []
        answer_docs: list[Counter[str]] = []
        for i, entry in enumerate(self.entries):
            union: Counter[str] = Counter()
            own = [p for lang in sorted(entry.questions) for p in entry.questions[lang]]
            # questions partners asked that a coach filed under this entry are more
            # phrasings: they tell the situation in partners' own words
            extra = list((asked or {}).get(entry.id, ()))[:ASKED_PER_ENTRY]
            for phrasing in own + extra:
                toks = tokens(phrasing)
                phrase_docs.append(Counter(toks))
                self.phrase_entry.append(i)
                self.phrase_text.append(" ".join(toks))
                union.update(set(toks))
            entry_docs.append(union)
            answer_docs.append(Counter(tokens(entry.answer.id) + tokens(entry.answer.en)))
        self.phrases = _Bm25(phrase_docs)
        # each phrasing's BM25 score against itself: a match is measured against it
        self._self_score = [0.0] * len(phrase_docs)
        for postings in self.phrases.weighted.values():
            for doc, score in postings:
                self._self_score[doc] += score
        self._n_phrasings = Counter(self.phrase_entry)
        # the scale of this FAQ's scores: the median phrasing's score against itself
        scale = sorted(self._self_score)
        self._scale = (scale[len(scale) // 2] if scale else 0.0) or 1.0
        groups = self._groups = concept_groups(self.tuned)
        self._group_phrases = _Bm25([_group_doc(d, groups) for d in phrase_docs])
        self._group_entries = _Bm25([_group_doc(d, groups) for d in entry_docs])
        self._group_answers = _Bm25([_group_doc(d, groups) for d in answer_docs])
        self._build_bayes(phrase_docs)
        self.entry_bm25 = _Bm25(entry_docs)
        self.answers = _Bm25(answer_docs)
        self.vocab = sorted(set(self.phrases.df) | set(self.answers.df))
        self._vocab_set = set(self.vocab)
        self._by_len: dict[int, list[str]] = defaultdict(list)
        for term in self.vocab:
            self._by_len[len(term)].append(term)
        self._near_len: dict[int, list[str]] = {}
        _aliases()  # built once here, not on the first question
        self._resolved: dict[str, tuple[tuple[str, float], ...]] = {}
        self._build_out_of_scope(out_of_scope)

    def _build_bayes(self, docs: list[Counter[str]]) -> None:
        """Per word, log(1 + count/alpha) for each entry whose phrasings use it; per entry,
        the log of its smoothed length. Their sum is a multinomial log-likelihood up to a
        term shared by all entries."""
        counts: dict[str, Counter[int]] = defaultdict(Counter)
        sizes = [0] * len(self.entries)
        for doc, entry in zip(docs, self.phrase_entry, strict=True):
            for term, tf in doc.items():
                counts[term][entry] += tf
            sizes[entry] += sum(doc.values())
        smooth = NB_ALPHA * len(counts)
        self._nb_norm = [math.log(n + smooth) for n in sizes]
        self._nb_terms = {t: [(e, math.log1p(c / NB_ALPHA)) for e, c in per.items()]
                          for t, per in counts.items()}

    def _bayes(self, query: dict[str, float], cands: Sequence[int]) -> dict[int, float]:
        """Posterior of each candidate entry given the query words the phrasings know."""
        known = [(t, w) for t, w in query.items() if t in self._nb_terms]
        total_w = sum(w for _, w in known)
        ll = {e: -total_w * self._nb_norm[e] for e in cands}
        for t, w in known:
            for e, v in self._nb_terms[t]:
                if e in ll:
                    ll[e] += w * v
        top = max(ll.values())
        exp = {e: math.exp((v - top) / NB_TEMP) for e, v in ll.items()}
        z = sum(exp.values())
        return {e: v / z for e, v in exp.items()}

    def _build_out_of_scope(self, questions: Sequence[str]) -> None:
        """Known out-of-scope questions, as token sets behind a word index; one that one of
        this FAQ's phrasings already says is left out."""
        idf, top = self.phrases.idf, self.phrases.max_idf
        self.out_of_scope: list[set[str]] = []
        self._oos_postings: dict[str, list[int]] = defaultdict(list)
        for q in questions:
            toks = set(tokens(q))
            if not toks:
                continue
            # a phrasing this close shares the question's rarest word
            rarest = max(toks, key=lambda t: idf.get(t, top))
            if any(overlap(toks, set(self.phrases.docs[doc]), idf, top) >= SHADOWED
                   for doc, _ in self.phrases.postings.get(rarest, ())):
                continue
            for t in toks:
                self._oos_postings[t].append(len(self.out_of_scope))
            self.out_of_scope.append(toks)

    def _nearest_out_of_scope(self, toks: set[str]) -> float:
        idf, top = self.phrases.idf, self.phrases.max_idf
        near = {i for t in toks for i in self._oos_postings.get(t, ())}
        return max((overlap(toks, self.out_of_scope[i], idf, top) for i in near), default=0.0)

    def __len__(self) -> int:
        return len(self.entries)

    def answer(self, entry_id: str, lang: str) -> str:
        return self.by_id[entry_id].answer.get(lang)

    def label(self, entry_id: str, lang: str) -> str:
        """A short name for an entry: its first phrasing in the language."""
        entry = self.by_id[entry_id]
        return (entry.questions.get(lang) or entry.questions["id"])[0]

    def _near_length(self, n: int) -> list[str]:
        """Index terms a typo of an n-letter word can be (at most two letters longer or
        shorter): the fuzzy search compares with these only."""
        near = self._near_len.get(n)
        if near is None:
            near = self._near_len[n] = [t for m in range(n - 2, n + 3)
                                        for t in self._by_len.get(m, ())]
        return near

    def _resolve(self, token: str) -> tuple[tuple[str, float], ...]:
        """Maps a query token to index terms: itself, a loanword without its prefix, or the
        closest spelling (typos) with a weight below one."""
        if token in self._vocab_set:
            return ((token, 1.0),)
        cached = self._resolved.get(token)
        if cached is not None:
            return cached
        found: tuple[tuple[str, float], ...] = ()
        for prefix in PREFIXES:
            rest = token[len(prefix):]
            if token.startswith(prefix) and len(rest) >= 3:
                # a loanword under a prefix, as indexed or folded: diupload, dicancel
                term = rest if rest in self._vocab_set else stem(rest)
                if term in self._vocab_set:
                    found = ((term, 1.0),)
                    break
        if not found:
            root = nasal_root(token)
            if root is not None and root in self._vocab_set:
                found = ((root, 1.0),)
        # a correctly spelt Indonesian word is a word, not a typo: "hapus" is not "harus"
        if (not found and len(token) >= MIN_FUZZ_LEN and not token.isdigit()
                and not is_indonesian_root(token)):
            best = process.extractOne(token, self._near_length(len(token)), scorer=fuzz.ratio,
                                      score_cutoff=FUZZ_CUTOFF)
            if best is not None and _is_typo(token, best[0]):
                found = ((best[0], best[1] / 100.0),)
            else:  # a misspelt alias ("acount" for "account", folded into "akun")
                alias_target, aliases = _aliases()
                alias = process.extractOne(token, aliases, scorer=fuzz.ratio,
                                           score_cutoff=FUZZ_CUTOFF)
                if alias is not None and _is_typo(token, alias[0]):
                    target = stem(alias_target[alias[0]])
                    if target in self._vocab_set:
                        found = ((target, alias[1] / 100.0),)
        if len(self._resolved) > 50_000:
            self._resolved.clear()
        self._resolved[token] = found
        return found

    def search(self, text: str, k: int = 3, without: int | None = None) -> Match:
        """Ranks entries for a question and says how sure it is (`without`: as if the
        entry at that position were not in the FAQ)."""
        toks = tokens(text)
        # small talk ("good morning!", "makasih min"), a question with no topic
        # ("maksudnya?") and pasted code ask nothing
        chat = classify(text)
        if chat is None and is_chitchat(text):
            chat = Chat.ACK
        if chat is not None:
            return Match(Band.NONE, 0.0, (), tuple(toks), chat=chat)
        if not toks or not self.entries or is_code(text):
            return Match(Band.NONE, 0.0, (), tuple(toks))
        query: dict[str, float] = {}
        group_query: dict[str, float] = {}
        groups = self._groups
        # every query word counts in the coverage, known or not: an unknown word is news
        mass: list[tuple[float, tuple[tuple[str, float], ...]]] = []
        for tok in dict.fromkeys(toks):
            resolved = self._resolve(tok)
            for term, w in resolved:
                query[term] = max(query.get(term, 0.0), w)
            # the word's concept groups, below an exact match when the index knows it
            weight = CONCEPT_KNOWN if resolved else CONCEPT_UNKNOWN
            if weight:  # 0: the lexicon is off
                for g in groups.get(resolved[0][0] if resolved else tok, ()):
                    group_query[g] = max(group_query.get(g, 0.0), weight)
            idf = max((self.phrases.idf.get(t, self.phrases.max_idf) for t, _ in resolved),
                      default=self.phrases.max_idf)
            mass.append((idf, resolved))
        phrase_scores = self.phrases.scores(query)
        if group_query:
            self._group_phrases.scores(group_query, phrase_scores)
        best_phrase: dict[int, tuple[float, int]] = {}
        for doc, score in phrase_scores.items():
            entry = self.phrase_entry[doc]
            if entry not in best_phrase or score > best_phrase[entry][0]:
                best_phrase[entry] = (score, doc)
        entry_scores = self.entry_bm25.scores(query)
        answer_scores = self.answers.scores(query)
        if group_query:
            self._group_entries.scores(group_query, entry_scores)
            self._group_answers.scores(group_query, answer_scores)
        totals: dict[int, float] = {}
        for entry in (set(best_phrase) | set(entry_scores) | set(answer_scores)) - {without}:
            totals[entry] = (best_phrase.get(entry, (0.0, -1))[0]
                             + ENTRY_WEIGHT * entry_scores.get(entry, 0.0)
                             + self._answer_weight * answer_scores.get(entry, 0.0))
        if not totals:
            return Match(Band.NONE, 0.0, (), tuple(toks))
        posterior: dict[int, float] = {}
        if NB_WEIGHT:
            # the top NB_TOP only: a heap, not a sort of every scored entry
            cands = [e for e, _ in heapq.nlargest(NB_TOP, totals.items(), key=_rank_key)]
            lift = NB_WEIGHT * totals[cands[0]]
            posterior = self._bayes(query, cands)
            for e, p in posterior.items():
                totals[e] += lift * p
        ranked = heapq.nlargest(max(k, 10), totals.items(), key=_rank_key)
        top, s1 = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        s3 = ranked[2][1] if len(ranked) > 2 else 0.0
        phrase_score, phrase = best_phrase.get(top, (0.0, -1))
        features = self._features(top, phrase, mass, toks, s1, s2)
        extra = (
            sum(idf * max((w for t, w in resolved if t in self.answers.docs[top]),
                          default=0.0) for idf, resolved in mass)
            / (sum(idf for idf, _ in mass) or 1.0),
            min(self._n_phrasings[top], 20) / 20,
            min(phrase_score / self._self_score[phrase], 2.0) / 2 if phrase >= 0
            and self._self_score[phrase] > 0 else 0.0,
            (s1 - s3) / s1 if s1 > 0 else 0.0,
            posterior.get(top, 0.0),
            s1 / (sum(s for _, s in ranked) or 1.0),
            min(s1 / self._scale, 6.0) / 6,
            min((s1 - s2) / self._scale, 3.0) / 3,
        )
        features = features + extra
        # no match is ever certain: 1.000 would say it is
        conf = min(self.model.confidence(features), MAX_CONFIDENCE)
        hits = tuple(Hit(self.entries[i].id, round(s, 4)) for i, s in ranked[:k])
        return Match(self.thresholds.band(conf), conf, hits, tuple(toks), features)

    def _features(self, entry: int, phrase: int,
                  mass: list[tuple[float, tuple[tuple[str, float], ...]]],
                  toks: list[str], s1: float, s2: float) -> tuple[float, ...]:
        union = self.entry_bm25.docs[entry]
        total = sum(idf for idf, _ in mass) or 1.0
        covered = sum(idf * max((w for t, w in resolved if t in union), default=0.0)
                      for idf, resolved in mass)
        query_terms = {t for _, resolved in mass for t, _ in resolved}
        phrase_cov = 0.0
        similarity = 0.0
        if phrase >= 0:
            doc = self.phrases.docs[phrase]
            p_total = sum(self.phrases.idf[t] for t in doc) or 1.0
            phrase_cov = sum(self.phrases.idf[t] for t in doc if t in query_terms) / p_total
            similarity = fuzz.token_sort_ratio(" ".join(toks), self.phrase_text[phrase]) / 100
        margin = (s1 - s2) / s1 if s1 > 0 else 0.0
        # the most distinctive query word the entry does not explain (an unknown word counts
        # as the rarest): "hapus akun" is not answered by an entry about "akun" alone
        max_idf = self.phrases.max_idf
        uncovered = max((idf for idf, resolved in mass
                         if not any(t in union for t, _ in resolved)), default=0.0) / max_idf
        matched = len({t for _, resolved in mass for t, _ in resolved if t in union})
        # the share of the question (IDF-weighted) that no entry of the whole FAQ knows
        unknown = sum(idf for idf, resolved in mass if not resolved) / total
        eidf = self.entry_bm25.idf
        rare = max((eidf.get(t, 0.0) for t in query_terms if t in union),
                   default=0.0) / self.entry_bm25.max_idf
        n_unknown = sum(1 for _, resolved in mass if not resolved)
        uncovered_known = max((idf for idf, resolved in mass if resolved
                               and not any(t in union for t, _ in resolved)),
                              default=0.0) / max_idf
        # how close the question is to a known out-of-scope one, and by how much it is
        # closer to that than to the top entry's best phrasing
        query_set = set(toks)
        oos = self._nearest_out_of_scope(query_set)
        own = (overlap(query_set, set(self.phrases.docs[phrase]), self.phrases.idf,
                       self.phrases.max_idf) if phrase >= 0 else 0.0)
        return (covered / total, phrase_cov, margin, similarity, min(len(toks), 5) / 5,
                uncovered, min(matched, 3) / 3, unknown, rare, min(n_unknown, 3) / 3,
                uncovered_known, oos, oos - own)
