""" "Add to Slack": bolt's OAuth flow on our aiohttp server, with the installations and the states kept in
our database (adapters/slack/installations.py).

GET /slack/install shows the "Add to Slack" button (a link to Slack's authorize page carrying a fresh
`state`, also set as a cookie in the browser). Slack sends the installer back to GET /slack/oauth_redirect
with a code and the state; bolt checks the state (this browser's, issued by us, unused, unexpired),
exchanges the code (oauth.v2.access) and saves the installation. A refused redirect stores nothing and
shows a page saying why in plain words.
"""

import html
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth import RedirectUriPageRenderer

from adapters.slack.installations import DatabaseInstallationStore, DatabaseStateStore, TokenCipher
from adapters.slack.workspaces import BotTokens, OneToken
from bot.config import SlackOAuthSettings, SlackSettings
from storage.db import Database

log = logging.getLogger(__name__)

INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"
# The bot scopes the app asks for: manifests/slack/manifest.json's oauth_config (a test keeps them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "files:read",
    "files:write",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "users:read.email",
)
START_AGAIN = f'<a href="{INSTALL_PATH}">Start again from Add to Slack</a>.'
WHY_REFUSED = {
    "access_denied": "The app was not added: the installation was cancelled in Slack.",
    "invalid_browser": "This page must be opened in the browser that started the installation.",
    "invalid_state": "This installation link has expired or has already been used.",
    "missing_code": "Slack did not send the installation's code.",
    "invalid_code": "Slack did not accept the installation's code: it may have expired or been used already.",
    "storage_error": "The installation could not be saved. Please try again in a moment.",
}


class PlainWordsPages(RedirectUriPageRenderer):
    """bolt's pages after the redirect, with the reason for a refusal said in words."""

    def render_failure_page(self, reason: str) -> str:
        code = reason.split(":", 1)[0]  # bolt adds its own explanation after the code
        said = WHY_REFUSED.get(code, "Slack reported a problem with the installation.")
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>The app was not added</title></head>"
            f"<body><h1>The app was not added to Slack</h1><p>{html.escape(said)}</p><p>{START_AGAIN}</p>"
            "</body></html>"
        )


class SlackInstalls:
    """The installation store and the OAuth flow's settings, for one server."""

    def __init__(self, settings: SlackOAuthSettings, db: Database) -> None:
        self.store = DatabaseInstallationStore(db, TokenCipher(settings.token_keys))
        self.settings = settings
        self.states = DatabaseStateStore(db)

    def bolt_options(self) -> dict[str, Any]:
        """AsyncApp's arguments: the flow's settings and an authorize step that reads the store."""
        oauth = AsyncOAuthSettings(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            redirect_uri=self.settings.redirect_uri,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            installation_store=self.store,
            installation_store_bot_only=True,
            state_store=self.states,
            logger=log,
        )
        oauth.redirect_uri_page_renderer = PlainWordsPages(install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH)
        # Each request's token comes from the store; auth.test's answer is kept per token (not per
        # workspace: an uninstalled workspace has no token to find, so it is never answered from memory).
        authorize = AsyncInstallationStoreAuthorize(
            logger=log, installation_store=self.store, bot_only=True, cache_enabled=True
        )
        return {"oauth_settings": oauth, "installation_store": self.store, "authorize": authorize}


def add_routes(web_app: web.Application, app: AsyncApp) -> None:
    """GET /slack/install and GET /slack/oauth_redirect, when the app has an OAuth flow."""
    flow = app.oauth_flow
    if flow is None:
        return
    web_app.router.add_get(INSTALL_PATH, _installation(flow))
    web_app.router.add_get(REDIRECT_PATH, _callback(flow))
    log.info("slack: Add to Slack at %s", INSTALL_PATH)


def _installation(flow: AsyncOAuthFlow) -> Any:
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

    return handle


def _callback(flow: AsyncOAuthFlow) -> Any:
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return handle


def slack_tokens(settings: SlackSettings, db: Database) -> tuple[BotTokens, dict[str, Any] | None]:
    """Where bot tokens come from, and AsyncApp's "Add to Slack" arguments (None with SLACK_BOT_TOKEN)."""
    if settings.oauth is None:
        return OneToken(str(settings.bot_token)), None
    installs = SlackInstalls(settings.oauth, db)
    return installs.store, installs.bolt_options()


def watch_revocations(app: AsyncApp, *, many_workspaces: bool) -> None:
    """app_uninstalled and tokens_revoked: with Add to Slack, bolt's own listeners remove the workspace's
    installation (or the revoked tokens) from the store; with SLACK_BOT_TOKEN, the operator is told."""
    if many_workspaces:
        app.enable_token_revocation_listeners()
        return

    async def told(ack: Any, event: dict[str, Any]) -> None:
        await ack()
        log.warning("slack %s: SLACK_BOT_TOKEN no longer works; install the app again", event.get("type"))

    app.event("app_uninstalled")(told)
    app.event("tokens_revoked")(told)
