"""Runs every benchmark module in turn (`make bench`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    only = set(sys.argv[1:])
    for mod in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if not mod.name.startswith("bench_") or (only and mod.name not in only):
            continue
        print(f"\n=== {mod.name} ===", flush=True)
        importlib.import_module(f"benchmarks.{mod.name}").main()


if __name__ == "__main__":
    main()
