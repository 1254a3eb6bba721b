"""The talks' HTTP client with asyncio and aiohttp (examples/http_client.cpp is its port):
fetch many URLs at once, at most --concurrency at a time, print each one's status, size and
time as it completes, then the total.
    python3 http_client.py [--concurrency 10] URL..."""
import asyncio
import sys
import time

import aiohttp


async def fetch(session, limit, url):
    async with limit:
        start = time.monotonic()
        try:
            async with session.get(url) as response:
                body = await response.read()
                return url, response.status, len(body), time.monotonic() - start, None
        except Exception as e:
            return url, 0, 0, time.monotonic() - start, str(e)


async def main(urls, concurrency):
    limit = asyncio.Semaphore(concurrency)
    start = time.monotonic()
    answered = size = 0
    async with aiohttp.ClientSession() as session:
        for next_done in asyncio.as_completed([fetch(session, limit, u) for u in urls]):
            url, status, n, seconds, error = await next_done
            if status:
                answered += 1
                size += n
                print(f"{status:3d} {n:9d} bytes {seconds:7.3f} s  {url}")
            else:
                print(f"error: {error}  {url}")
    print(f"{len(urls)} URLs, {answered} answered, {size} bytes in {time.monotonic() - start:.3f} s")


args = sys.argv[1:]
concurrency = 10
if args[:1] == ["--concurrency"]:
    concurrency, args = int(args[1]), args[2:]
asyncio.run(main(args, concurrency))
