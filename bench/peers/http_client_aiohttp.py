"""aiohttp's client under load on uvloop (bench/http_client_compare): CONCURRENCY tasks sharing
one ClientSession, each GETting URL and reading the body, until REQUESTS responses have come.
    python3 http_client_aiohttp.py URL [REQUESTS] [CONCURRENCY]"""
import asyncio
import resource
import sys
import time

import aiohttp
import uvloop


def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


async def main(url, requests, concurrency):
    left = requests
    errors = 0

    async def worker(session):
        nonlocal left, errors
        while left > 0:
            left -= 1
            try:
                async with session.get(url) as response:
                    await response.read()
                    errors += response.status != 200
            except aiohttp.ClientError:
                errors += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        start, cpu0 = time.monotonic(), cpu()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.monotonic() - start
    print(f"requests={requests} seconds={seconds:.3f} rps={requests / seconds:.0f} "
          f"cpu_us_per_req={(cpu() - cpu0) * 1e6 / requests:.2f} errors={errors}")


uvloop.install()
asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100000,
                 int(sys.argv[3]) if len(sys.argv) > 3 else 64))
