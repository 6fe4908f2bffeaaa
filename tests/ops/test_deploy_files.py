"""The deployment files describe what the code runs: the image starts the `coachbot` command
as an unprivileged user, compose starts each role with settings coachbot knows, and the proxy
spreads webhooks over the web workers, and compose.yaml follows the Compose Specification
(check-jsonschema's copy of its JSON schema, offline). No Docker daemon here: the image is not
built and compose is not run; tests/ops/test_image_entrypoint.py runs the entry point."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.ops.roles import Role

ROOT = Path(__file__).resolve().parents[2]


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of the final stage."""
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    steps = [tuple(line.split(None, 1)) for line in lines if line.strip()
             and not line.lstrip().startswith("#")]
    last_from = max(i for i, s in enumerate(steps) if s[0] == "FROM")
    return [(s[0], s[1] if len(s) > 1 else "") for s in steps[last_from:]]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_the_image_is_slim_runs_as_a_user_and_starts_the_coachbot_command() -> None:
    steps = dockerfile()
    assert steps[0][1].startswith("python:3.11-slim")
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    entry = json.loads(next(args for op, args in steps if op == "ENTRYPOINT"))
    cmd = json.loads(next(args for op, args in steps if op == "CMD"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry == ["coachbot"] and "coachbot" in scripts
    result = CliRunner().invoke(app, [*cmd, "--help"])
    assert result.exit_code == 0, result.output


def test_compose_runs_postgres_two_web_workers_one_scheduler_behind_a_proxy() -> None:
    services = compose()["services"]
    commands = {name: s.get("command") for name, s in services.items()}
    roles = [c[c.index("--role") + 1] for c in commands.values() if c and "--role" in c]
    assert sorted(roles) == ["scheduler", "web", "web"]
    assert all(Role(r) for r in roles)
    assert commands["migrate"] == ["migrate"]
    assert services["db"]["image"].startswith("postgres:")
    for name in ("web1", "web2", "scheduler"):
        result = CliRunner().invoke(app, [*commands[name], "--help"])
        assert result.exit_code == 0, result.output
        url = services[name]["environment"]["COACHBOT_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and "@db:5432/" in url


def test_every_setting_compose_names_is_one_coachbot_reads() -> None:
    known = {f"COACHBOT_{name.upper()}" for name in Settings.model_fields}
    named = {key for s in compose()["services"].values()
             for key in (s.get("environment") or {}) if key.startswith("COACHBOT_")}
    named |= set(re.findall(r"COACHBOT_[A-Z_]+", (ROOT / "compose.yaml").read_text()))
    assert named and named <= known, named - known


def test_the_proxy_spreads_the_webhook_over_both_web_workers_on_their_port() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    upstream = re.findall(r"server (\w+):(\d+)", conf)
    assert sorted(upstream) == [("web1", "8080"), ("web2", "8080")]
    image_env = " ".join(args for op, args in dockerfile() if op == "ENV")
    assert "COACHBOT_WEBHOOK_LISTEN=0.0.0.0:8080" in shlex.split(image_env)
    assert "location /tg/hook" in conf
    assert compose()["services"]["proxy"]["volumes"] == [
        "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro"]


def validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against the Compose Specification's schema it ships (no network)."""
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.compose-spec", str(path)], capture_output=True, text=True)


def test_compose_follows_the_compose_specification(tmp_path: Path) -> None:
    checked = validate_compose(ROOT / "compose.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = compose()  # the same check refuses what the specification does not allow
    broken["services"]["web1"]["depends_on"]["migrate"]["condition"] = "service_finished"
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(broken))
    assert validate_compose(tmp_path / "compose.yaml").returncode == 1
