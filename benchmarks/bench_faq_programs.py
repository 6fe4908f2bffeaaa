"""FAQ engine on FAQs it has never seen: other partner programs' FAQs, leave one FAQ out.

benchmarks/faq_programs/<program>/ holds a FAQ written for another partner program and
chat questions about it by a separate author who never ran the engine (20% out of scope,
some of them vague). Each development program is held out in turn: the generic confidence
model and its thresholds are fitted (faq_calibrate.fit_generic) on the other programs
and on the shipped packs' bare FAQs, never on the held-out program's entries or questions;
the held-out FAQ is then indexed as any new FAQ is (no asked questions, no out-of-scope
list) and its questions asked.

    .venv/bin/python -m benchmarks.bench_faq_programs          # leave one FAQ out
    .venv/bin/python -m benchmarks.bench_faq_programs --final  # the held-out program, once

`--final` asks the final held-out program's questions of the shipped engine (the generic
model in handlers/faq/engine/calibration.py, fitted on all development programs). Run it once, at
end of a round, and report what it gives.

Per program: top1 (in scope: the right entry answered or offered first), oos_reject (out of
scope and vague: neither answered nor offered), precision (direct answers that are right),
answered (share of all questions answered directly), rank1 (the right entry first, at any
confidence). Targets (issue 14): top1 >= 0.90, oos_reject >= 0.85, precision >= 0.95.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from benchmarks.tools.faq_calibrate import (
    CASE_FILES,
    DEV_PROGRAMS,
    FINAL_PROGRAM,
    Program,
    fit_generic,
    generic_training,
    load_all,
    load_program,
    shipped_faqs,
)
from handlers.faq.engine.evaluate import CaseResult, run
from handlers.faq.engine.index import GENERIC_MODEL, Band, ConfidenceModel, FaqIndex


@dataclass(frozen=True)
class Figures:
    inscope: int
    right: int  # in scope, the right entry answered or offered first
    ranked: int  # in scope, the right entry first at any confidence
    oos: int
    rejected: int
    answered: int
    answered_right: int
    cases: int

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self) -> tuple[int, ...]:
        return (self.inscope, self.right, self.ranked, self.oos, self.rejected, self.answered,
                self.answered_right, self.cases)

    def line(self) -> str:
        return (f"top1={self.right / max(self.inscope, 1):.3f} "
                f"oos_reject={self.rejected / max(self.oos, 1):.3f} "
                f"precision={self.answered_right / max(self.answered, 1):.3f} "
                f"answered={self.answered / max(self.cases, 1):.3f} "
                f"rank1={self.ranked / max(self.inscope, 1):.3f} cases={self.cases}")


def figures(results: list[CaseResult]) -> Figures:
    inscope = [r for r in results if r.case.expect is not None]
    answered = [r for r in results if r.match.band is Band.ANSWER]
    return Figures(
        inscope=len(inscope), right=sum(r.ok for r in inscope),
        ranked=sum(r.match.top == r.case.expect for r in inscope),
        oos=len(results) - len(inscope),
        rejected=sum(r.ok for r in results if r.case.expect is None),
        answered=len(answered),
        answered_right=sum(r.match.top == r.case.expect for r in answered),
        cases=len(results))


def evaluate(program: Program, model: ConfidenceModel) -> Figures:
    """The program's questions asked of its FAQ, indexed as a new FAQ is, with `model`."""
    index = FaqIndex(program.entries, model=model)
    return figures(run(program.cases, lambda _case: index))


def leave_one_out() -> None:
    """Each development program held out in turn."""
    programs = [load_program(name) for name in DEV_PROGRAMS]
    # the shipped packs' development questions, asked of their bare FAQs: training data of
    # every fold (never a program's)
    groups = generic_training(programs, shipped_faqs(), load_all(CASE_FILES))
    total = Figures(0, 0, 0, 0, 0, 0, 0, 0)
    print("each program held out in turn (generic model and thresholds fitted without it)")
    print("| program | entries | top1 | oos_reject | precision | answered | rank1 | cases |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for program in programs:
        rest = {g: rows for g, rows in groups.items() if g != program.name}
        model = fit_generic(rest, [p for p in DEV_PROGRAMS if p != program.name]).engine()
        got = evaluate(program, model)
        total += got
        print(_row(program.name, len(program.entries), got)
              + f"  (answer {model.answer:.2f}, offer {model.offer:.2f})")
    print(_row("pooled", sum(len(p.entries) for p in programs), total))
    print(f"\npooled: {total.line()}")


def _row(name: str, entries: int, f: Figures) -> str:
    return (f"| {name} | {entries} | {f.right / max(f.inscope, 1):.3f} | "
            f"{f.rejected / max(f.oos, 1):.3f} | "
            f"{f.answered_right / max(f.answered, 1):.3f} | "
            f"{f.answered / max(f.cases, 1):.3f} | {f.ranked / max(f.inscope, 1):.3f} | "
            f"{f.cases} |")


def final() -> None:
    """The final held-out program, asked of the shipped engine's generic model."""
    program = load_program(FINAL_PROGRAM)
    got = evaluate(program, GENERIC_MODEL)
    print(f"{FINAL_PROGRAM} (final held-out program, shipped generic model "
          f"answer {GENERIC_MODEL.answer:.2f} offer {GENERIC_MODEL.offer:.2f}):")
    print(got.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--final", action="store_true",
                        help=f"evaluate {FINAL_PROGRAM} once with the shipped engine")
    args = parser.parse_args()
    if args.final:
        final()
    else:
        leave_one_out()


if __name__ == "__main__":
    main()
