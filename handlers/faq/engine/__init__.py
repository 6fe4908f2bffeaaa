"""The FAQ engine: chat Indonesian and English questions matched to a pack's FAQ entries."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from content.loader import Pack, PackLibrary
from content.schema import Faq, FaqEntry
from handlers.faq.engine.index import (
    Band,
    ConfidenceModel,
    FaqIndex,
    Hit,
    Match,
    Thresholds,
    model_for,
)
from handlers.faq.engine.text import Chat, classify

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

__all__ = ["Band", "Chat", "ConfidenceModel", "FaqEngines", "FaqIndex", "Hit", "Match",
           "Thresholds", "classify", "load_faq_file", "model_for", "thresholds_for"]


def load_faq_file(path: Path) -> list[FaqEntry]:
    """Reads a stand-alone FAQ file (`entries: [...]`, the same form as a pack's faq.yaml)."""
    with Path(path).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return list(Faq.model_validate(data).entries)


def thresholds_for(settings: Settings | None, pack: str | None = None) -> Thresholds:
    """The calibrated bands of a pack's model (the generic one for a FAQ of no shipped pack),
    unless the deployment overrides them in its settings."""
    model = model_for(pack)
    base = Thresholds(model.answer, model.offer)
    if settings is None:
        return base
    answer, offer = settings.faq_answer_threshold, settings.faq_offer_threshold
    return Thresholds(answer=base.answer if answer is None else answer,
                      offer=base.offer if offer is None else offer)


class FaqEngines:
    """One index per pack, built once at start-up and shared by every message."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings
        self.thresholds = thresholds_for(settings)
        self._indexes: dict[str, FaqIndex] = {}

    @classmethod
    def build(cls, library: PackLibrary, settings: Settings | None = None) -> FaqEngines:
        engines = cls(settings)
        for pack in library.packs.values():
            engines.for_pack(pack)
        return engines

    def for_pack(self, pack: Pack) -> FaqIndex:
        index = self._indexes.get(pack.id)
        if index is None:
            started = time.perf_counter()
            index = self._indexes[pack.id] = FaqIndex(
                pack.faq, thresholds_for(self.settings, pack.id), asked=pack.faq_asked,
                pack=pack.id)
            log.info("FAQ index for %s: %d entries in %.1f ms", pack.id, len(index),
                     (time.perf_counter() - started) * 1000)
        return index
