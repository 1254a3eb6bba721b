"""Python's aiohttp client against aio's HTTP server (the test app of tests/http_test_app.hpp).

Prints one line per check; the C++ test compares them with what the server must answer.
Usage: http_peer_aiohttp.py BASE_URL (loopback only)."""
import asyncio
import sys

import aiohttp


async def main(base):
    timeout = aiohttp.ClientTimeout(total=20)
    connector = aiohttp.TCPConnector(limit=10)  # 50 requests over at most 10 kept-alive connections
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

        async def get(i):
            async with session.get(f"{base}/hello/{i}") as r:
                return r.status, await r.text()

        results = await asyncio.gather(*(get(i) for i in range(50)))
        print("gets", all(r == (200, f"Hello, {i}") for i, r in enumerate(results)))
        async with session.post(f"{base}/echo", data=b"x" * 200_000) as r:
            body = await r.read()
            print("post", r.status, len(body), body == b"x" * 200_000)

        async def pieces():
            for _ in range(10):
                yield b"y" * 1000

        async with session.post(f"{base}/count", data=pieces()) as r:  # chunked
            print("chunked", r.status, await r.text())
        async with session.get(f"{base}/stream/50") as r:
            print("stream", r.status, r.headers.get("Transfer-Encoding"), len(await r.read()))
        async with session.get(f"{base}/nowhere") as r:
            print("missing", r.status)
        async with session.head(f"{base}/hello/h") as r:
            print("head", r.status, r.headers["Content-Length"], len(await r.read()))
        async with session.get(f"{base}/query", params={"q": "a b&c"}) as r:
            print("query", await r.text())


asyncio.run(main(sys.argv[1]))
