"""The async database handle: one engine, short transactions, SQLite tuned for a chat bot."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
PING_TIMEOUT = 2.0  # seconds: /healthz must answer quickly even when the database hangs
READ_GUARD = "coaching_read_guard"  # execution option of a reading transaction's connection: its ReadGuard
READING_STATEMENTS = ("SELECT",)  # what a reading transaction may send
SQLITE_CONNECTIONS = 5  # the writer's and the readers': a turn's CPU, not the file, is what they wait for
POSTGRESQL_CONNECTIONS = 15  # per process, as many as SQLAlchemy's default pool opens at most (5 + 10)


class WriteRefused(Exception):
    """A reading transaction met a write: nothing was written, and the work must run again in a
    transaction that may write."""


class ReadGuard:
    """Remembers that a reading transaction refused a write, even if the caller's code caught the error."""

    def __init__(self) -> None:
        self.refused = False


def parse_database_url(url: str) -> URL:
    """Parse and check a DATABASE_URL; raise ValueError with a sentence a person can act on."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with its own wording
        raise ValueError(f"is not a database URL ({exc})") from None
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(f"uses driver '{parsed.drivername}'; use one of {', '.join(SUPPORTED_DRIVERS)}")
    return parsed


def _tune_sqlite(engine: AsyncEngine) -> None:
    """WAL, a busy timeout, foreign keys, and SQLAlchemy emitting BEGIN itself.

    BEGIN IMMEDIATE takes the write lock at the start, so a transaction that reads and then writes
    never fails half-way because another process wrote in between (SQLite's "Transactions" recipe).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A deleted or overwritten row's bytes are zeroed, not left in free pages: what `forget me` and the
        # retention rules remove is gone from the file, not only from the tables.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        # Database.reading() sends no BEGIN: it takes no lock and waits for no writer.
        if READ_GUARD not in connection.get_execution_options():
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_writes(engine: AsyncEngine) -> None:
    """In a transaction opened by Database.reading(), any statement but a SELECT raises WriteRefused before
    it reaches the database (an ORM flush, an INSERT, a SAVEPOINT for begin_nested)."""

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before_execute(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        guard = connection.get_execution_options().get(READ_GUARD)
        if guard is not None and statement.lstrip()[:6].upper() not in READING_STATEMENTS:
            guard.refused = True
            raise WriteRefused()


def insert_or_merge(session: AsyncSession, table: Any) -> Any:
    """An INSERT for `table` that takes ON CONFLICT clauses, in the session's database's own dialect
    (SQLite and PostgreSQL both have them)."""
    dialect_insert = sqlite_insert if session.bind.dialect.name == "sqlite" else postgresql_insert
    return dialect_insert(table)


class Database:
    """Owns the engine. Every unit of work is `async with db.transaction() as session`."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = parse_database_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # Every checkout ends in our own COMMIT or ROLLBACK: SQLite needs no extra rollback on return.
        # A fixed pool: overflow connections, opened and closed around each burst of turns, cost more than
        # waiting for one (an aiosqlite connection is a thread opened with four PRAGMAs; a PostgreSQL one a
        # login and a server process).
        if self.is_sqlite:
            pool = {"pool_reset_on_return": None, "pool_size": SQLITE_CONNECTIONS, "max_overflow": 0}
        else:
            pool = {"pool_size": POSTGRESQL_CONNECTIONS, "max_overflow": 0}
        self.engine = create_async_engine(self.url, echo=echo, **pool)
        if self.is_sqlite:
            _tune_sqlite(self.engine)
        _refuse_writes(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite allows one writer: queueing writers in-process is cheaper than busy-waiting threads.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success and rolled back on error."""
        async with self._sqlite_writer or nullcontext(), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session that only reads. On SQLite it sends no BEGIN, so it waits for no writer: each SELECT
        reads the latest commit, as each statement of a PostgreSQL transaction does (READ COMMITTED). A
        statement that would write (a flush of a changed object included) raises WriteRefused and writes
        nothing; the block raises WriteRefused too if a refusal was caught inside it."""
        guard = ReadGuard()
        try:
            async with self._sessions(execution_options={READ_GUARD: guard}) as session, session.begin():
                yield session
        except Exception:
            if guard.refused:
                raise WriteRefused() from None
            raise
        if guard.refused:
            raise WriteRefused()

    async def ping(self) -> bool:
        """True when the database answers a trivial query within PING_TIMEOUT seconds."""
        try:
            async with asyncio.timeout(PING_TIMEOUT):
                async with self.engine.connect() as connection:  # as a reader: on SQLite, no write lock
                    await connection.execution_options(**{READ_GUARD: ReadGuard()})
                    await connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure to answer means "unreachable" to /healthz
            return False

    async def checkpoint(self) -> None:
        """On SQLite, copy the write-ahead log into the database file and empty it, so the log keeps no
        earlier version of a page whose rows were just removed (after `forget me`). PostgreSQL: nothing."""
        if not self.is_sqlite:
            return
        async with self._sqlite_writer or nullcontext(), self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            await (await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")).close()

    async def dispose(self) -> None:
        await self.engine.dispose()
