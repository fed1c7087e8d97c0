"""LOG_FORMAT=json: one JSON object a line, with the fields of the text format (wiring.LOG_FORMAT): time
(ISO 8601, UTC), level, worker (with `serve --workers N`), logger and message; with an exception, its type
and the traceback the text format prints. What a line may say is what the text line says: the code logs
ids, kinds and lengths, never message text, whatever the format."""

import json
import logging
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    def __init__(self, worker: str | None = None) -> None:
        super().__init__()
        self.worker = worker

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _iso_utc(record.created), "level": record.levelname}
        if self.worker is not None:
            line["worker"] = self.worker
        line["logger"] = record.name
        line["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _iso_utc(created: float) -> str:
    """2026-11-23T15:00:00.123Z"""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
