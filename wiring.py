"""The assistant put together: every dialog registered, the database brought up to date, the engine
opened. The command line (app.py) and the HTTP server (server.py) both start from here."""

import asyncio
import logging

from sqlalchemy import func, select

from bot import i18n, jobs, when
from bot.cohorts import upgrade_calendars
from bot.config import Settings
from bot.demo import seed_demo
from bot.dialog import Registry
from bot.engine import Engine
from bot.json_logs import JsonFormatter
from bot.programs import ProgramCatalog
from dialogs import (
    announce,
    apply,
    assessment,
    availability,
    book,
    cancel,
    checkin,
    cohort,
    cohort_calendar,
    confirm,
    enrol,
    event,
    forget,
    group,
    help,
    hours,
    language,
    match,
    materials,
    me,
    my_data,
    network,
    pair,
    pair_quiet,
    partner,
    pause,
    profile,
    programs,
    relay,
    report,
    resources,
    review,
    sessions,
    status,
    survey,
    timezone,
)
from storage import migrate
from storage.db import Database
from storage.models import Cohort

log = logging.getLogger("coaching")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WARM_UP_AFTER = 1.0  # seconds after the start before dateparser is warmed up


def build_registry() -> Registry:
    """Every conversation the assistant knows: one line per module in dialogs/."""
    registry = Registry()
    help.register(registry)
    cancel.register(registry)
    me.register(registry)
    timezone.register(registry)
    language.register(registry)
    programs.register(registry)
    cohort.register(registry)
    cohort_calendar.register(registry)
    apply.register(registry)
    status.register(registry)
    review.register(registry)
    enrol.register(registry)
    confirm.register(registry)
    match.register(registry)
    partner.register(registry)
    materials.register(registry)
    profile.register(registry)
    pair.register(registry)
    pair_quiet.register(registry)
    pause.register(registry)
    assessment.register(registry)
    book.register(registry)
    sessions.register(registry)
    availability.register(registry)
    announce.register(registry)
    group.register(registry)
    event.register(registry)
    checkin.register(registry)
    hours.register(registry)
    relay.register(registry)
    network.register(registry)
    survey.register(registry)
    report.register(registry)
    resources.register(registry)
    forget.register(registry)
    my_data.register(registry)
    return registry


# Libraries that log whole requests at DEBUG (slack_sdk logs each call's body, msrest each Bot Connector
# request): a relayed message would end up in the log. They log at INFO at most, whatever LOG_LEVEL says.
LIBRARIES_LOGGING_BODIES = ("slack_sdk", "slack_bolt", "msrest", "botbuilder", "botframework", "aiohttp.client")


def log_handler(log_format: str, worker: str | None = None) -> logging.Handler:
    """A handler on stderr writing LOG_FORMAT's lines: text as LOG_FORMAT says, or one JSON object a line;
    `worker` names the process of `serve --workers N`."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter(worker))
        return handler
    text = LOG_FORMAT if worker is None else LOG_FORMAT.replace("%(name)s", f"{worker} %(name)s")
    handler.setFormatter(logging.Formatter(text))
    return handler


def configure_logging(level: str, log_format: str, worker: str | None = None) -> None:
    logging.basicConfig(level=level, handlers=[log_handler(log_format, worker)])
    if log_format == "json":  # a library's warning is a JSON line too, not a stray line of text
        logging.captureWarnings(True)


def keep_message_text_out_of_logs() -> None:
    for name in LIBRARIES_LOGGING_BODIES:
        logger = logging.getLogger(name)
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))


async def prepare(settings: Settings, catalog: ProgramCatalog, *, seed: bool = True) -> tuple[Database, Engine]:
    """Open the database, bring its schema up to date, and seed the demo on a first start."""
    keep_message_text_out_of_logs()
    db = Database(settings.database_url)
    await migrate.upgrade(db)
    async with db.transaction() as session:
        await upgrade_calendars(session, catalog)
    engine = open_engine(db, settings, catalog)
    if seed and await _has_no_cohorts(db):
        created = await seed_demo(db, catalog, engine.clock(), open_survey=True)
        log.info("first start: created %d demo cohorts (the README lists the demo people)", len(created))
    await jobs.plan_all(db, catalog, engine.clock())
    return db, engine


def open_engine(db: Database, settings: Settings, catalog: ProgramCatalog) -> Engine:
    """The engine over a database whose schema is up to date."""
    return Engine(db, build_registry(), catalog, public_url=settings.public_url)


def warm_up_dates() -> asyncio.Task[None]:
    """dateparser's first parse (about 0.2 s of CPU) and the Khmer catalog, in a thread, a moment after the
    start: not in a person's turn, nor in the way of the first answers. dateparser locks its loading, so a turn that
    parses a date before it is done waits for it rather than loading twice."""

    async def warm_up() -> None:
        await asyncio.sleep(WARM_UP_AFTER)
        await asyncio.to_thread(when.warm_up)
        await asyncio.to_thread(i18n.warm_up)

    return asyncio.create_task(warm_up())


async def _has_no_cohorts(db: Database) -> bool:
    async with db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(Cohort))).scalar_one() == 0
