"""Measures the engine on a cases file: top-1 accuracy, out-of-scope rejection, latency."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from handlers.faq.engine.index import Band, FaqIndex, Match


@dataclass(frozen=True)
class Case:
    q: str
    lang: str
    expect: str | None
    pack: str | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    match: Match
    ms: float

    @property
    def ok(self) -> bool:
        """In scope: the expected entry ranks first and is answered or offered first.
        Out of scope: the engine does not answer (it says it does not know)."""
        if self.case.expect is None:
            return self.match.band is Band.NONE
        return self.match.band is not Band.NONE and self.match.top == self.case.expect


@dataclass(frozen=True)
class Summary:
    top1: float
    oos_reject: float
    p50_ms: float
    p99_ms: float
    cases: int

    def line(self) -> str:
        return (f"top1={self.top1:.3f} oos_reject={self.oos_reject:.3f} "
                f"p50_ms={self.p50_ms:.2f} p99_ms={self.p99_ms:.2f} cases={self.cases}")


def load_cases(path: Path) -> list[Case]:
    with Path(path).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    out = []
    for raw in data.get("cases") or []:
        expect = raw.get("expect")
        out.append(Case(str(raw["q"]), str(raw.get("lang") or "id"),
                        str(expect) if expect is not None else None,
                        str(raw["pack"]) if raw.get("pack") else None))
    return out


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(cases: list[Case], index_for: Callable[[Case], FaqIndex | None]) -> list[CaseResult]:
    results = []
    for case in cases:
        index = index_for(case)
        if index is None:
            continue
        started = time.perf_counter()
        match = index.search(case.q)
        results.append(CaseResult(case, match, (time.perf_counter() - started) * 1000))
    return results


def summarize(results: list[CaseResult]) -> Summary:
    inscope = [r for r in results if r.case.expect is not None]
    oos = [r for r in results if r.case.expect is None]
    times = [r.ms for r in results]
    return Summary(
        top1=sum(r.ok for r in inscope) / len(inscope) if inscope else 0.0,
        oos_reject=sum(r.ok for r in oos) / len(oos) if oos else 0.0,
        p50_ms=statistics.median(times) if times else 0.0,
        p99_ms=percentile(times, 99),
        cases=len(results))
