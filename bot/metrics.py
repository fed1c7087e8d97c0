"""What `GET /metrics` shows, in Prometheus' text format (prometheus-client): turns, their latency, the
acknowledgements' latency, the outbox's depth and deliveries, the scheduler's lag and its jobs.

Every label comes from a fixed vocabulary (platform, turn kind, delivery outcome, job kind), never from
what a person is or said: no email, name, id or text can reach a label. The metrics live in a registry of
their own, so the page shows only ours. Each process counts for itself (`serve --workers N`: per worker).
Counting costs a dictionary look-up and an addition: the turn's path reads no database for it; the
outbox's depth is read from the database when the page is asked for.
"""

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import case, func, select

from bot.messages import Inbound
from storage.db import Database
from storage.models import OutboxMessage

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

PLATFORMS = ("slack", "teams", "console")
HTTP_PLATFORMS = ("slack", "teams")  # the ones that acknowledge an HTTP request and have an outbox sender
TURN_KINDS = ("message", "command", "click", "form")
# sent: the platform took it; failed: given up (refused for good, or in doubt too often); rate_limited:
# a 429, offered again after its Retry-After; in_doubt: no clear answer, checked and retried later.
DELIVERY_OUTCOMES = ("sent", "failed", "rate_limited", "in_doubt")
OUTBOX_STATES = ("due", "later", "sending")  # pending and due now, pending for later, claimed or in doubt
OTHER = "other"  # a value outside the vocabulary (a job kind no handler knows, say) is counted under this

# Slack wants its answer within 3 s, Teams within about 15.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0, 30.0)
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 6 * 3600.0, 24 * 3600.0)

TURNS = Counter("coaching_turns", "Turns the engine handled", ["platform", "kind"], registry=REGISTRY)
TURN_FAILURES = Counter(
    "coaching_turn_failures", "Turns that failed and were answered with an apology", ["platform"], registry=REGISTRY
)
TURN_SECONDS = Histogram(
    "coaching_turn_seconds", "The engine's handling of one turn", ["platform"], buckets=TURN_BUCKETS, registry=REGISTRY
)
ACK_SECONDS = Histogram(
    "coaching_ack_seconds",
    "From an HTTP request from a platform to the answer going back",
    ["platform"],
    buckets=ACK_BUCKETS,
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "coaching_outbox_depth", "Outbox messages not delivered yet, read at scrape time", ["state"], registry=REGISTRY
)
OUTBOX_DELIVERIES = Counter(
    "coaching_outbox_deliveries", "Outbox delivery attempts by outcome", ["platform", "outcome"], registry=REGISTRY
)
SCHEDULER_LAG = Histogram(
    "coaching_scheduler_lag_seconds", "How late a due job started", buckets=LAG_BUCKETS, registry=REGISTRY
)
SCHEDULER_LAST_LAG = Gauge(
    "coaching_scheduler_last_lag_seconds", "How late the last due job started", registry=REGISTRY
)
JOB_RUNS = Counter("coaching_job_runs", "Scheduled jobs run", ["kind"], registry=REGISTRY)
JOB_FAILURES = Counter(
    "coaching_job_failures", "Scheduled jobs that failed (put off or given up)", ["kind"], registry=REGISTRY
)

# Every series of a fixed vocabulary exists from the start at 0, so a rate over it is never missing.
for _platform in PLATFORMS:
    TURN_FAILURES.labels(_platform)
    TURN_SECONDS.labels(_platform)
    for _kind in TURN_KINDS:
        TURNS.labels(_platform, _kind)
for _platform in HTTP_PLATFORMS:
    ACK_SECONDS.labels(_platform)
    for _outcome in DELIVERY_OUTCOMES:
        OUTBOX_DELIVERIES.labels(_platform, _outcome)


def platform_label(platform: str) -> str:
    return platform if platform in PLATFORMS else OTHER


def turn_kind(inbound: Inbound) -> str:
    """What the engine distinguishes: a form sent in, a click, a slash command, or a typed message."""
    if inbound.form is not None:
        return "form"
    if inbound.action is not None:
        return "click"
    return "command" if inbound.is_command else "message"


def turn_done(inbound: Inbound, seconds: float) -> None:
    platform = platform_label(inbound.platform)
    TURNS.labels(platform, turn_kind(inbound)).inc()
    TURN_SECONDS.labels(platform).observe(seconds)


def turn_failed(platform: str) -> None:
    TURN_FAILURES.labels(platform_label(platform)).inc()


def acknowledged(platform: str, seconds: float) -> None:
    ACK_SECONDS.labels(platform_label(platform)).observe(seconds)


def delivery(platform: str, outcome: str) -> None:
    assert outcome in DELIVERY_OUTCOMES, outcome
    OUTBOX_DELIVERIES.labels(platform_label(platform), outcome).inc()


def known_jobs(kinds: list[str]) -> None:
    """The job kinds a scheduler has handlers for: their series start at 0."""
    for kind in kinds:
        JOB_RUNS.labels(kind)
        JOB_FAILURES.labels(kind)


def job_started(kind: str, lag_seconds: float) -> None:
    lag = max(lag_seconds, 0.0)
    SCHEDULER_LAG.observe(lag)
    SCHEDULER_LAST_LAG.set(lag)
    JOB_RUNS.labels(kind).inc()


def job_failed(kind: str) -> None:
    JOB_FAILURES.labels(kind).inc()


async def read_outbox_depth(db: Database, now: datetime) -> None:
    """Count the undelivered outbox rows by state (one statement over the (status, due_at) index)."""
    state = case(
        (OutboxMessage.status == "sending", "sending"),
        (OutboxMessage.due_at <= now, "due"),
        else_="later",
    )
    query = select(state, func.count()).where(OutboxMessage.status.in_(("pending", "sending"))).group_by(state)
    async with db.reading() as session:  # on SQLite it waits for no writer
        counts: dict[str, int] = dict((await session.execute(query)).all())
    for name in OUTBOX_STATES:
        OUTBOX_DEPTH.labels(name).set(counts.get(name, 0))


def forget_outbox_depth() -> None:
    """The depth could not be read: no figure rather than a stale one."""
    OUTBOX_DEPTH.clear()


def page() -> bytes:
    return generate_latest(REGISTRY)
