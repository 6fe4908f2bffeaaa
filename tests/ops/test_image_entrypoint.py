"""The image's entry point, run as the image runs it, as far as this machine allows.

There is no Docker daemon here, so the image is never built. Instead the build stage is
repeated outside Docker: only what the Dockerfile COPYs is copied and `pip install --prefix`
installs it (the dependencies come from this virtualenv, not from the image's own install).
Each compose service's command then runs as ENTRYPOINT + command, from an empty working
directory, with the image's ENV and that service's compose environment (the database URL,
the listen ports and the .env secrets replaced by this machine's PostgreSQL, free ports
and the fake Bot API): `migrate` creates the schema of an empty database, both web workers
and the scheduler answer /healthz and /readyz and compose's own healthchecks, and SIGTERM
(the image's STOPSIGNAL) ends each with 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.cluster import free_port
from tests.conftest import PG_URL
from tests.fakes import FakeBotAPI
from tests.ops.test_deploy_files import ROOT, compose

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
START = 240.0  # seconds a process may take to start on this loaded 2-core machine
SECRET = "image-test-secret"


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (instruction, arguments)."""
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    out: list[list[tuple[str, str]]] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        op, _, args = line.strip().partition(" ")
        if op == "FROM":
            out.append([])
        out[-1].append((op, args.strip()))
    return out


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The build stage outside Docker: its COPYs, then its `pip install --prefix`."""
    build, final = stages()[0], stages()[-1]
    root = tmp_path_factory.mktemp("image")
    src, prefix = root / "src", root / "install"
    src.mkdir()
    for op, args in build:
        if op == "COPY":
            *sources, dest = args.split()
            for name in sources:
                target = src / (name if dest in ("./", ".") else dest)
                if (ROOT / name).is_dir():
                    shutil.copytree(ROOT / name, target,
                                    ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(ROOT / name, target)
    run = next(args for op, args in build if op == "RUN")
    assert "--prefix=/install ." in run, run  # what is repeated below
    assert ("COPY", "--from=build /install /usr/local") in final
    # --ignore-installed: else pip uninstalls the coachbot of this virtualenv first
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--ignore-installed", "--no-cache-dir", f"--prefix={prefix}", str(src)],
                   check=True,
                   capture_output=True)
    assert (Path(sys.executable).parent / "coachbot").exists(), "this virtualenv's is gone"
    yield prefix


def image_env(prefix: Path, home: Path) -> dict[str, str]:
    """The image's ENV, with the install prefix where the image has /usr/local."""
    env = {"PATH": f"{prefix / 'bin'}:/usr/bin:/bin", "HOME": str(home),
           "PYTHONPATH": str(next(prefix.glob("lib/python3*/site-packages")))}
    for op, args in stages()[-1]:
        if op == "ENV":
            env.update(kv.split("=", 1) for kv in shlex.split(args))
    return env


def entry_point() -> list[str]:
    return list(json.loads(next(a for op, a in stages()[-1] if op == "ENTRYPOINT")))


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    """A database with no schema at all (`migrate` must create it)."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL (COACHBOT_TEST_DATABASE_URL)")
    name = f"coachbot_image_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_URL.rpartition('/')[0]}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def service_env(name: str, base: dict[str, str], db_url: str, fake: FakeBotAPI,
                port: int) -> dict[str, str]:
    """The service's compose environment, with what only a real deployment has replaced."""
    env = {**base, **{k: str(v) for k, v in
                      (compose()["services"][name].get("environment") or {}).items()}}
    env["COACHBOT_DATABASE_URL"] = db_url
    for key in ("COACHBOT_WEBHOOK_LISTEN", "COACHBOT_METRICS_LISTEN"):
        if key in env:  # the same host (0.0.0.0), a port free on this machine
            env[key] = f"{env[key].rsplit(':', 1)[0]}:{port}"
    # what .env holds in a deployment
    env.update(COACHBOT_TELEGRAM_TOKEN=fake.token, COACHBOT_TELEGRAM_API_BASE=fake.base_url,
               COACHBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg/hook",
               COACHBOT_WEBHOOK_SECRET=SECRET)
    return env


def start(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as err:  # a file, not a pipe: a pipe nobody reads fills up
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)


def read(log: Path) -> str:
    return log.read_text(errors="replace")


async def wait_ready(http: aiohttp.ClientSession, proc: subprocess.Popen[bytes],
                     port: int, log: Path) -> None:
    end = time.monotonic() + START
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"ended at start-up: {read(log)[-3000:]}")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"http://127.0.0.1:{port}/readyz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not ready within {START:.0f}s")


def healthcheck(name: str, port: int) -> list[str]:
    """Compose's healthcheck of the service, aimed at the port it listens on here."""
    test: list[str] = compose()["services"][name]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python", test
    return [sys.executable, *(re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", a)
                              for a in test[2:])]


async def test_each_service_starts_from_the_image_entry_point_and_answers_health_checks(
        image: Path, empty_database: str, tmp_path: Path) -> None:
    services = compose()["services"]
    home = tmp_path / "home"  # WORKDIR: nothing of the source tree beside the process
    home.mkdir()
    base = image_env(image, home)
    entry = [str(image / "bin" / entry_point()[0]), *entry_point()[1:]]
    assert base["COACHBOT_LOG_FORMAT"] == "json"

    async with FakeBotAPI() as fake, aiohttp.ClientSession() as http:
        migrate = await asyncio.to_thread(
            subprocess.run, [*entry, *services["migrate"]["command"]], cwd=home,
            env=service_env("migrate", base, empty_database, fake, free_port()),
            capture_output=True, timeout=START)
        assert migrate.returncode == 0, migrate.stderr.decode()[-3000:]

        names = ["web1", "web2", "scheduler"]
        ports = {name: free_port() for name in names}
        logs = {name: tmp_path / f"{name}.log" for name in names}
        procs = {name: start([*entry, *services[name]["command"]], home,
                             service_env(name, base, empty_database, fake, ports[name]),
                             logs[name]) for name in names}
        try:
            for name in names:
                await wait_ready(http, procs[name], ports[name], logs[name])
                async with http.get(f"http://127.0.0.1:{ports[name]}/healthz") as resp:
                    assert resp.status == 200, name
                check = await asyncio.to_thread(subprocess.run, healthcheck(name, ports[name]),
                                                capture_output=True, timeout=30)
                assert check.returncode == 0, (name, check.stderr.decode()[-2000:])
            assert {c.params["url"] for c in fake.calls_to("setWebhook")} == {
                f"http://127.0.0.1:{ports[n]}/tg/hook" for n in ("web1", "web2")}
            for name, proc in procs.items():  # docker stop
                proc.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(proc.wait, 60)
                assert code == 0, (name, read(logs[name])[-3000:])
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    for name, log in logs.items():  # COACHBOT_LOG_FORMAT=json from the image's ENV
        lines = [line for line in read(log).splitlines() if line.strip()]
        assert lines, name
        records: list[Any] = [json.loads(line) for line in lines]
        assert all({"ts", "level", "msg"} <= set(r) for r in records), name


def test_the_package_installed_by_the_build_stage_is_the_one_the_services_import(
        image: Path, tmp_path: Path) -> None:
    env = image_env(image, tmp_path)
    out = subprocess.run([sys.executable, "-c", "import bot, migrations; "
                          "print(bot.__file__); print(migrations.__file__)"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    assert all(Path(p).is_relative_to(image) for p in out.stdout.split()), out.stdout
