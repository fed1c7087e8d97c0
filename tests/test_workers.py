"""`python app.py serve --workers N` (issue 15, point 5): several server processes on one port over one
PostgreSQL, each answering; refused on SQLite."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from server import PROCESS_HEADER
from tests.conftest import PROGRAMS_DIR, ROOT
from tests.fakes import free_port
from tests.fakes.slack_api import FakeSlackApi, signed_headers
from tests.test_slack import PARTICIPANT, PAT, PAT_ZONE, slack_env, slash_body

READY_SECONDS = 60.0  # the parent's migrations and seed, then two fresh interpreters importing the app
TRIES = 200  # new connections to /healthz until both processes have answered (each lands on either)


def environment(database_url: str, port: int, fake: FakeSlackApi | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "DATABASE_"))}
    slack = slack_env(fake) if fake is not None else {}
    return {**clean, **slack, "DATABASE_URL": database_url, "PORT": str(port), "PROGRAMS_DIR": str(PROGRAMS_DIR)}


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            if parent == pid:
                found.add(int(entry.name))
    return found


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi()
    await api.start()
    api.add_user(PAT, PARTICIPANT, "Pat Participant", PAT_ZONE)
    yield api
    await api.stop()


async def answering_processes(url: str) -> set[int]:
    """The processes that answered /healthz, each request on a new connection."""
    seen: set[int] = set()
    connector = aiohttp.TCPConnector(force_close=True)  # a kept-alive connection stays with one process
    async with aiohttp.ClientSession(connector=connector) as http:
        deadline = time.monotonic() + READY_SECONDS
        while not seen and time.monotonic() < deadline:  # until the first worker listens
            try:
                async with http.get(url + "/healthz") as response:
                    if response.status == 200:
                        seen.add(int(response.headers[PROCESS_HEADER]))
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        for _ in range(TRIES):
            if len(seen) == 2:
                break
            try:
                async with http.get(url + "/healthz") as response:
                    assert response.status == 200
                    seen.add(int(response.headers[PROCESS_HEADER]))
            except aiohttp.ClientError:  # the second worker not listening yet
                await asyncio.sleep(0.2)
    return seen


def start_workers(database_url: str, port: int, fake: FakeSlackApi, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "app.py", "serve", "--workers", "2"],
            cwd=ROOT,
            env=environment(database_url, port, fake),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def running(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


async def test_two_workers_share_the_port_and_both_answer(postgres_url, fake, tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    parent = start_workers(postgres_url, port, fake, log)
    url = f"http://127.0.0.1:{port}"
    try:
        answered = await answering_processes(url)
        log_text = log.read_text(errors="replace")
        assert len(answered) == 2, log_text[-2000:]
        assert answered <= children_of(parent.pid)  # two workers (not the parent, nor a stray server)
        assert "starting 2 server processes" in log_text

        body = slash_body("help", fake.response_url)
        async with (
            aiohttp.ClientSession() as http,
            http.post(url + "/slack/events", data=body.encode(), headers=signed_headers(body)) as response,
        ):
            assert response.status == 200
            assert "What I can do for you" in json.loads(await response.text())["text"]
    finally:
        parent.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(parent.wait, 60)
    assert code == 0
    assert not running(answered)  # the workers stopped with it


def serve_on_sqlite(tmp_path: Path, workers: str) -> subprocess.CompletedProcess[str]:
    """`serve --workers WORKERS` over a SQLite file in tmp_path, to its end."""
    return subprocess.run(
        [sys.executable, "app.py", "serve", "--workers", workers],
        cwd=ROOT,
        env=environment(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}", free_port()),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_are_refused_on_sqlite(tmp_path):
    result = serve_on_sqlite(tmp_path, "2")
    assert result.returncode == 2
    assert "several server processes need PostgreSQL" in result.stderr
    assert not (tmp_path / "one.db").exists()  # refused before anything was created


def test_a_worker_count_that_is_no_number_is_refused(tmp_path):
    result = serve_on_sqlite(tmp_path, "two")
    assert result.returncode == 2
    assert "give a whole number from 1 to 64, not 'two'" in result.stderr
