"""Typed access to one table of a program file that records every problem (file, key, what is wrong)
instead of stopping at the first."""

import re
from typing import Any

from bot.cycle import parse_year_day

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Table:
    """Typed access to one TOML table that records problems instead of stopping at the first."""

    def __init__(self, data: dict[str, Any], where: str, problems: list[str]) -> None:
        self.data, self.where, self.problems = data, where, problems

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"key '{self._key(key)}': {text}")

    def _value(self, key: str, required: bool) -> Any:
        if key not in self.data:
            if required:
                self.problem(key, "is missing")
            return None
        return self.data[key]

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        value = self._value(key, required)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"must be non-empty text, got {value!r}")
            return default
        return value.strip()

    def identifier(self, key: str) -> str:
        value = self.text(key)
        if value and not ID_PATTERN.match(value):
            self.problem(key, f"must be lower-case letters, digits, '-' or '_', got {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], *, default: str | None = None) -> str:
        value = self.text(key, required=default is None, default=default or "")
        if value and value not in allowed:
            self.problem(key, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def number(self, key: str, *, minimum: float, required: bool = True, whole: bool = True) -> Any:
        value = self._value(key, required)
        if value is None:
            return None
        kinds = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
            kind = "a whole number" if whole else "a number"
            self.problem(key, f"must be {kind} of at least {minimum:g}, got {value!r}")
            return None
        return value

    def flag(self, key: str, *, default: bool) -> bool:
        value = self._value(key, required=False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, f"must be true or false, got {value!r}")
            return default
        return value

    def texts(self, key: str, *, required: bool = True, allowed: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._value(key, required)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(key, f"must be a list of non-empty texts, got {value!r}")
            return ()
        for item in value:
            if allowed and item not in allowed:
                self.problem(key, f"{item!r} is not one of {', '.join(allowed)}")
        return tuple(v.strip() for v in value)

    def emails(self, key: str) -> tuple[str, ...]:
        found = self.texts(key, required=False)
        for email in found:
            if not EMAIL_PATTERN.match(email):
                self.problem(key, f"{email!r} is not an email address")
        return tuple(email.lower() for email in found)

    def year_day(self, key: str) -> Any:
        value = self.text(key)
        found = parse_year_day(value) if value else None
        if value and found is None:
            self.problem(key, f"must be a month-day like '10-01' or '04-30 next year', got {value!r}")
        return found

    def table(self, key: str, *, required: bool = True) -> "Table | None":
        value = self._value(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(key, f"must be a table, got {value!r}")
            return None
        return Table(value, self._key(key), self.problems)

    def tables(self, key: str, *, required: bool = False) -> list["Table"]:
        value = self._value(key, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(key, "must be a list of tables ([[...]] in TOML)")
            return []
        return [Table(item, f"{self._key(key)}[{i}]", self.problems) for i, item in enumerate(value)]

    def unknown_keys(self, known: set[str]) -> None:
        for key in sorted(set(self.data) - known):
            self.problem(key, "is not a known setting (check the spelling)")

    def unique_ids(self, key: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for item in ids:
            if item in seen:
                self.problem(key, f"the id {item!r} is used twice")
            seen.add(item)
