"""Loads a pack folder into validated models and reports every problem with its place."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.i18n import fill
from content.missions import Mission, Missions
from content.schema import (
    LANGS,
    Assessment,
    Faq,
    FaqAsked,
    FaqEntry,
    Module,
    Nudges,
    PackMeta,
    Quiz,
    StepKind,
    Text,
)

M = TypeVar("M", bound=BaseModel)

PACKS_DIR = Path(__file__).parent / "packs"
UI_DIR = Path(__file__).parent / "ui"
# what a WhatsApp template parameter may name besides a text key
TEMPLATE_SOURCES = frozenset({"text", "name"})


@dataclass(frozen=True)
class PackError:
    file: str
    path: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.problem}"


class PackInvalid(Exception):
    def __init__(self, errors: list[PackError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Pack:
    """A loaded, cross-checked pack: what handlers read at run time."""

    meta: PackMeta
    root: Path
    modules: dict[str, Module]
    final_quiz: Quiz
    assessment: Assessment
    faq: list[FaqEntry]
    nudges: Nudges
    messages: dict[str, Text] = field(default_factory=dict)
    # questions partners asked, by FAQ entry id (faq_asked.yaml)
    faq_asked: dict[str, list[str]] = field(default_factory=dict)
    # practice missions by id, in the order written (missions.yaml)
    missions: dict[str, Mission] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def module_order(self) -> list[str]:
        return list(self.meta.modules)

    def quiz(self, quiz_id: str) -> Quiz | None:
        """Returns a module's quiz by module id, or the final quiz for 'final'."""
        if quiz_id == "final":
            return self.final_quiz
        module = self.modules.get(quiz_id)
        return module.quiz if module else None

    def next_module(self, module_id: str) -> str | None:
        order = self.module_order
        i = order.index(module_id) if module_id in order else -1
        return order[i + 1] if 0 <= i < len(order) - 1 else None

    def summary(self) -> str:
        steps = [s for m in self.modules.values() for s in m.steps]
        quiz_q = sum(len(m.quiz.questions) for m in self.modules.values() if m.quiz)
        quiz_q += len(self.final_quiz.questions)
        return (
            f"{self.id}: modules={len(self.modules)} steps={len(steps)} "
            f"reflective={sum(s.kind is StepKind.REFLECT for s in steps)} "
            f"checks={sum(s.kind is StepKind.CHECK for s in steps)} "
            f"quiz_questions={quiz_q} assessment={len(self.assessment.statements)} "
            f"faq={len(self.faq)} langs={','.join(self.meta.languages)}"
            f" missions={len(self.missions)}"
        )


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_UNREADABLE = object()  # already reported: no second "file is empty" for the same file


def _read_yaml(path: Path, root: Path, errors: list[PackError]) -> Any:
    rel = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        errors.append(PackError(rel, "", "file is missing"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        errors.append(PackError(rel, where, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
    return _UNREADABLE


def _validate(
    model: type[M], data: Any, rel: str, errors: list[PackError]
) -> M | None:
    if data is _UNREADABLE:
        return None
    if data is None:
        errors.append(PackError(rel, "", "file is empty"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "missing " + ("translation" if err["loc"][-1] in LANGS else "key")
            errors.append(PackError(rel, _loc(err["loc"]), msg))
        return None


def _placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def load_ui_defaults(ui_dir: Path = UI_DIR) -> dict[str, Text]:
    """Loads the built-in UI messages every pack may override."""
    errors: list[PackError] = []
    merged: dict[str, Text] = {}
    for path in sorted(ui_dir.glob("*.yaml")):
        data = _read_yaml(path, ui_dir, errors)
        data = data if isinstance(data, dict) else {}
        for key, raw in data.items():
            text = _validate(Text, raw, f"{path.name}", errors)
            if key in merged:
                errors.append(PackError(path.name, key, "duplicate message key"))
            if text:
                merged[key] = text
    if errors:
        raise PackInvalid(errors)
    return merged


def load_pack(root: Path, ui_defaults: dict[str, Text] | None = None) -> Pack:
    """Loads and cross-checks one pack folder; raises PackInvalid with every problem."""
    root = Path(root)
    errors: list[PackError] = []
    name = root.name

    def rel(path: Path) -> str:
        return f"{name}/{path.relative_to(root)}"

    if not root.is_dir():
        raise PackInvalid([PackError(str(root), "", "pack folder does not exist")])
    meta = _validate(PackMeta, _read_yaml(root / "pack.yaml", root, errors),
                     rel(root / "pack.yaml"), errors)
    modules: dict[str, Module] = {}
    module_files: dict[str, str] = {}
    for path in sorted((root / "modules").glob("*.yaml")):
        mod = _validate(Module, _read_yaml(path, root, errors), rel(path), errors)
        if mod is None:
            continue
        if mod.id in modules:
            errors.append(PackError(rel(path), "id",
                                    f"duplicate module id '{mod.id}' "
                                    f"(also in {module_files[mod.id]})"))
            continue
        modules[mod.id] = mod
        module_files[mod.id] = rel(path)
    final_quiz = _validate(Quiz, _read_yaml(root / "final_quiz.yaml", root, errors),
                           rel(root / "final_quiz.yaml"), errors)
    assessment = _validate(Assessment, _read_yaml(root / "assessment.yaml", root, errors),
                           rel(root / "assessment.yaml"), errors)
    faq_path = root / "faq.yaml"
    faq = (_validate(Faq, _read_yaml(faq_path, root, errors), rel(faq_path), errors)
           if faq_path.exists() else Faq())
    asked_path = root / "faq_asked.yaml"
    asked = (_validate(FaqAsked, _read_yaml(asked_path, root, errors), rel(asked_path), errors)
             if asked_path.exists() else FaqAsked())
    nudges = _validate(Nudges, _read_yaml(root / "nudges.yaml", root, errors),
                       rel(root / "nudges.yaml"), errors)
    messages: dict[str, Text] = {}
    msg_path = root / "messages.yaml"
    if msg_path.exists():
        raw = _read_yaml(msg_path, root, errors)
        raw = {} if raw is _UNREADABLE or raw is None else raw
        defaults = ui_defaults if ui_defaults is not None else load_ui_defaults()
        if not isinstance(raw, dict):
            errors.append(PackError(rel(msg_path), "", "must map message keys to texts"))
            raw = {}
        for key, value in raw.items():
            if key not in defaults:
                errors.append(PackError(rel(msg_path), str(key), "unknown message key"))
                continue
            text = _validate(Text, value, rel(msg_path), errors)
            if text is None:
                continue
            want = _placeholders(defaults[key].id) | _placeholders(defaults[key].en)
            for lang in LANGS:
                extra = _placeholders(text.get(lang)) - want
                if extra:
                    errors.append(PackError(rel(msg_path), f"{key}.{lang}",
                                            f"unknown placeholder {{{sorted(extra)[0]}}}"))
            messages[key] = text

    if meta is not None:
        for i, mid in enumerate(meta.modules):
            if mid not in modules and not any(e.file == module_files.get(mid) for e in errors):
                errors.append(PackError(rel(root / "pack.yaml"), f"modules[{i}]",
                                        f"reference to a missing module '{mid}'"))
        if meta.promotion_module and meta.promotion_module not in meta.modules:
            errors.append(PackError(rel(root / "pack.yaml"), "promotion_module",
                                    f"reference to a missing module '{meta.promotion_module}'"))
        for mid in modules:
            if mid not in meta.modules:
                errors.append(PackError(module_files[mid], "id",
                                        f"module '{mid}' is not listed in pack.yaml modules"))
        known = ui_defaults if ui_defaults is not None else load_ui_defaults()
        for i, tpl in enumerate(meta.whatsapp_templates):
            for j, source in enumerate(tpl.parameters):
                if source not in TEMPLATE_SOURCES and source not in known:
                    errors.append(PackError(
                        rel(root / "pack.yaml"), f"whatsapp_templates[{i}].parameters[{j}]",
                        f"'{source}' is neither a text key nor one of "
                        f"{', '.join(sorted(TEMPLATE_SOURCES))}"))
    for mid, mod in modules.items():
        for i, req in enumerate(mod.requires):
            if req not in modules:
                errors.append(PackError(module_files[mid], f"requires[{i}]",
                                        f"reference to a missing module '{req}'"))
    if faq is not None:
        seen: set[str] = set()
        for i, entry in enumerate(faq.entries):
            if entry.id in seen:
                errors.append(PackError(rel(faq_path), f"entries[{i}].id",
                                        f"duplicate FAQ id '{entry.id}'"))
            seen.add(entry.id)
        sections = ((("taught", asked.taught), ("asked", asked.asked))
                    if asked is not None else ())
        for key, section in sections:
            for entry_id in section:
                if entry_id not in seen:
                    errors.append(PackError(rel(asked_path), f"{key}.{entry_id}",
                                            f"reference to a missing FAQ entry '{entry_id}'"))
    if assessment is not None:
        ids = [s.id for s in assessment.statements]
        for i, sid in enumerate(ids):
            if ids.index(sid) != i:
                errors.append(PackError(rel(root / "assessment.yaml"), f"statements[{i}].id",
                                        f"duplicate statement id '{sid}'"))
    missions_path = root / "missions.yaml"
    missions = (_validate(Missions, _read_yaml(missions_path, root, errors), rel(missions_path),
                          errors) if missions_path.exists() else Missions())
    for i, mission in enumerate(missions.missions if missions is not None else ()):
        if mission.after is not None and mission.after not in modules:
            errors.append(PackError(rel(missions_path), f"missions[{i}].after",
                                    f"reference to a missing module '{mission.after}'"))
    if errors:
        raise PackInvalid(errors)
    assert meta and final_quiz and assessment and nudges and faq is not None
    return Pack(meta=meta, root=root, modules={m: modules[m] for m in meta.modules},
                final_quiz=final_quiz, assessment=assessment, faq=list(faq.entries),
                nudges=nudges, messages=messages,
                faq_asked=asked.by_entry() if asked is not None else {},
                missions={m.id: m for m in missions.missions} if missions else {})


def discover_packs(base: Path = PACKS_DIR) -> list[Path]:
    return sorted(p for p in base.iterdir() if (p / "pack.yaml").exists()) if base.is_dir() else []


class PackLibrary:
    """All packs the bot serves, loaded once at start-up."""

    def __init__(self, packs: dict[str, Pack], ui: dict[str, Text]):
        self.packs = packs
        self.ui = ui

    @classmethod
    def load(cls, dirs: list[Path]) -> PackLibrary:
        ui = load_ui_defaults()
        packs: dict[str, Pack] = {}
        errors: list[PackError] = []
        for d in dirs:
            try:
                pack = load_pack(d, ui)
            except PackInvalid as exc:
                errors.extend(exc.errors)
                continue
            packs[pack.id] = pack
        if errors:
            raise PackInvalid(errors)
        return cls(packs, ui)

    def get(self, pack_id: str) -> Pack:
        return self.packs[pack_id]

    def text(self, pack: Pack | None, key: str, lang: str) -> str:
        found = (pack.messages.get(key) if pack else None) or self.ui.get(key)
        if found is None:
            raise KeyError(f"unknown message key {key!r}")
        return found.get(lang)

    def t(self, pack: Pack | str | None, lang: str, key: str, /, **values: Any) -> str:
        """The one translator: UI text `key` in `lang` (the pack's override first), with its
        placeholders filled. `pack` may be a pack, its id, or None for the built-in texts."""
        if isinstance(pack, str):
            pack = self.packs.get(pack)
        return fill(self.text(pack, key, lang), **values)

    def fallback(self, pack_id: str | None, default: str) -> Pack:
        """The pack a partner is served from: theirs, else the deployment's default one."""
        return (self.packs.get(pack_id or "") or self.packs.get(default)
                or next(iter(self.packs.values())))
