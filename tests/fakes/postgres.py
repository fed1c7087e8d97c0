"""A throwaway PostgreSQL cluster (initdb + pg_ctl as a non-root user) for tests and benchmarks."""

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from tests.fakes import free_port


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is not installed; the suite runs on PostgreSQL too")
    return found


class ThrowawayPostgres:
    """Start with start(), stop with stop(); databases are created from a migrated template."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="coaching-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.user = os.environ.get("TEST_POSTGRES_OS_USER", "postgres")
        # PostgreSQL refuses to run as root: run its tools as the postgres account then.
        self.run_as = ["runuser", "-u", self.user, "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if self.run_as:
            shutil.chown(self.base, self.user)
        self._run(
            _binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def execute(self, sql: str) -> None:
        connection = await asyncpg.connect(host="127.0.0.1", port=self.port, user="postgres", database="postgres")
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def create_database(self, name: str, template: str | None = None) -> str:
        suffix = f" TEMPLATE {template}" if template else ""
        asyncio.run(self.execute(f'CREATE DATABASE "{name}"{suffix}'))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        asyncio.run(self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
