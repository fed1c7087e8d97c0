"""Configuration from the environment, read in one place and checked before anything starts."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from storage.db import parse_database_url

MICROSOFT_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
DIALOG_IDLE_DAYS = 30  # the default: a conversation left unanswered this long is forgotten


class ConfigError(Exception):
    """A missing or broken setting; the message names the variable and says what to do."""


@dataclass(frozen=True)
class SlackOAuthSettings:
    """ "Add to Slack": each workspace that installs the app gets its own bot token, kept encrypted."""

    client_id: str
    client_secret: str
    token_keys: tuple[str, ...]  # Fernet keys: the first encrypts, any of them decrypts (key rotation)
    redirect_uri: str  # PUBLIC_URL + /slack/oauth_redirect, as listed in the app's settings


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None  # one workspace; None: many, installed through `oauth`
    signing_secret: str
    app_token: str | None  # set: Socket Mode; unset: HTTP at /slack/events
    api_url: str | None
    oauth: SlackOAuthSettings | None = None


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str | None  # unset: anonymous local mode (Emulator, tests), loopback callers only
    app_password: str | None
    app_type: str
    tenant_id: str | None


@dataclass(frozen=True)
class Settings:
    port: int
    database_url: str
    programs_dir: Path
    slack: SlackSettings | None
    teams: TeamsSettings
    log_level: str
    log_level_set: bool  # LOG_LEVEL given explicitly
    log_format: str = "text"  # LOG_FORMAT: "text" lines, or "json" (one object a line)
    public_url: str = "http://localhost:3978"  # where browsers reach this server (calendar files)
    outbox_rates: dict[str, float] = field(default_factory=dict)  # messages a second, per platform
    outbox_lease: timedelta = timedelta(seconds=60)  # how long a worker holds a message it is sending
    dialog_idle_days: int = DIALOG_IDLE_DAYS  # bot/privacy/retention.py forgets a dialog idle this long


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _port(env: Mapping[str, str]) -> int:
    raw = _get(env, "PORT") or "3978"
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ConfigError(f"PORT must be a number from 1 to 65535, got '{raw}'")
    return int(raw)


def _database_url(env: Mapping[str, str]) -> str:
    url = _get(env, "DATABASE_URL") or "sqlite+aiosqlite:///coaching.db"
    try:
        parse_database_url(url)
    except ValueError as problem:
        raise ConfigError(f"DATABASE_URL {problem}") from None
    return url


def _slack(env: Mapping[str, str]) -> SlackSettings | None:
    token, secret = _get(env, "SLACK_BOT_TOKEN"), _get(env, "SLACK_SIGNING_SECRET")
    app_token, api_url = _get(env, "SLACK_APP_TOKEN"), _get(env, "SLACK_API_URL")
    oauth = _slack_oauth(env)
    if not token and not secret and not app_token and oauth is None:
        return None
    if token and oauth:
        raise ConfigError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: use SLACK_BOT_TOKEN for one workspace, or "
            "SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_TOKEN_KEY for many (Add to Slack), not both"
        )
    if not token and oauth is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set: Slack needs the bot token (xoxb-...), or SLACK_CLIENT_ID, "
            "SLACK_CLIENT_SECRET and SLACK_TOKEN_KEY to be added to many workspaces"
        )
    if token and not token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
    if app_token and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")
    if not secret:
        needed_with = "SLACK_BOT_TOKEN" if token else "SLACK_CLIENT_ID"
        raise ConfigError(f"SLACK_SIGNING_SECRET is not set: Slack needs it with {needed_with}")
    if api_url and not api_url.startswith(("http://", "https://")):
        raise ConfigError(f"SLACK_API_URL must start with http:// or https://, got '{api_url}'")
    if api_url and not api_url.endswith("/"):
        api_url += "/"
    return SlackSettings(token, secret, app_token, api_url, oauth)


SLACK_OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_TOKEN_KEY")
TOKEN_KEY_HINT = (
    "generate one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def _slack_oauth(env: Mapping[str, str]) -> SlackOAuthSettings | None:
    """SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_TOKEN_KEY: all three, or none."""
    given = {name: _get(env, name) for name in SLACK_OAUTH_VARIABLES}
    missing = [name for name, value in given.items() if value is None]
    if len(missing) == len(SLACK_OAUTH_VARIABLES):
        return None
    if missing:
        present = [name for name in SLACK_OAUTH_VARIABLES if name not in missing]
        raise ConfigError(
            f"{_are(missing)} not set but {_are(present)}: Add to Slack needs "
            f"SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_TOKEN_KEY together"
        )
    keys = tuple(key.strip() for key in str(given["SLACK_TOKEN_KEY"]).split(",") if key.strip())
    if not keys or not all(_is_fernet_key(key) for key in keys):
        raise ConfigError(
            "SLACK_TOKEN_KEY must be a Fernet key (44 characters of URL-safe base64), or several separated "
            f"by commas, the newest first; {TOKEN_KEY_HINT}"
        )
    return SlackOAuthSettings(
        client_id=str(given["SLACK_CLIENT_ID"]),
        client_secret=str(given["SLACK_CLIENT_SECRET"]),
        token_keys=keys,
        redirect_uri=_public_url(env) + "/slack/oauth_redirect",
    )


def _are(names: list[str]) -> str:
    return f"{names[0]} is" if len(names) == 1 else f"{' and '.join(names)} are"


def _is_fernet_key(key: str) -> bool:
    from cryptography.fernet import Fernet  # only when Add to Slack is configured

    try:
        Fernet(key)
    except ValueError:  # not URL-safe base64 of 32 bytes
        return False
    return True


def _teams(env: Mapping[str, str]) -> TeamsSettings:
    app_id, password = _get(env, "MICROSOFT_APP_ID"), _get(env, "MICROSOFT_APP_PASSWORD")
    app_type = _get(env, "MICROSOFT_APP_TYPE") or "MultiTenant"
    tenant = _get(env, "MICROSOFT_APP_TENANT_ID")
    if app_type not in MICROSOFT_APP_TYPES:
        raise ConfigError(f"MICROSOFT_APP_TYPE must be one of {', '.join(MICROSOFT_APP_TYPES)}")
    if password and not app_id:
        raise ConfigError("MICROSOFT_APP_ID is not set but MICROSOFT_APP_PASSWORD is; set both")
    if app_id and not password and app_type != "UserAssignedMSI":
        raise ConfigError("MICROSOFT_APP_PASSWORD is not set: Teams needs it with MICROSOFT_APP_ID")
    if app_type == "SingleTenant" and not tenant:
        raise ConfigError("MICROSOFT_APP_TENANT_ID is not set: a SingleTenant app needs it")
    return TeamsSettings(app_id, password, app_type, tenant)


def _programs_dir(env: Mapping[str, str]) -> Path:
    folder = Path(_get(env, "PROGRAMS_DIR") or "programs")
    if not folder.is_dir():
        raise ConfigError(f"PROGRAMS_DIR '{folder}' is not a folder of program files")
    return folder


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read every setting; the first problem found raises ConfigError naming its variable."""
    env = os.environ if env is None else env
    log_level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got '{log_level}'")
    return Settings(
        port=_port(env),
        database_url=_database_url(env),
        programs_dir=_programs_dir(env),
        slack=_slack(env),
        teams=_teams(env),
        log_level=log_level,
        log_level_set=_get(env, "LOG_LEVEL") is not None,
        log_format=_log_format(env),
        public_url=_public_url(env),
        outbox_rates=_outbox_rates(env),
        outbox_lease=_outbox_lease(env),
        dialog_idle_days=_dialog_idle_days(env),
    )


LOG_FORMATS = ("text", "json")


def _log_format(env: Mapping[str, str]) -> str:
    typed = _get(env, "LOG_FORMAT") or "text"
    if typed.lower() not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got '{typed}'")
    return typed.lower()


def _outbox_rates(env: Mapping[str, str]) -> dict[str, float]:
    """OUTBOX_RATE_SLACK / OUTBOX_RATE_TEAMS: messages a second the assistant sends on its own."""
    rates = {}
    for platform in ("slack", "teams"):
        name = f"OUTBOX_RATE_{platform.upper()}"
        typed = _get(env, name)
        if typed is None:
            continue
        try:
            rate = float(typed)
        except ValueError:
            rate = 0.0
        if not 0 < rate <= 1000:
            raise ConfigError(f"{name} must be a number of messages a second between 0 and 1000, got '{typed}'")
        rates[platform] = rate
    return rates


def _outbox_lease(env: Mapping[str, str]) -> timedelta:
    """OUTBOX_LEASE_SECONDS: after a crash, a message that was being sent is checked and retried this late."""
    typed = _get(env, "OUTBOX_LEASE_SECONDS") or "60"
    if not typed.isdigit() or not 3 <= int(typed) <= 3600:
        raise ConfigError(f"OUTBOX_LEASE_SECONDS must be a whole number of seconds from 3 to 3600, got '{typed}'")
    return timedelta(seconds=int(typed))


def _dialog_idle_days(env: Mapping[str, str]) -> int:
    """DIALOG_IDLE_DAYS: a question left unanswered this many days is forgotten with what the dialog held."""
    typed = _get(env, "DIALOG_IDLE_DAYS") or str(DIALOG_IDLE_DAYS)
    if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= 3650:
        raise ConfigError(f"DIALOG_IDLE_DAYS must be a whole number of days from 1 to 3650, got '{typed}'")
    return int(typed)


def _public_url(env: Mapping[str, str]) -> str:
    """Where browsers reach this server: calendar invitations link here."""
    url = _get(env, "PUBLIC_URL") or f"http://localhost:{_port(env)}"
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_URL must start with http:// or https://, got '{url}'")
    return url.rstrip("/")
