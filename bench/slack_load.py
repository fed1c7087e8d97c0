"""The load generator of bench/slack_help.py: signed `/coaching help` slash commands, sent on a schedule
(open loop), as fast as answered (closed loop) or all at once (a burst), each timed to its acknowledgement
and to its answer.

Slack's 3 seconds are for the acknowledgement (the HTTP answer). The assistant puts the answer in it when
the turn is done in time; otherwise it acknowledges "Working on it…" and posts the answer to the command's
response_url, which points at a ResponseCatcher here, so a late answer is timed too.
"""

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.fakes import serve_on_loopback
from tests.fakes.slack_api import TEAM_ID, signed_headers

HOST = "127.0.0.1"
EXPECT = "What I can do"  # in a correct answer to `help`
REQUEST_TIMEOUT = 10.0  # seconds; an acknowledgement later than this counts as none
LATE_ANSWER_WAIT = 30.0  # seconds to wait, after a phase, for answers posted to the response_url
STOP_TIMEOUT = 30.0  # seconds between SIGTERM and SIGKILL
ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS = 200_000  # a bound on any one phase, whatever the arguments


@dataclass(frozen=True)
class Target:
    name: str
    url: str  # where the slash command is posted
    pids: tuple[int, ...]  # the processes that answer, for their CPU use


@dataclass(frozen=True)
class Outcome:
    scheduled: float  # loop time the request was due
    sent: float  # loop time it was handed to the client
    acked: float | None  # loop time the acknowledgement was read; None: no 200 in time
    answered: float | None  # loop time the answer arrived (in the acknowledgement or at the response_url)
    in_ack: bool  # the answer came in the acknowledgement

    @property
    def ack_ms(self) -> float:
        return math.inf if self.acked is None else (self.acked - self.scheduled) * 1000

    @property
    def answer_ms(self) -> float:
        return math.inf if self.answered is None else (self.answered - self.scheduled) * 1000


class ResponseCatcher:
    """Receives the answers posted to response_urls; records when each arrived and whether it was right."""

    def __init__(self) -> None:
        self.arrived: dict[str, tuple[float, bool]] = {}
        self.came = asyncio.Event()  # set at each arrival
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/r/{key}", self._receive)
        self.runner, port = await serve_on_loopback(app)
        self.base_url = f"http://{HOST}:{port}/r/"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        text = await request.text()
        self.arrived[request.match_info["key"]] = (asyncio.get_running_loop().time(), EXPECT in text)
        self.came.set()
        return web.json_response({"ok": True})

    async def wait_for(self, keys: Sequence[str], seconds: float) -> None:
        """Until an answer has come for each key, or `seconds` have passed."""
        deadline = time.monotonic() + seconds
        while any(key not in self.arrived for key in keys):
            self.came.clear()
            try:
                await asyncio.wait_for(self.came.wait(), max(deadline - time.monotonic(), 0.0))
            except TimeoutError:
                return


class Load:
    """Sends slash commands to a Target as the users given, and times them."""

    def __init__(self, catcher: ResponseCatcher, user_ids: Sequence[str]) -> None:
        self.catcher, self.user_ids = catcher, tuple(user_ids)
        self.sent = 0  # numbers each request, so every response_url is its own

    def body(self, user_id: str, key: str) -> str:
        """A slash command's form body, as Slack sends it."""
        return urlencode(
            {
                "token": "unused-verification-token",
                "team_id": TEAM_ID,
                "team_domain": "test",
                "channel_id": f"D{user_id}",
                "channel_name": "directmessage",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": "/coaching",
                "text": "help",
                "api_app_id": "ABENCH",
                "is_enterprise_install": "false",
                "response_url": self.catcher.base_url + key,
                "trigger_id": f"{key}.bench",
            }
        )

    async def one(self, http: aiohttp.ClientSession, target: Target, scheduled: float) -> tuple[Outcome, str]:
        """One command; its outcome so far (a late answer is filled in by settle) and its key."""
        loop = asyncio.get_running_loop()
        self.sent += 1
        key = f"{target.name}-{self.sent}"
        body = self.body(self.user_ids[self.sent % len(self.user_ids)], key)
        sent = loop.time()
        try:
            async with http.post(target.url, data=body.encode(), headers=signed_headers(body)) as response:
                text = await response.text()
                acked = loop.time() if response.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            return Outcome(scheduled, sent, None, None, False), key
        in_ack = acked is not None and EXPECT in text
        return Outcome(scheduled, sent, acked, acked if in_ack else None, in_ack), key

    async def settle(self, pending: Sequence[tuple[Outcome, str]]) -> list[Outcome]:
        """The outcomes with the answers that came to the response_url, once all have (or after a wait)."""
        late = [key for outcome, key in pending if outcome.acked is not None and not outcome.in_ack]
        await self.catcher.wait_for(late, LATE_ANSWER_WAIT)
        settled = []
        for outcome, key in pending:
            arrived = self.catcher.arrived.get(key)
            if outcome.in_ack or arrived is None or not arrived[1]:
                settled.append(outcome)
            else:
                settled.append(Outcome(outcome.scheduled, outcome.sent, outcome.acked, arrived[0], False))
        return settled

    async def open_loop(self, target: Target, rate: float, seconds: float) -> tuple[float, list[Outcome]]:
        """Requests due at t0 + i/rate, each sent when due whatever the earlier ones are doing; the time
        counted is from when it was due, so a server that queues shows in the figures (no coordinated
        omission). Returns t0 and the outcomes."""
        count = min(MAX_REQUESTS, max(1, round(rate * seconds)))
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Task[tuple[Outcome, str]]] = []
        async with new_client(limit=0) as http:
            t0 = loop.time() + 0.05
            for n in range(count):
                scheduled = t0 + n / rate
                delay = scheduled - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.one(http, target, scheduled)))
            pending = await asyncio.gather(*tasks)
        return t0, await self.settle(pending)

    async def closed_loop(self, target: Target, workers: int, seconds: float) -> tuple[float, list[Outcome]]:
        """`workers` clients, each sending its next request as soon as its last one is acknowledged.
        Returns the seconds it ran and the outcomes."""
        loop = asyncio.get_running_loop()
        pending: list[tuple[Outcome, str]] = []
        async with new_client(limit=workers) as http:
            start = loop.time()
            deadline = start + seconds

            async def client() -> None:
                while loop.time() < deadline and len(pending) < MAX_REQUESTS:
                    pending.append(await self.one(http, target, loop.time()))

            await asyncio.gather(*(client() for _ in range(workers)))
        ended = max((o.acked or o.sent) for o, _ in pending)
        return ended - start, await self.settle(pending)

    async def burst(self, target: Target, count: int) -> list[Outcome]:
        """`count` commands at the same moment, each on its own connection."""
        loop = asyncio.get_running_loop()
        async with new_client(limit=0) as http:
            now = loop.time()
            pending = await asyncio.gather(*(self.one(http, target, now) for _ in range(count)))
        return await self.settle(pending)


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process, all its threads, from /proc (nan without /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> tuple[int, ...]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
    return tuple(found)


class CpuMeter:
    """CPU used by the measured processes and by this (client) process since the meter was made."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids, self.wall, self.client = tuple(pids), time.perf_counter(), time.process_time()
        self.start = sum(process_cpu_seconds(pid) for pid in self.pids)

    def line(self) -> str:
        wall = time.perf_counter() - self.wall
        used = (sum(process_cpu_seconds(pid) for pid in self.pids) - self.start) / wall * 100
        client = (time.process_time() - self.client) / wall * 100
        return f"CPU (100% = one core): server {used:.0f}%, bench client {client:.0f}%"


@asynccontextmanager
async def process(args: Sequence[str], env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A subprocess for the block; SIGTERM and wait at the end (SIGKILL after STOP_TIMEOUT)."""
    with log.open("wb") as out:
        started = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL
        )
    try:
        yield started
    finally:
        if started.returncode is None:
            started.terminate()
            try:
                await asyncio.wait_for(started.wait(), STOP_TIMEOUT)
            except TimeoutError:
                started.kill()
                await started.wait()


def log_tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def new_client(limit: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=limit)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (values in any order; inf counts as slowest)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
