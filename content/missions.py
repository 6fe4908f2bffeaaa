"""Practice missions as coaches write them (`missions.yaml`): what to do, why, what counts
as proof, by when, and an optional target."""

from __future__ import annotations

import enum

from pydantic import Field, field_validator, model_validator

from content.schema import Ident, Strict, Text


class ProofKind(enum.StrEnum):
    LINK = "link"
    PHOTO = "photo"  # a screenshot
    DOCUMENT = "document"
    NUMBER = "number"  # sales, views, bookings


class CalendarEvent(enum.StrEnum):
    TWIN_DATE = "twin_date"  # 1.1, 2.2, … 12.12
    PAYDAY = "payday"  # the 25th


class Due(Strict):
    """When a mission is due, counted from the moment it unlocks: `days` after it, or
    `days_after` the next calendar `event` (the day after 8.8 is `event: twin_date`,
    `days_after: 1`)."""

    days: int | None = Field(default=None, ge=1, le=90)
    event: CalendarEvent | None = None
    days_after: int = Field(default=1, ge=0, le=14)

    @model_validator(mode="after")
    def _one_way(self) -> Due:
        if (self.days is None) == (self.event is None):
            raise ValueError("give either days or event")
        return self


class Target(Strict):
    """A number the partner aims for (e.g. 10 sales); reaching it is recognised."""

    value: int = Field(ge=1)
    unit: Text


class Mission(Strict):
    id: Ident
    title: Text
    why: Text
    proof: list[ProofKind] = Field(min_length=1)
    # what counts as proof, in the coaches' words
    proof_hint: Text
    # the module whose completion unlocks the mission (None: open from the start)
    after: Ident | None = None
    due: Due
    target: Target | None = None
    # needed, with the final quiz, for the certificate
    required: bool = False

    @field_validator("proof")
    @classmethod
    def _distinct(cls, v: list[ProofKind]) -> list[ProofKind]:
        if len(set(v)) != len(v):
            raise ValueError("a proof kind is listed twice")
        return v

    @model_validator(mode="after")
    def _target_needs_number(self) -> Mission:
        if self.target is not None and ProofKind.NUMBER not in self.proof:
            raise ValueError("a target needs `number` among the proof kinds")
        return self


class Missions(Strict):
    missions: list[Mission] = Field(default_factory=list)

    @field_validator("missions")
    @classmethod
    def _unique(cls, v: list[Mission]) -> list[Mission]:
        ids = [m.id for m in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate mission id {', '.join(dupes)}")
        return v
