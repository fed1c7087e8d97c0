"""LOG_FORMAT=json (issue 17, point 5): one JSON object a line, with the text format's fields (time in ISO
8601 UTC, level, worker, logger, message; an exception's type and traceback), and still no message text
in the log: the libraries that log request bodies stay at INFO whatever LOG_LEVEL says."""

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakes.bot_connector import FakeBotConnector, message_activity
from tests.server import ServerProcess
from wiring import LIBRARIES_LOGGING_BODIES, log_handler

CORA_TEAMS = "29:cora-json-logs"
SECRET = "Feeling stuck: the budget meeting went badly again"  # typed in the chat: in no log line
FIELDS = {"time", "level", "logger", "message"}


@pytest.fixture
async def connector() -> AsyncIterator[FakeBotConnector]:
    fake = FakeBotConnector()
    await fake.start()
    fake.add_member(CORA_TEAMS, "coach@demo.example", "Cora Coach")
    yield fake
    await fake.stop()


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of the log, each parsed as one JSON object (a line that is not one fails the test)."""
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def assert_well_formed(line: dict[str, Any]) -> None:
    assert FIELDS <= set(line) <= FIELDS | {"worker", "exception", "traceback", "stack"}, line
    assert line["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    assert line["time"].endswith("Z")
    stamp = datetime.fromisoformat(line["time"])
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(stamp.tzinfo) - stamp) < timedelta(minutes=10)


async def teams_says(http: aiohttp.ClientSession, port: int, connector: FakeBotConnector, text: str, n: int) -> None:
    activity = message_activity(connector.service_url, CORA_TEAMS, text=text, user_name="Cora Coach")
    activity["id"] = f"json-logs-{n}"
    async with http.post(f"http://127.0.0.1:{port}/api/messages", json=activity) as response:
        assert response.status < 300


async def test_the_server_writes_one_json_object_a_line_and_no_message_text(
    database_url: str, connector: FakeBotConnector, tmp_path: Path
):
    env = {"DATABASE_URL": database_url, "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
    server = ServerProcess(env, tmp_path / "server.log")
    try:
        await server.ready()
        async with aiohttp.ClientSession() as http:
            await teams_says(http, server.port, connector, "help", 1)
            await teams_says(http, server.port, connector, SECRET, 2)
    finally:
        assert await server.stop() == 0
    assert any("What I can do for you" in sent.text or sent.card for sent in connector.sent)

    text = server.log_path.read_text()
    lines = json_lines(text)
    for line in lines:
        assert_well_formed(line)
        assert "worker" not in line  # one process: the text format names no worker either
    messages = [(line["logger"], line["message"]) for line in lines]
    assert ("bot.engine", "turn kind=command verb=help") in messages
    # Cora's free text went to her partner as a relay: the log says its length, never the text.
    assert ("dialogs.relay", f"turn kind=relay length={len(SECRET)}") in messages
    assert any(logger == "coaching" and message.startswith("serving on port") for logger, message in messages)
    assert any(line["level"] == "DEBUG" for line in lines)  # LOG_LEVEL=DEBUG took effect...
    libraries = [line for line in lines if line["logger"].split(".")[0] in LIBRARIES_LOGGING_BODIES]
    assert not [line for line in libraries if line["level"] == "DEBUG"]  # ...but not for the libraries
    assert SECRET not in text and "budget meeting" not in text


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """The root logger at INFO writing to a JSON and a text handler, both for `worker-3`."""
    root, streams = logging.getLogger(), (io.StringIO(), io.StringIO())
    handlers = [log_handler("json", worker="worker-3"), log_handler("text", worker="worker-3")]
    level = root.level
    for handler, stream in zip(handlers, streams, strict=True):
        handler.setStream(stream)  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield streams
    finally:
        root.setLevel(level)
        for handler in handlers:
            root.removeHandler(handler)


async def test_a_worker_is_named_and_an_exception_gives_its_type_and_traceback(chat, captured):
    as_json, as_text = captured
    assert "What I can do for you" in await chat("coach@demo.example").say("help")
    try:
        {}["missing"]
    except KeyError:
        logging.getLogger("coaching").exception("lookup failed id=%d", 7)

    lines = json_lines(as_json.getvalue())
    for line in lines:
        assert_well_formed(line)
        assert line["worker"] == "worker-3"
    turn = next(line for line in lines if line["message"] == "turn kind=command verb=help")
    assert (turn["level"], turn["logger"]) == ("INFO", "bot.engine")
    assert list(turn) == ["time", "level", "worker", "logger", "message"]  # the text format's order
    failed = next(line for line in lines if line["message"] == "lookup failed id=7")
    assert (failed["level"], failed["exception"]) == ("ERROR", "KeyError")
    assert failed["traceback"].startswith("Traceback (most recent call last):")
    assert failed["traceback"].endswith("KeyError: 'missing'")
    # The text format says the same, in the same order: time, level, worker, logger, message.
    text = as_text.getvalue()
    assert " INFO worker-3 bot.engine: turn kind=command verb=help\n" in text
    assert " ERROR worker-3 coaching: lookup failed id=7\nTraceback (most recent call last):" in text
