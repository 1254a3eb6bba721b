"""The aiohttp peer of bench/http_compare: aiohttp's web server on uvloop, the TechEmpower
plaintext and json endpoints. Prints "Serving on 127.0.0.1:PORT"; SIGTERM ends it.
    python3 http_aiohttp.py [PORT]"""
import asyncio
import signal
import sys

import uvloop
from aiohttp import web


async def plaintext(request):
    return web.Response(text="Hello, World!")


async def json_(request):
    return web.json_response({"message": "Hello, World!"})


async def main(port):
    app = web.Application()
    app.router.add_get("/plaintext", plaintext)
    app.router.add_get("/json", json_)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"Serving on 127.0.0.1:{site._server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


uvloop.install()
asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
