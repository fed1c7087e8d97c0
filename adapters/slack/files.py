"""Reading a file shared in a Slack DM: `url_private` with the bot token (Authorization: Bearer), as
Slack requires; at most MAX_FILE_BYTES."""

import aiohttp

from bot.files import FileFetchError, read_capped
from bot.messages import SharedFile


class SlackFiles:
    def __init__(self, http: aiohttp.ClientSession, token: str) -> None:
        self.http, self.token = http, token

    async def fetch(self, shared: SharedFile) -> bytes:
        if not shared.download_url:
            raise FileFetchError("no_download_url")
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(shared.download_url, headers=headers, allow_redirects=True) as response:
            # Without the token Slack answers 200 with its sign-in page: only a file's own type is a file.
            if response.status != 200 or response.content_type == "text/html":
                raise FileFetchError(f"http_{response.status}")
            return await read_capped(response.content.iter_chunked(65536), response.content_length)
