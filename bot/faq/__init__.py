"""The FAQ engine: chat Indonesian and English questions matched to a pack's FAQ entries."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import yaml

from bot.faq.index import Band, FaqIndex, Hit, Match, Thresholds
from content.loader import Pack, PackLibrary
from content.schema import Faq, FaqEntry

log = logging.getLogger(__name__)

__all__ = ["Band", "FaqEngines", "FaqIndex", "Hit", "Match", "Thresholds", "load_faq_file"]


def load_faq_file(path: Path) -> list[FaqEntry]:
    """Reads a stand-alone FAQ file (`entries: [...]`, the same form as a pack's faq.yaml)."""
    with Path(path).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return list(Faq.model_validate(data).entries)


class FaqEngines:
    """One index per pack, built once at start-up and shared by every message."""

    def __init__(self, thresholds: Thresholds | None = None):
        self.thresholds = thresholds or Thresholds()
        self._indexes: dict[str, FaqIndex] = {}

    @classmethod
    def build(cls, library: PackLibrary, thresholds: Thresholds | None = None) -> FaqEngines:
        engines = cls(thresholds)
        for pack in library.packs.values():
            engines.for_pack(pack)
        return engines

    def for_pack(self, pack: Pack) -> FaqIndex:
        index = self._indexes.get(pack.id)
        if index is None:
            started = time.perf_counter()
            index = self._indexes[pack.id] = FaqIndex(pack.faq, self.thresholds)
            log.info("FAQ index for %s: %d entries in %.1f ms", pack.id, len(index),
                     (time.perf_counter() - started) * 1000)
        return index
