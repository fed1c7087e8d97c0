"""GET /metrics (issue 17, point 5): turns by platform and kind, turn and acknowledgement latency, the
outbox's depth and deliveries by outcome, the scheduler's lag and its jobs, in Prometheus' text format;
no label holds an email, a name, an id or a text. The figures are per process and every test of the suite
shares this one, so each test reads what moved while it ran (a delta), never a total."""

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot import metrics
from bot.engine import Engine
from bot.messages import FormAnswers, Inbound
from bot.scheduler import JobContext, Scheduler, schedule
from storage.db import Database
from storage.models import Account, Job, OutboxMessage, Person
from tests.conftest import FIXED_NOW
from tests.fakes.bot_connector import FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi
from tests.server import RunningServer, running_server, settle
from tests.test_booking_platforms import SOKHA, connector, cora_on_teams, fake_slack  # noqa: F401
from tests.test_outbox_delivery import eventually, row, send_to
from tests.test_selection_platforms import SlackUser
from tests.test_slack import PAT, slack_env

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
SOKHA_EMAIL, PAT_EMAIL = "partner@demo.example", "participant@demo.example"


def parse(page: str) -> Samples:
    """Every sample of a Prometheus text page, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


async def scrape(server: RunningServer) -> tuple[str, Samples]:
    async with server.http.get(server.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        page = await response.text()
    return page, parse(page)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def personal_data(server: RunningServer) -> set[str]:
    """Every email, display name and platform account id the database holds."""
    async with server.db.transaction() as session:
        people = (await session.execute(select(Person.email, Person.display_name))).all()
        accounts = (await session.execute(select(Account.external_id))).scalars().all()
    return {text for pair in people for text in pair if text} | set(accounts)


async def test_turns_are_counted_by_platform_and_kind_and_no_label_names_anyone(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
    connector: FakeBotConnector,  # noqa: F811
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        _, before = await scrape(server)
        await cora_on_teams(server, connector)  # "help" typed in Teams: a message
        sokha = SlackUser(server, fake_slack, SOKHA)
        assert "`help me`" in await sokha.command("help")  # a slash command
        assert "I will tell the coordinators" in await sokha.command("help me")
        assert await sokha.click("Just tell them")  # a click
        pat = SlackUser(server, fake_slack, PAT)
        assert await pat.say("Hello there, my goals are private")  # a typed DM: a message
        page, after = await scrape(server)
        held = await personal_data(server)

    assert moved(before, after, "coaching_turns_total", platform="teams", kind="message") == 1
    assert moved(before, after, "coaching_turns_total", platform="slack", kind="command") == 2
    assert moved(before, after, "coaching_turns_total", platform="slack", kind="click") == 1
    assert moved(before, after, "coaching_turns_total", platform="slack", kind="message") == 1
    assert moved(before, after, "coaching_turns_total", platform="console", kind="message") == 0
    assert moved(before, after, "coaching_turn_seconds_count", platform="slack") == 4
    assert moved(before, after, "coaching_turn_seconds_count", platform="teams") == 1
    assert moved(before, after, "coaching_turn_seconds_sum", platform="slack") > 0
    # Each request Slack or Teams posted was answered, and timed: 4 to /slack/events, 1 to /api/messages.
    assert moved(before, after, "coaching_ack_seconds_count", platform="slack") == 4
    assert moved(before, after, "coaching_ack_seconds_count", platform="teams") == 1
    slowest = "+Inf"
    assert moved(before, after, "coaching_ack_seconds_bucket", platform="slack", le=slowest) == 4
    assert moved(before, after, "coaching_turn_failures_total", platform="slack") == 0

    assert {"coach@demo.example", "Cora Coach", "Sokha Partner"} <= held  # the scan looks at real data
    assert [text for text in held if text in page] == []
    assert "goals are private" not in page and "Hello there" not in page
    labels = {name for (_sample, pairs) in after for name, _value in pairs}
    assert labels <= {"platform", "kind", "outcome", "state", "le"}


async def test_outbox_deliveries_by_outcome_and_its_depth_read_at_scrape_time(
    database_url: str,
    fake_slack: FakeSlackApi,  # noqa: F811
    connector: FakeBotConnector,  # noqa: F811
):
    async with running_server(database_url, slack_env(fake_slack)) as server:
        await cora_on_teams(server, connector)
        await SlackUser(server, fake_slack, PAT).say("help")
        await SlackUser(server, fake_slack, SOKHA).say("help")
        await settle(server)
        _, before = await scrape(server)

        await send_to(server, "coach@demo.example", "Cohort news for Cora in Teams")
        await send_to(server, SOKHA_EMAIL, "Cohort news for Sokha in Slack")
        await settle(server)
        _, delivered = await scrape(server)
        assert moved(before, delivered, "coaching_outbox_deliveries_total", platform="teams", outcome="sent") == 1
        assert moved(before, delivered, "coaching_outbox_deliveries_total", platform="slack", outcome="sent") == 1

        # A 429, then the message goes after its Retry-After; then a deactivated account: failed.
        fake_slack.fail_next("chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
        limited = await send_to(server, SOKHA_EMAIL, "Cohort news, rate limited once")
        await eventually(lambda: _with_error(server, limited, "ratelimited"), "the 429 to put the message off")
        _, waiting = await scrape(server)
        assert value(waiting, "coaching_outbox_depth", state="later") == await _pending(server, due=False)
        assert value(waiting, "coaching_outbox_depth", state="later") >= 1  # the one put off by the 429
        assert value(waiting, "coaching_outbox_depth", state="due") == await _pending(server, due=True)
        server.engine.clock = lambda: FIXED_NOW + timedelta(seconds=2)
        await settle(server)
        fake_slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "account_inactive"})
        gone = await send_to(server, PAT_EMAIL, "Cohort news for a departed member")
        await eventually(lambda: _with_status(server, gone, "failed"), "the message to fail")
        await settle(server)
        _, after = await scrape(server)

    slack = {"platform": "slack"}
    assert moved(delivered, after, "coaching_outbox_deliveries_total", **slack, outcome="rate_limited") == 1
    assert moved(delivered, after, "coaching_outbox_deliveries_total", **slack, outcome="sent") == 1
    assert moved(delivered, after, "coaching_outbox_deliveries_total", **slack, outcome="failed") == 1
    assert moved(delivered, after, "coaching_outbox_deliveries_total", **slack, outcome="in_doubt") == 0
    assert moved(before, after, "coaching_outbox_deliveries_total", platform="teams", outcome="sent") == 1
    assert value(after, "coaching_outbox_depth", state="sending") == 0


async def _with_error(server: RunningServer, message_id: int, error: str) -> bool:
    return (await row(server, message_id)).error == error


async def _with_status(server: RunningServer, message_id: int, status: str) -> bool:
    return (await row(server, message_id)).status == status


async def _pending(server: RunningServer, *, due: bool) -> int:
    now = server.engine.clock()
    when = OutboxMessage.due_at <= now if due else OutboxMessage.due_at > now
    async with server.db.transaction() as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending", when)
        return (await session.execute(query)).scalar_one()


def read() -> Samples:
    return parse(metrics.page().decode())


async def test_scheduler_lag_job_runs_and_failures_by_kind(db: Database, catalog):
    async def fine(context: JobContext) -> None:
        return None

    async def broken(context: JobContext) -> None:
        raise RuntimeError("a handler's bug")

    async with db.transaction() as session:
        await schedule(session, "metrics-fine", "a", FIXED_NOW - timedelta(seconds=90), FIXED_NOW)
        await schedule(session, "metrics-broken", "b", FIXED_NOW - timedelta(seconds=30), FIXED_NOW)
        await schedule(session, "no-such-kind", "person:7 jo@example.org", FIXED_NOW - timedelta(seconds=10), FIXED_NOW)
        await schedule(session, "metrics-fine", "later", FIXED_NOW + timedelta(hours=1), FIXED_NOW)
    before = read()
    scheduler = Scheduler(db, catalog, {"metrics-fine": fine, "metrics-broken": broken}, lambda: FIXED_NOW)
    assert await scheduler.run_due() == 2  # the fine one, and the kind with no handler (marked failed)
    after = read()

    assert moved(before, after, "coaching_job_runs_total", kind="metrics-fine") == 1
    assert moved(before, after, "coaching_job_runs_total", kind="metrics-broken") == 1
    assert moved(before, after, "coaching_job_failures_total", kind="metrics-broken") == 1
    assert moved(before, after, "coaching_job_failures_total", kind="metrics-fine") == 0
    assert moved(before, after, "coaching_job_failures_total", kind="other") == 1  # not its kind, nor subject
    assert not [key for key in after if "no-such-kind" in str(key) or "jo@example.org" in str(key)]
    assert moved(before, after, "coaching_scheduler_lag_seconds_count") == 3
    assert moved(before, after, "coaching_scheduler_lag_seconds_sum") == 90 + 30 + 10
    assert moved(before, after, "coaching_scheduler_lag_seconds_bucket", le="60.0") == 2
    assert value(after, "coaching_scheduler_last_lag_seconds") == 10
    async with db.transaction() as session:
        broken_job = (await session.execute(select(Job).where(Job.kind == "metrics-broken"))).scalar_one()
    assert (broken_job.status, broken_job.attempts) == ("pending", 1)  # put off, to be tried again


async def test_console_turns_and_a_form_are_counted_as_their_kind(engine: Engine, chat):
    before = read()
    casey = chat("coordinator@demo.example")
    assert "help" in await casey.say("help")
    form = FormAnswers("help", ())
    await engine.handle(Inbound("console", "coordinator@demo.example", "console", form=form), casey.console.directory)
    after = read()
    assert moved(before, after, "coaching_turns_total", platform="console", kind="message") == 1
    assert moved(before, after, "coaching_turns_total", platform="console", kind="form") == 1
    assert moved(before, after, "coaching_turn_seconds_count", platform="console") == 2
