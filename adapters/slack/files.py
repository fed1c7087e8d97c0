"""Reading a file shared in a Slack DM: `url_private` with the bot token (Authorization: Bearer), as
Slack requires; at most MAX_FILE_BYTES. With many workspaces, the token is the one of the workspace the
link names (files-pri/TEAM-FILE/...)."""

import re

import aiohttp

from adapters.slack.workspaces import NOT_INSTALLED, BotTokens
from bot.files import FileFetchError, read_capped
from bot.messages import SharedFile

FILE_TEAM = re.compile(r"/files-pri/([A-Z0-9]+)-")  # the workspace in a url_private link


class SlackFiles:
    def __init__(self, http: aiohttp.ClientSession, tokens: BotTokens) -> None:
        self.http, self.tokens = http, tokens

    async def fetch(self, shared: SharedFile) -> bytes:
        if not shared.download_url:
            raise FileFetchError("no_download_url")
        named = FILE_TEAM.search(shared.download_url)
        token = await self.tokens.bot_token(named.group(1) if named else None)
        if token is None:
            raise FileFetchError(NOT_INSTALLED)
        headers = {"Authorization": f"Bearer {token}"}
        async with self.http.get(shared.download_url, headers=headers, allow_redirects=True) as response:
            # Without the token Slack answers 200 with its sign-in page: only a file's own type is a file.
            if response.status != 200 or response.content_type == "text/html":
                raise FileFetchError(f"http_{response.status}")
            return await read_capped(response.content.iter_chunked(65536), response.content_length)
