"""Benchmark: signed `/coaching help` slash commands against the real server, beside a bare handler.

    .venv/bin/python bench/slack_help.py [--rate 200] [--seconds 10] [--workers 16] [--max-seconds 5]

Starts a fake Slack Web API in this process, then two subprocesses on 127.0.0.1: the real server
(`app.py serve` over a fresh SQLite database) and bench/bare_slack_handler.py (signature check only).
For each one it measures
  (a) open loop: requests scheduled at t0 + i/rate, sent without waiting for earlier answers; the time
      counted is from the scheduled send to the full HTTP answer, so a client that falls behind or a
      server that queues shows up in the figures (no coordinated omission);
  (b) closed loop: WORKERS concurrent clients for MAX_SECONDS, the most requests/s it answers.
It prints figures and whether the targets were met; it never fails on timing.
Target (the issue): p99 under 100 ms at 200 requests/s, and at least half of the bare handler's throughput.
"""

import argparse
import asyncio
import math
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from tests.fakes import free_port  # noqa: E402
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, FakeSlackApi, signed_headers  # noqa: E402

PYTHON = sys.executable
HOST = "127.0.0.1"
EVENTS_PATH = "/slack/events"
READY_TIMEOUT = 30.0  # seconds for a subprocess to start answering
REQUEST_TIMEOUT = 10.0  # seconds; an answer later than this counts as an error
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
WARMUP_PER_USER = 5
WARMUP_BURST = 100  # requests at WARMUP_CONCURRENCY after the per-user warm-up
WARMUP_CONCURRENCY = 8
MAX_REQUESTS = 200_000  # a bound on any one phase, whatever the arguments
TARGET_P99_MS = 100.0
TARGET_RATE = 200.0
TARGET_RATIO = 0.5

# (Slack user id, email, name, time zone): demo people from bot/demo.py, in different roles.
USERS = (
    ("UBENCHPART", "participant@demo.example", "Pat Participant", "America/Los_Angeles"),
    ("UBENCHCOACH", "coach@demo.example", "Cora Coach", "America/New_York"),
    ("UBENCHCOORD", "coordinator@demo.example", "Casey Coordinator", "America/Chicago"),
)
USER_IDS = tuple(user[0] for user in USERS)


@dataclass(frozen=True)
class Target:
    name: str
    url: str  # where the slash command is posted
    expect: str  # text a correct answer contains
    pid: int  # the process that answers, for its CPU use


@dataclass(frozen=True)
class Outcome:
    scheduled: float  # loop time the request was due
    sent: float  # loop time it was handed to the client
    done: float  # loop time the whole answer was read
    ok: bool  # 200 with the expected text


@dataclass(frozen=True)
class RateResult:
    requested_rate: float
    sent: int
    ok: int
    errors: int
    send_rate: float  # requests/s the sender achieved
    throughput: float  # correct answers/s, from the first due time to the last answer
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    max_send_lag_ms: float  # how late the sender was against its schedule, at worst


@dataclass(frozen=True)
class ClosedResult:
    workers: int
    ok: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float


# ---------------------------------------------------------------- subprocesses


def open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@asynccontextmanager
async def subprocess_running(
    name: str, args: Sequence[str], env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Run a subprocess for the block; SIGTERM and wait at the end (SIGKILL after STOP_TIMEOUT)."""
    with open_log(log) as out:
        process = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL
        )
    try:
        yield process
    finally:
        await stop_process(name, process)


async def stop_process(name: str, process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        print(f"  {name} had already exited with {process.returncode}")
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        print(f"  {name} did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM; killing it")
        process.kill()
        await process.wait()


async def wait_ready(http: aiohttp.ClientSession, method: str, url: str, want: int, log: Path) -> None:
    """Poll until `method url` answers `want`; raise with the log's end if it never does."""
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        try:
            async with http.request(method, url) as response:
                if response.status == want:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer {want} within {READY_TIMEOUT:.0f} s; log:\n{log_tail(log)}")


def base_env() -> dict[str, str]:
    """This environment without settings that would change what the server does."""
    drop = ("SLACK_", "MICROSOFT_", "DATABASE_URL", "PORT", "PROGRAMS_DIR", "LOG_LEVEL")
    return {key: value for key, value in os.environ.items() if not key.startswith(drop)}


def server_env(port: int, database: Path, slack_api_url: str) -> dict[str, str]:
    return {
        **base_env(),
        "PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PROGRAMS_DIR": str(ROOT / "programs"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api_url,
        "LOG_LEVEL": "WARNING",
    }


def bare_env(port: int) -> dict[str, str]:
    return {**base_env(), "PORT": str(port), "SLACK_SIGNING_SECRET": SIGNING_SECRET}


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process, all its threads, from /proc (nan without /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by the measured process and by this (client) process since the meter was made."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.wall = time.perf_counter()
        self.target = process_cpu_seconds(pid)
        self.client = time.process_time()

    def report(self) -> str:
        wall = time.perf_counter() - self.wall
        target = (process_cpu_seconds(self.pid) - self.target) / wall * 100
        client = (time.process_time() - self.client) / wall * 100
        return f"    CPU (100% = one core): measured process {target:.0f}%, bench client and fake Slack {client:.0f}%"


# ---------------------------------------------------------------- requests


def slash_body(user_id: str, n: int) -> str:
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
            "response_url": f"http://{HOST}:9/commands/{n}",  # never called: the answer is the HTTP response
            "trigger_id": f"{n}.bench",
        }
    )


async def send_command(http: aiohttp.ClientSession, target: Target, user_id: str, n: int) -> tuple[int, str]:
    """One signed slash command: the answer's status and text (status 0 and the error's name on failure)."""
    body = slash_body(user_id, n)
    try:
        async with http.post(target.url, data=body.encode(), headers=signed_headers(body)) as response:
            return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as error:
        return 0, type(error).__name__


async def post_command(http: aiohttp.ClientSession, target: Target, user_id: str, n: int) -> bool:
    """One signed slash command; True for a 200 whose body has the expected text."""
    status, text = await send_command(http, target, user_id, n)
    return status == 200 and target.expect in text


async def timed_command(http: aiohttp.ClientSession, target: Target, user_id: str, n: int, scheduled: float) -> Outcome:
    loop = asyncio.get_running_loop()
    sent = loop.time()
    ok = await post_command(http, target, user_id, n)
    return Outcome(scheduled, sent, loop.time(), ok)


def new_client(limit: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=limit)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))


# ---------------------------------------------------------------- phases


async def warm_up(target: Target) -> None:
    """A few requests per user (links accounts, bolt's auth.test), then a short concurrent burst."""
    async with new_client(WARMUP_CONCURRENCY) as http:
        for user_id in USER_IDS:
            for n in range(WARMUP_PER_USER):
                status, text = await send_command(http, target, user_id, n)
                if status != 200 or target.expect not in text:
                    raise RuntimeError(f"{target.name}: warm-up for {user_id} answered {status}: {text[:300]!r}")
        results = await asyncio.gather(
            *(post_command(http, target, USER_IDS[n % len(USER_IDS)], n) for n in range(WARMUP_BURST))
        )
    if not all(results):
        raise RuntimeError(f"{target.name}: {results.count(False)} of the warm-up burst failed")


async def open_loop(target: Target, rate: float, seconds: float) -> RateResult:
    """Requests due at t0 + i/rate, each sent when due whatever the earlier ones are doing."""
    count = min(MAX_REQUESTS, max(1, round(rate * seconds)))
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[Outcome]] = []
    async with new_client(limit=0) as http:
        t0 = loop.time() + 0.05
        for n in range(count):
            scheduled = t0 + n / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            user_id = USER_IDS[n % len(USER_IDS)]
            tasks.append(asyncio.create_task(timed_command(http, target, user_id, n, scheduled)))
        outcomes = await asyncio.gather(*tasks)
    return summarize_rate(rate, t0, outcomes)


def summarize_rate(rate: float, t0: float, outcomes: Sequence[Outcome]) -> RateResult:
    latencies = sorted((o.done - o.scheduled) * 1000 for o in outcomes)
    ok = sum(o.ok for o in outcomes)
    first_sent, last_sent = min(o.sent for o in outcomes), max(o.sent for o in outcomes)
    last_done = max(o.done for o in outcomes)
    return RateResult(
        requested_rate=rate,
        sent=len(outcomes),
        ok=ok,
        errors=len(outcomes) - ok,
        send_rate=(len(outcomes) - 1) / (last_sent - first_sent) if last_sent > first_sent else math.nan,
        throughput=ok / (last_done - t0),
        p50_ms=percentile(latencies, 50),
        p90_ms=percentile(latencies, 90),
        p99_ms=percentile(latencies, 99),
        max_ms=latencies[-1],
        max_send_lag_ms=max(o.sent - o.scheduled for o in outcomes) * 1000,
    )


async def closed_loop(target: Target, workers: int, seconds: float) -> ClosedResult:
    """`workers` clients, each sending its next request as soon as its last one is answered."""
    loop = asyncio.get_running_loop()
    outcomes: list[Outcome] = []
    async with new_client(limit=workers) as http:
        start = loop.time()
        deadline = start + seconds

        async def worker(index: int) -> None:
            n = index
            while loop.time() < deadline and len(outcomes) < MAX_REQUESTS:
                outcomes.append(await timed_command(http, target, USER_IDS[n % len(USER_IDS)], n, loop.time()))
                n += workers

        await asyncio.gather(*(worker(i) for i in range(workers)))
    elapsed = max(o.done for o in outcomes) - start
    latencies = sorted((o.done - o.scheduled) * 1000 for o in outcomes)
    ok = sum(o.ok for o in outcomes)
    return ClosedResult(
        workers, ok, len(outcomes) - ok, elapsed, ok / elapsed, percentile(latencies, 50), percentile(latencies, 99)
    )


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------- output


def print_rate(name: str, result: RateResult) -> None:
    print(
        f"  {name}: open loop at {result.requested_rate:g}/s: sent {result.sent} at {result.send_rate:.1f}/s "
        f"(sender at worst {result.max_send_lag_ms:.1f} ms late), {result.ok} ok, {result.errors} errors\n"
        f"    throughput {result.throughput:.1f}/s; time to answer p50 {result.p50_ms:.1f} ms, "
        f"p90 {result.p90_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, max {result.max_ms:.1f} ms"
    )


def print_closed(name: str, result: ClosedResult) -> None:
    print(
        f"  {name}: closed loop, {result.workers} workers for {result.seconds:.1f} s: {result.ok} ok, "
        f"{result.errors} errors, {result.throughput:.1f} requests/s (p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms)"
    )


def print_summary(rate: float, results: dict[str, tuple[RateResult, ClosedResult]]) -> None:
    server_rate, server_max = results["server"]
    bare_max = results["bare"][1]
    ratio = server_max.throughput / bare_max.throughput if bare_max.throughput else math.nan
    print("\nSummary")
    print(f"  {'':8} {'p50 @rate':>10} {'p99 @rate':>10} {'errors':>7} {'max req/s':>10}")
    for name, (at_rate, most) in results.items():
        print(
            f"  {name:8} {at_rate.p50_ms:>7.1f} ms {at_rate.p99_ms:>7.1f} ms {at_rate.errors:>7} "
            f"{most.throughput:>10.1f}"
        )
    print(f"  rate {rate:g} requests/s; throughput ratio server/bare {ratio:.2f}")
    p99_met = server_rate.p99_ms < TARGET_P99_MS and server_rate.errors == 0
    rate_note = "" if rate == TARGET_RATE else f" (measured at {rate:g}/s, the target is stated at {TARGET_RATE:g}/s)"
    print(
        f"  target p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE:g} req/s, no errors: "
        f"{'met' if p99_met else 'NOT met'} (p99 {server_rate.p99_ms:.1f} ms, "
        f"{server_rate.errors} errors){rate_note}"
    )
    print(
        f"  target throughput >= {TARGET_RATIO:g} x bare: {'met' if ratio >= TARGET_RATIO else 'NOT met'} "
        f"({server_max.throughput:.1f} / {bare_max.throughput:.1f} = {ratio:.2f})"
    )


# ---------------------------------------------------------------- main


async def measure(
    target: Target, rate: float, seconds: float, workers: int, max_seconds: float
) -> tuple[RateResult, ClosedResult]:
    meter = CpuMeter(target.pid)
    at_rate = await open_loop(target, rate, seconds)
    print_rate(target.name, at_rate)
    print(meter.report())
    await asyncio.sleep(1.0)  # let any backlog drain
    meter = CpuMeter(target.pid)
    most = await closed_loop(target, workers, max_seconds)
    print_closed(target.name, most)
    print(meter.report())
    await asyncio.sleep(1.0)
    return at_rate, most


def start_fake_users(fake: FakeSlackApi) -> None:
    for user_id, email, name, zone in USERS:
        fake.add_user(user_id, email, name, zone)


async def run(args: argparse.Namespace) -> None:
    stop_on_sigterm()
    fake = FakeSlackApi()
    start_fake_users(fake)
    api_url = await fake.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-slack-") as folder:
            await run_with_fake(args, fake, api_url, Path(folder))
    finally:
        await fake.stop()


async def run_with_fake(args: argparse.Namespace, fake: FakeSlackApi, api_url: str, folder: Path) -> None:
    server_port, bare_port = free_port(), free_port()
    server_log, bare_log = folder / "server.log", folder / "bare.log"
    server_args = [PYTHON, "app.py", "serve"]
    bare_args = [PYTHON, str(ROOT / "bench" / "bare_slack_handler.py")]
    async with (
        subprocess_running(
            "server", server_args, server_env(server_port, folder / "bench.db", api_url), server_log
        ) as server_process,
        subprocess_running("bare", bare_args, bare_env(bare_port), bare_log) as bare_process,
        aiohttp.ClientSession() as http,
    ):
        server = Target("server", f"http://{HOST}:{server_port}{EVENTS_PATH}", "What I can do", server_process.pid)
        bare = Target("bare", f"http://{HOST}:{bare_port}{EVENTS_PATH}", "ephemeral", bare_process.pid)
        await wait_ready(http, "GET", f"http://{HOST}:{server_port}/healthz", 200, server_log)
        await wait_ready(http, "POST", bare.url, 401, bare_log)  # unsigned: the route is up
        for target in (server, bare):
            await warm_up(target)
        calls = {method: len(fake.calls_to(method)) for method in ("auth.test", "users.info")}
        print(f"Warmed up ({len(USERS)} users); fake Slack API calls so far: {calls}")
        print(
            f"Measuring: open loop {args.rate:g}/s for {args.seconds:g} s, closed loop {args.workers} workers "
            f"for {args.max_seconds:g} s; {os.cpu_count()} CPUs"
        )
        results = {
            target.name: await measure(target, args.rate, args.seconds, args.workers, args.max_seconds)
            for target in (server, bare)
        }
        late_calls = {method: len(fake.calls_to(method)) - before for method, before in calls.items()}
        print(f"  fake Slack API calls during the measurements: {late_calls}")
    print_summary(args.rate, results)
    for name, log in (("server", server_log), ("bare", bare_log)):
        tail = log_tail(log, 10).strip()
        if tail:
            print(f"\n{name} log (last lines):\n{tail}")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="open-loop requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="open-loop duration")
    parser.add_argument("--workers", type=int, default=16, help="closed-loop concurrent clients")
    parser.add_argument("--max-seconds", type=float, default=5.0, help="closed-loop duration")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.workers < 1 or args.max_seconds <= 0:
        parser.error("--rate, --seconds, --workers and --max-seconds must be positive")
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
        print("interrupted; the server and the bare handler were stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
