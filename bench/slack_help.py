"""Benchmark: signed `/coaching help` slash commands against the real server, each figure beside its target.

    .venv/bin/python bench/slack_help.py [--rate 200] [--seconds 10] [--workers 16] [--max-seconds 5]
                                         [--burst 500] [--no-postgres]

Starts a fake Slack Web API and a response_url receiver in this process, then, on 127.0.0.1:
  - the real server (`app.py serve`) over a new SQLite database: the time from its start to its first
    answer (cold start; again at the end, restarted over the same database), then (a) open loop:
    commands due at t0 + i/rate, each sent when due whatever the earlier ones are doing, timed from when
    it was due (no coordinated omission); (b) closed loop: WORKERS clients, each sending as soon as its
    last command was acknowledged: the top rate; (c) a burst: BURST commands at the same moment, each on
    its own connection;
  - bench/bare_slack_handler.py (the signature check only): its closed-loop rate, for comparison;
  - on a throwaway PostgreSQL cluster, `serve` and `serve --workers 2`: the closed-loop rate of each;
  - `python app.py chat` over a new SQLite database: the time to its first answer.
The bench client runs on the same machine and takes its share of the CPUs. It never fails on timing.
"""

import argparse
import asyncio
import math
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import aiohttp  # noqa: E402
from slack_load import (  # noqa: E402
    EXPECT,
    HOST,
    CpuMeter,
    Load,
    ResponseCatcher,
    Target,
    children_of,
    log_tail,
    percentile,
    process,
)

from tests.fakes import free_port  # noqa: E402
from tests.fakes.postgres import ThrowawayPostgres  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi  # noqa: E402

PYTHON = sys.executable
EVENTS_PATH = "/slack/events"
PROCESS_HEADER = "X-Coaching-Process"  # server.py: the process that answered /healthz
READY_TIMEOUT = 60.0  # seconds for a server to start answering
WARMUP_PER_USER = 5
WARMUP_BURST = 100
TARGET_P99_MS = 100.0
TARGET_RATE = 200.0
TARGET_BURST = 500
SLACK_DEADLINE_MS = 3000.0
TARGET_COLD_START_S = 2.0
SETTLE_SECONDS = 2.0  # after the warm-up, before measuring

# (Slack user id, email, name, time zone): demo people from bot/demo.py, in different roles.
USERS = (
    ("UBENCHPART", "participant@demo.example", "Pat Participant", "America/Los_Angeles"),
    ("UBENCHCOACH", "coach@demo.example", "Cora Coach", "America/New_York"),
    ("UBENCHCOORD", "coordinator@demo.example", "Casey Coordinator", "America/Chicago"),
)
USER_IDS = tuple(user[0] for user in USERS)


@dataclass
class Report:
    """The rows of the summary: (figure, measured, target, verdict)."""

    rows: list[tuple[str, str, str, str]]

    def add(self, figure: str, measured: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "NOT met")
        self.rows.append((figure, measured, target, verdict))

    def print(self) -> None:
        width = max(len(row[0]) for row in self.rows)
        print(f"\n  {'figure':<{width}}  {'measured':>22}  {'target':<12} verdict")
        for figure, measured, target, verdict in self.rows:
            print(f"  {figure:<{width}}  {measured:>22}  {target:<12} {verdict}")


# ---------------------------------------------------------------- processes


def base_env() -> dict[str, str]:
    """This environment without settings that would change what the server does."""
    drop = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "PORT", "PROGRAMS_DIR", "LOG_LEVEL")
    return {key: value for key, value in os.environ.items() if not key.startswith(drop)}


def server_env(port: int, database_url: str, slack_api_url: str) -> dict[str, str]:
    return {
        **base_env(),
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "PROGRAMS_DIR": str(ROOT / "programs"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "LOG_LEVEL": "WARNING",
    }


async def first_answer(load: Load, target: Target, started: float, log: Path) -> float:
    """Seconds from `started` to the first command answered (the server is starting: refused until then)."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        while loop.time() - started < READY_TIMEOUT:
            outcome, _key = await load.one(http, target, loop.time())
            if outcome.in_ack:
                return loop.time() - started
            await asyncio.sleep(0.02)
    raise RuntimeError(f"{target.name} did not answer within {READY_TIMEOUT:.0f} s; log:\n{log_tail(log, 30)}")


async def processes_answering(port: int, want: int) -> set[int]:
    """The processes answering /healthz on `port`, each asked on a new connection, until `want` answered."""
    seen: set[int] = set()
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        while len(seen) < want and loop.time() - start < READY_TIMEOUT:
            try:
                async with http.get(f"http://{HOST}:{port}/healthz") as response:
                    if response.status == 200:
                        seen.add(int(response.headers[PROCESS_HEADER]))
                        continue
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    return seen


async def warm_up(load: Load, target: Target) -> None:
    """A few commands per user (links the accounts, bolt's auth.test), then a short concurrent burst, then
    a pause while the start's own work ends (the scheduler's first round, dateparser's warm-up)."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as http:
        for _ in range(WARMUP_PER_USER * len(USER_IDS)):
            outcome, _key = await load.one(http, target, loop.time())
            if not outcome.in_ack:
                raise RuntimeError(f"{target.name}: a warm-up command was not answered in its acknowledgement")
    outcomes = await load.burst(target, WARMUP_BURST)
    if not all(o.answered for o in outcomes):
        raise RuntimeError(f"{target.name}: {sum(not o.answered for o in outcomes)} of the warm-up burst failed")
    await asyncio.sleep(SETTLE_SECONDS)


# ---------------------------------------------------------------- phases


def ms(value: float) -> str:
    return "none" if math.isinf(value) else f"{value:,.1f} ms"


async def open_loop(load: Load, target: Target, args: argparse.Namespace, report: Report, where: str) -> None:
    meter = CpuMeter(target.pids)
    t0, outcomes = await load.open_loop(target, args.rate, args.seconds)
    answers = [o.answer_ms for o in outcomes]
    answered = sum(o.answered is not None for o in outcomes)
    late = sum(o.answered is not None and not o.in_ack for o in outcomes)
    last = max((o.answered or o.acked or o.sent) for o in outcomes)
    print(
        f"  open loop at {args.rate:g}/s for {args.seconds:g} s: {len(outcomes)} sent, {answered} answered "
        f"({late} after a 'Working on it' acknowledgement), throughput {answered / (last - t0):.1f}/s\n"
        f"    answer p50 {ms(percentile(answers, 50))}, p95 {ms(percentile(answers, 95))}, "
        f"p99 {ms(percentile(answers, 99))}, max {ms(max(answers))}; slowest acknowledgement "
        f"{ms(max(o.ack_ms for o in outcomes))}\n    {meter.line()}"
    )
    p99 = percentile(answers, 99)
    label = f"help at {args.rate:g}/s, one process ({where})"
    report.add(f"{label}: p50", ms(percentile(answers, 50)))
    report.add(f"{label}: p95", ms(percentile(answers, 95)))
    met = p99 < TARGET_P99_MS and answered == len(outcomes) and args.rate >= TARGET_RATE
    report.add(f"{label}: p99", ms(p99), f"< {TARGET_P99_MS:g} ms", met)


async def closed_loop(load: Load, target: Target, args: argparse.Namespace) -> float:
    """The top rate: answers in the acknowledgement per second."""
    meter = CpuMeter(target.pids)
    seconds, outcomes = await load.closed_loop(target, args.workers, args.max_seconds)
    in_ack = sum(o.in_ack for o in outcomes)
    acks = [o.ack_ms for o in outcomes]
    print(
        f"  {target.name}: closed loop, {args.workers} clients for {seconds:.1f} s: {in_ack} answered in the "
        f"acknowledgement, {len(outcomes) - in_ack} not; {in_ack / seconds:.1f}/s "
        f"(acknowledgement p50 {ms(percentile(acks, 50))}, p99 {ms(percentile(acks, 99))})\n    {meter.line()}"
    )
    return in_ack / seconds


async def burst(load: Load, target: Target, count: int, report: Report) -> None:
    meter = CpuMeter(target.pids)
    outcomes = await load.burst(target, count)
    acks, answers = [o.ack_ms for o in outcomes], [o.answer_ms for o in outcomes]
    in_time = sum(ack < SLACK_DEADLINE_MS for ack in acks)
    answered = sum(o.answered is not None for o in outcomes)
    print(
        f"  burst of {count} at once: {in_time} acknowledged within 3 s, slowest acknowledgement {ms(max(acks))}; "
        f"{sum(o.in_ack for o in outcomes)} answered in the acknowledgement, {answered} answered in all, "
        f"the last after {ms(max(answers))}\n    {meter.line()}"
    )
    report.add(f"burst of {count}: acknowledged within 3 s", f"{in_time} of {count}", "all", in_time == count)
    report.add(f"burst of {count}: slowest acknowledgement", ms(max(acks)), "< 3,000 ms", max(acks) < 3000)
    report.add(f"burst of {count}: answered (in the ack or after)", f"{answered} of {count}, last {ms(max(answers))}")


async def sqlite_server(load: Load, fake_url: str, folder: Path, args: argparse.Namespace, report: Report) -> float:
    """Cold start, open loop, closed loop and burst on one process over SQLite, then a restart over the same
    database; returns the top rate."""
    port, log = free_port(), folder / "server.log"
    env = server_env(port, f"sqlite+aiosqlite:///{folder / 'bench.db'}", fake_url)
    async with started_server(load, env, log, "new database", report) as target:
        await warm_up(load, target)
        await open_loop(load, target, args, report, "SQLite")
        await asyncio.sleep(1.0)
        top = await closed_loop(load, target, args)
        await asyncio.sleep(1.0)
        await burst(load, target, args.burst, report)
    report.add("top rate, one process (SQLite)", f"{top:,.1f}/s", f">= {TARGET_RATE:g}/s", top >= TARGET_RATE)
    print(log_tail(log))
    async with started_server(load, env, folder / "restart.log", "existing database", report):
        pass
    return top


@asynccontextmanager
async def started_server(
    load: Load, env: dict[str, str], log: Path, what: str, report: Report
) -> AsyncIterator[Target]:
    """`app.py serve` for the block, once it has answered its first command (timed from its start)."""
    started = asyncio.get_running_loop().time()
    async with process([PYTHON, "app.py", "serve"], env, log) as server:
        target = Target("server", f"http://{HOST}:{env['PORT']}{EVENTS_PATH}", (server.pid,))
        cold = await first_answer(load, target, started, log)
        print(f"server (SQLite): first answer {cold:.2f} s after its start ({what})")
        met = cold < TARGET_COLD_START_S
        report.add(f"cold start: server's first answer ({what})", f"{cold:.2f} s", f"< {TARGET_COLD_START_S:g} s", met)
        yield target


async def bare_handler(load: Load, folder: Path, args: argparse.Namespace, report: Report) -> None:
    port, log = free_port(), folder / "bare.log"
    env = {**base_env(), "PORT": str(port), "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    started = asyncio.get_running_loop().time()
    async with process([PYTHON, str(ROOT / "bench" / "bare_slack_handler.py")], env, log) as bare:
        target = Target("bare", f"http://{HOST}:{port}{EVENTS_PATH}", (bare.pid,))
        await first_answer(load, target, started, log)
        top = await closed_loop(load, target, args)
    report.add("bare handler (signature check only)", f"{top:,.1f}/s", "for comparison")


async def postgres_servers(load: Load, fake_url: str, folder: Path, args: argparse.Namespace, report: Report) -> None:
    """The closed-loop rate of one and of two server processes on a throwaway PostgreSQL cluster."""
    cluster = ThrowawayPostgres()
    await asyncio.to_thread(cluster.start)
    try:
        rates = []
        for workers in (1, 2):
            database = await asyncio.to_thread(cluster.create_database, f"bench{workers}")
            rates.append(await postgres_run(load, fake_url, database, workers, folder, args, report))
    finally:
        await asyncio.to_thread(cluster.stop)
    report.add("top rate, one process (PostgreSQL)", f"{rates[0]:,.1f}/s")
    report.add("top rate, two processes (PostgreSQL)", f"{rates[1]:,.1f}/s", f"x{rates[1] / rates[0]:.2f} of one")


async def postgres_run(
    load: Load, fake_url: str, database: str, workers: int, folder: Path, args: argparse.Namespace, report: Report
) -> float:
    """The closed-loop rate of `serve --workers N` (with one, first its figures at the open-loop rate)."""
    port, log = free_port(), folder / f"postgres-{workers}.log"
    command = [PYTHON, "app.py", "serve", "--workers", str(workers)]
    async with process(command, server_env(port, database, fake_url), log) as server:
        answering = await processes_answering(port, workers)
        if len(answering) < workers:
            raise RuntimeError(f"{len(answering)} of {workers} processes answered; log:\n{log_tail(log, 30)}")
        pids = children_of(server.pid) if workers > 1 else (server.pid,)
        target = Target(
            f"{workers} process{'es' if workers > 1 else ''} (PostgreSQL)", f"http://{HOST}:{port}{EVENTS_PATH}", pids
        )
        await warm_up(load, target)
        if workers == 1:
            await open_loop(load, target, args, report, "PostgreSQL")
            await asyncio.sleep(1.0)
        return await closed_loop(load, target, args)


async def chat_cold_start(folder: Path, report: Report) -> None:
    """`python app.py chat` over a new database: seconds from its start to its first answer on the screen."""
    env = {**base_env(), "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'chat.db'}"}
    loop = asyncio.get_running_loop()
    started = loop.time()
    chat = await asyncio.create_subprocess_exec(
        PYTHON,
        "app.py",
        "chat",
        "--user",
        USERS[0][1],
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert chat.stdout is not None and chat.stdin is not None
    seconds = math.inf
    while line := await asyncio.wait_for(chat.stdout.readline(), READY_TIMEOUT):
        if EXPECT.encode() in line:
            seconds = loop.time() - started
            break
    chat.stdin.close()
    await chat.wait()
    print(f"chat: first answer {seconds:.2f} s after its start (new database)")
    met = seconds < TARGET_COLD_START_S
    report.add(
        "cold start: chat's first answer (new database)", f"{seconds:.2f} s", f"< {TARGET_COLD_START_S:g} s", met
    )


# ---------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> None:
    stop_on_sigterm()
    fake, catcher = FakeSlackApi(), ResponseCatcher()
    for user_id, email, name, zone in USERS:
        fake.add_user(user_id, email, name, zone)
    fake_url = await fake.start()
    await catcher.start()
    load = Load(catcher, USER_IDS)
    report = Report([])
    print(f"{os.cpu_count()} CPUs; load average at the start {os.getloadavg()[0]:.2f} (other work on the machine)")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-slack-") as name:
            folder = Path(name)
            await chat_cold_start(folder, report)
            await sqlite_server(load, fake_url, folder, args, report)
            await bare_handler(load, folder, args, report)
            if args.postgres:
                await postgres_servers(load, fake_url, folder, args, report)
    finally:
        await catcher.stop()
        await fake.stop()
    report.print()
    print(f"  load average at the end {os.getloadavg()[0]:.2f}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="open-loop requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--workers", type=int, default=16, help="closed-loop concurrent clients")
    parser.add_argument("--max-seconds", type=float, default=5.0, help="closed-loop duration")
    parser.add_argument("--burst", type=int, default=TARGET_BURST, help="commands sent at the same moment")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false", help="skip the PostgreSQL runs")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.workers < 1 or args.max_seconds <= 0 or args.burst < 1:
        parser.error("--rate, --seconds, --workers, --max-seconds and --burst must be positive")
    return args


def stop_on_sigterm() -> None:
    """SIGTERM cancels the run, so the subprocesses are stopped and the temporary folder removed."""
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


def main(argv: Sequence[str]) -> int:
    try:
        asyncio.run(run(parse_args(argv)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted; the servers were stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
