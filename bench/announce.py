"""Benchmark: a 10,000-recipient announcement through the real server, against the fake Slack and Teams
services with a set rate limit: the time it takes compared with the bound (recipients / rate), and the
duplicates and losses (both must be zero).

    .venv/bin/python bench/announce.py [--recipients 10000] [--rate 100] [--teams-every 2]
                                       [--timeout SECONDS] [--postgres | --database-url URL]

Setup, on a fresh SQLite file in a temporary directory (or, with `--postgres`, a new database on a
throwaway PostgreSQL cluster this script starts and removes; or the empty database `--database-url`
names): it migrates the database, seeds the demo at the real current time (the server runs on the real
clock) and adds RECIPIENTS mentees to the ALCTS demo cohort (tests/crowd.py add_crowd): odd-numbered ones
on Slack, even-numbered ones on Teams (`--teams-every N`: every N-th; 0: nobody), whose stored
ConversationReferences point at a fake Bot Connector.
The fake Slack Web API (tests/fakes/slack_api.py) and the fake Bot Connector (tests/fakes/bot_connector.py)
run in this process; nothing of ours is faked. It then starts the real server, `python app.py serve`, in
a subprocess with OUTBOX_RATE_SLACK and OUTBOX_RATE_TEAMS set to RATE (and no MICROSOFT_APP_ID, so it
writes to Teams anonymously, to the fake), waits for /healthz, and has the demo coordinator announce to
everyone in the cohort through the real `announce` dialog (tests/conftest.py Chat over an Engine on the
same database).

It measures, with time.perf_counter, from the moment the coordinator presses "Send to N people":
  - until every announcement row of the crowd is `sent` (the database is polled every 0.1 s through a
    plain connection, which takes no write lock);
  - until the last message the fakes received (each fake notes when it took a message);
and prints the recipients per platform, the rate, the bound = max(Slack recipients / Slack rate, Teams
recipients / Teams rate: the platforms run side by side), the measured time, measured / bound beside its
target (TARGET), the messages a second achieved, duplicates (Slack: outbox keys posted more than once;
Teams: conversations that got more than one activity) and losses (crowd recipients whose DM at the fake
holds no message of the announcement), after watching for SETTLE seconds more once all rows are sent. It
also prints the setup time, when the first and the last message reached each fake, the CPU seconds the
server and this process used meanwhile (the machine's cores are shared by both, and by the fakes), the
machine's load average before and after (other work on the machine slows the run), and the server log's
count of sent and failed deliveries. The server is stopped with SIGTERM at the end; the temporary
directory (and cluster) removed.
If not every row is sent within the timeout (default 6 x bound + 60 s), it says so and counts what is
missing. It prints figures only; it never fails on timing.
"""

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402

from bot.cohorts import cohort_label  # noqa: E402
from bot.demo import ALCTS, running_cohort, seed_demo  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.outbox import message_key  # noqa: E402
from bot.programs import ProgramCatalog, load_programs  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from tests.conftest import Chat  # noqa: E402
from tests.crowd import add_crowd  # noqa: E402
from tests.fakes.bot_connector import FakeBotConnector  # noqa: E402
from tests.fakes.postgres import ThrowawayPostgres  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi  # noqa: E402
from tests.server import ServerProcess  # noqa: E402
from tests.test_slack import slack_env  # noqa: E402
from wiring import build_registry  # noqa: E402

RECIPIENTS = 10_000
RATE = 100.0  # messages a second, per platform
TARGET = 1.1  # measured / bound at most
TEAMS_EVERY = 2  # every second person is on Teams (--teams-every)
POLL = 0.1  # seconds between looks at the database
SETTLE = 2.0  # seconds to keep watching the fakes after every row is sent
COORDINATOR = "coordinator@demo.example"
TEXT = "The mid-way survey opens next week."


# ---------------------------------------------------------------- the fakes, noting when they took a message


class TimedSlackApi(FakeSlackApi):
    """The fake Slack Web API, noting when it took the first and the last chat.postMessage."""

    first_post = 0.0
    last_post = 0.0

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        answer = super()._post(args)
        self.last_post = time.perf_counter()
        self.first_post = self.first_post or self.last_post
        return answer


class TimedBotConnector(FakeBotConnector):
    """The fake Bot Connector, noting when it took the first and the last activity."""

    first_post = 0.0
    last_post = 0.0

    async def _send(self, request: web.Request) -> web.Response:
        taken = len(self.sent)
        response = await super()._send(request)
        if len(self.sent) > taken:
            self.last_post = time.perf_counter()
            self.first_post = self.first_post or self.last_post
        return response


# ---------------------------------------------------------------- the server


def server_env(database_url: str, slack: FakeSlackApi, rate: float) -> dict[str, str]:
    return {
        **slack_env(slack),
        "DATABASE_URL": database_url,
        "OUTBOX_RATE_SLACK": f"{rate:g}",
        "OUTBOX_RATE_TEAMS": f"{rate:g}",
    }


def cpu_seconds(server: ServerProcess) -> float:
    """User and system CPU the server has used so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def load_average() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


# ---------------------------------------------------------------- setup and the announcement


@dataclass
class Crowd:
    """The recipients: person ids (contiguous) and their numbers in tests/crowd.py (n is on Teams when
    `teams_every` divides it)."""

    ids: list[int]
    first: int
    teams_every: int

    def number_of(self, person_id: int) -> int:
        return self.first + person_id - self.ids[0]

    def on_teams(self, person_id: int) -> bool:
        return bool(self.teams_every) and self.number_of(person_id) % self.teams_every == 0


async def add_recipients(
    db: Database, catalog: ProgramCatalog, recipients: int, teams_every: int, service_url: str
) -> Crowd:
    """Seed the demo now and add the crowd to the ALCTS demo cohort as mentees."""
    now = datetime.now(UTC)
    await migrate.upgrade(db)
    await seed_demo(db, catalog, now)
    async with db.transaction() as session:
        cohort_id = (await session.execute(running_cohort(ALCTS))).scalar_one().id
    ids = await add_crowd(
        db, cohort_id, recipients, now, role="mentee", teams_every=teams_every, service_url=service_url
    )
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise RuntimeError("the crowd's person ids are not contiguous; give the benchmark an empty database")
    return Crowd(ids, first=1, teams_every=teams_every)


async def prepare_announcement(db: Database, catalog: ProgramCatalog) -> Chat:
    """The coordinator, one click away from sending: announce, the ALCTS demo cohort, everyone, the text."""
    async with db.transaction() as session:
        cohort = (await session.execute(running_cohort(ALCTS))).scalar_one()
    casey = Chat(Engine(db, build_registry(), catalog), COORDINATOR)
    await casey.say("announce")
    await casey.click(cohort_label(cohort, catalog.get(ALCTS)))
    await casey.click("Everyone")
    preview = await casey.say(TEXT)
    if "Send to" not in " ".join(button.label for button in casey.console.buttons):
        raise RuntimeError(f"no 'Send to' button after the text: {preview!r}")
    return casey


# ---------------------------------------------------------------- watching


def status_query(crowd: Crowd) -> Any:
    return (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.kind == "announcement")
        .where(OutboxMessage.person_id.between(crowd.ids[0], crowd.ids[-1]))
        .group_by(OutboxMessage.status)
    )


async def statuses(observer: AsyncEngine, crowd: Crowd) -> dict[str, int]:
    """The crowd's announcement rows by status, read without taking SQLite's write lock."""
    async with observer.connect() as connection:
        return dict((await connection.execute(status_query(crowd))).all())


async def until_all_sent(observer: AsyncEngine, crowd: Crowd, limit: float) -> float | None:
    """time.perf_counter() when every crowd row was `sent`; None if not within `limit` seconds."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if (await statuses(observer, crowd)).get("sent", 0) >= len(crowd.ids):
            return time.perf_counter()
        await asyncio.sleep(POLL)
    return None


async def keys_of(observer: AsyncEngine, crowd: Crowd) -> dict[int, str]:
    """person id -> the outbox key of their announcement."""
    query = (
        select(OutboxMessage.person_id, OutboxMessage.id)
        .where(OutboxMessage.kind == "announcement")
        .where(OutboxMessage.person_id.between(crowd.ids[0], crowd.ids[-1]))
    )
    async with observer.connect() as connection:
        return {person_id: message_key(message_id) for person_id, message_id in (await connection.execute(query))}


@dataclass
class Tally:
    slack_duplicates: int  # keys posted more than once
    slack_extra: int  # copies beyond the first
    teams_duplicates: int  # conversations with more than one activity
    teams_extra: int
    slack_lost: int  # Slack recipients whose DM holds no message with their key
    teams_lost: int  # Teams recipients whose conversation got no activity


def tally(slack: FakeSlackApi, connector: FakeBotConnector, crowd: Crowd, keys: dict[int, str]) -> Tally:
    per_key = Counter(slack.posted_keys())
    in_dm = {
        (channel, message["metadata"]["event_payload"]["key"])
        for channel, messages in slack.history.items()
        for message in messages
        if "metadata" in message
    }
    per_conversation = Counter(sent.conversation_id for sent in connector.sent)
    slack_lost = teams_lost = 0
    for person_id in crowd.ids:
        n = crowd.number_of(person_id)
        if crowd.on_teams(person_id):
            teams_lost += per_conversation[f"a:dm-{n:07d}"] == 0  # tests/crowd.py teams_reference
        else:
            slack_lost += (f"D{n:07d}", keys.get(person_id)) not in in_dm  # the fake's DM of U{n:07d}
    return Tally(
        slack_duplicates=sum(1 for times in per_key.values() if times > 1),
        slack_extra=sum(times - 1 for times in per_key.values() if times > 1),
        teams_duplicates=sum(1 for times in per_conversation.values() if times > 1),
        teams_extra=sum(times - 1 for times in per_conversation.values() if times > 1),
        slack_lost=slack_lost,
        teams_lost=teams_lost,
    )


# ---------------------------------------------------------------- main


@dataclass
class Figures:
    """What one run measured; times are time.perf_counter() readings."""

    slack: int  # recipients on Slack
    teams: int
    rate: float
    pressed: float  # the coordinator pressed "Send to N people"
    turn: float  # seconds the confirming turn took
    done: float | None = None  # every crowd row was `sent` (None: not before the timeout)
    server_cpu: float = math.nan  # CPU seconds the server used from the click to `done`
    bench_cpu: float = math.nan  # and this process (the fakes, the polling)

    @property
    def total(self) -> int:
        return self.slack + self.teams

    @property
    def bound(self) -> float:
        return max(self.slack / self.rate, self.teams / self.rate)

    @property
    def measured(self) -> float | None:
        return None if self.done is None else self.done - self.pressed


async def run(url: str, args: argparse.Namespace, work: Path) -> None:
    recipients, rate = args.recipients, args.rate
    catalog = load_programs(ROOT / "programs")
    slack, connector = TimedSlackApi(), TimedBotConnector()
    await slack.start()
    await connector.start()
    db, observer = Database(url), create_async_engine(url)
    server: ServerProcess | None = None
    try:
        start = time.perf_counter()
        crowd = await add_recipients(db, catalog, recipients, args.teams_every, connector.service_url)
        data_at = time.perf_counter()
        server = ServerProcess(server_env(url, slack, rate), work / "server.log")
        await server.ready()
        server_at = time.perf_counter()
        casey = await prepare_announcement(db, catalog)
        print(f"database: {db.url.get_backend_name()}; the server: `python app.py serve`, pid {server.process.pid}")
        print(f"machine load average (1, 5, 15 min) before: {load_average()}")
        print(
            f"setup: {time.perf_counter() - start:.1f} s (schema, demo and {recipients} people "
            f"{data_at - start:.1f} s, server start {server_at - data_at:.1f} s, "
            f"announce dialog up to the preview {time.perf_counter() - server_at:.1f} s)"
        )
        figures = await announce(casey, observer, crowd, server, rate, args.timeout)
        await asyncio.sleep(SETTLE)
        counts = await statuses(observer, crowd)
        found = tally(slack, connector, crowd, await keys_of(observer, crowd))
        report(slack, connector, server, figures)
        print(f"  the crowd's announcement rows by status, {SETTLE:g} s later: {dict(sorted(counts.items()))}")
        print_tally(found, timed_out=figures.done is None)
        print(f"machine load average (1, 5, 15 min) after: {load_average()}")
    finally:
        if server is not None:
            print(f"server stopped with SIGTERM: exit code {await server.stop()}")
        await observer.dispose()
        await db.dispose()
        await slack.stop()
        await connector.stop()


async def announce(
    casey: Chat, observer: AsyncEngine, crowd: Crowd, server: ServerProcess, rate: float, limit: float | None
) -> Figures:
    """Press "Send to N people" and wait until every crowd row is sent."""
    teams = sum(1 for person_id in crowd.ids if crowd.on_teams(person_id))
    cpu = (cpu_seconds(server), time.process_time())
    pressed = time.perf_counter()
    confirmed = await casey.click("Send to")
    turn = time.perf_counter() - pressed
    if f"Sent to {len(crowd.ids) + 2} people" not in confirmed:  # the crowd and the two demo people
        raise RuntimeError(f"unexpected confirmation: {confirmed!r}")
    figures = Figures(len(crowd.ids) - teams, teams, rate, pressed, turn)
    figures.done = await until_all_sent(observer, crowd, limit or 6 * figures.bound + 60)
    figures.server_cpu = cpu_seconds(server) - cpu[0]
    figures.bench_cpu = time.process_time() - cpu[1]
    return figures


def report(slack: TimedSlackApi, connector: TimedBotConnector, server: ServerProcess, figures: Figures) -> None:
    rate, pressed = figures.rate, figures.pressed
    print(f"\nrecipients: {figures.total} ({figures.slack} on Slack, {figures.teams} on Teams)")
    print(f"rate: {rate:g} messages/s on Slack and {rate:g} on Teams (OUTBOX_RATE_SLACK, OUTBOX_RATE_TEAMS)")
    print(f"bound: {figures.bound:.1f} s = max({figures.slack} / {rate:g}, {figures.teams} / {rate:g})")
    print(f"confirming turn ({figures.total + 2} rows queued): {figures.turn * 1000:.0f} ms")
    firsts = [t for t in (slack.first_post, connector.first_post) if t]
    if firsts:
        print(f"first message at a fake: {min(firsts) - pressed:.2f} s after the click")
    measured = figures.measured
    if measured is None:
        print("measured: NOT every row was sent before the timeout")
    else:
        print(f"measured: {measured:.1f} s from the click until every crowd row was sent (polled every {POLL:g} s)")
        print(f"  measured / bound: {measured / figures.bound:.2f} (target: {TARGET:g} or less)")
        print(f"  achieved: {figures.total / measured:.1f} messages/s in all")
        print(
            f"  CPU meanwhile: the server {figures.server_cpu:.1f} s ({figures.server_cpu / measured:.0%} of a core), "
            f"this process (the fakes, polling) {figures.bench_cpu:.1f} s; {os.cpu_count()} cores"
        )
    for name, fake, count in (("Slack", slack, figures.slack), ("Teams", connector, figures.teams)):
        if fake.last_post:
            took = fake.last_post - pressed
            print(f"last message at the fake {name}: {took:.1f} s after the click ({count / took:.1f} messages/s)")
    print(
        f"server log: {server.log_count('outbox sent id=')} 'outbox sent', "
        f"{server.log_count('outbox delivery unclear')} 'delivery unclear', "
        f"{server.log_count('outbox delivery failed')} 'delivery failed', "
        f"{server.log_count('outbox round failed')} 'round failed'"
    )


def print_tally(found: Tally, timed_out: bool) -> None:
    print(
        f"duplicates (must be 0): Slack {found.slack_duplicates} keys posted more than once "
        f"({found.slack_extra} extra copies); Teams {found.teams_duplicates} conversations with more than one "
        f"activity ({found.teams_extra} extra)"
    )
    print(
        f"losses (must be 0): Slack {found.slack_lost} recipients whose DM holds no copy; "
        f"Teams {found.teams_lost} recipients whose conversation got none"
        + (" (counting those still undelivered at the timeout)" if timed_out else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--recipients", type=int, default=RECIPIENTS, help="people in the crowd (half on Teams)")
    parser.add_argument("--rate", type=float, default=RATE, help="messages a second per platform (max 1000)")
    parser.add_argument("--timeout", type=float, help="seconds to wait for delivery (default: 6 x bound + 60)")
    parser.add_argument(
        "--teams-every", type=int, default=TEAMS_EVERY, help="every N-th recipient is on Teams (0: all on Slack)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an empty database (default: a new SQLite file in a temp dir)")
    where.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    if args.recipients < 2 or not 0 < args.rate <= 1000 or args.teams_every < 0:
        parser.error("--recipients must be at least 2, --rate between 0 and 1000, --teams-every 0 or more")
    with tempfile.TemporaryDirectory(prefix="bench-announce-") as directory:
        work = Path(directory)
        if args.database_url:
            asyncio.run(run(args.database_url, args, work))
        elif args.postgres:
            cluster = ThrowawayPostgres()
            cluster.start()
            try:
                url = cluster.create_database(f"bench_announce_{uuid.uuid4().hex[:8]}")
                asyncio.run(run(url, args, work))
            finally:
                cluster.stop()
        else:
            url = f"sqlite+aiosqlite:///{work / 'coaching.db'}"
            asyncio.run(run(url, args, work))


if __name__ == "__main__":
    main()
