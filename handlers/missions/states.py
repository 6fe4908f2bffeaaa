"""Where missions hold a partner (or a coach writing feedback)."""

from __future__ import annotations

import enum


class MissionState(enum.StrEnum):
    PROOF = "mission_proof"  # position: the mission the next message is proof for
    REFLECT = "mission_reflect"  # position: the mission the next message reflects on
    FEEDBACK = "mission_feedback"  # a coach; position: the submission their text answers
