"""Reading a file shared in a Teams personal chat: the attachment's `downloadUrl` (a short-lived,
pre-authorised link Teams puts in application/vnd.microsoft.teams.file.download.info); at most
MAX_FILE_BYTES."""

import aiohttp

from bot.files import FileFetchError, read_capped
from bot.messages import SharedFile

TIMEOUT = aiohttp.ClientTimeout(total=15)


async def fetch(shared: SharedFile) -> bytes:
    if not shared.download_url:
        raise FileFetchError("no_download_url")  # a link to SharePoint or OneDrive: not ours to read
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.get(shared.download_url) as response,
    ):
        if response.status != 200:
            raise FileFetchError(f"http_{response.status}")
        return await read_capped(response.content.iter_chunked(65536), response.content_length)
