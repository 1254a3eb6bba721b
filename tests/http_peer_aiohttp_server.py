"""An aiohttp server for aio's HTTP client to talk to (loopback only): /hello, /gzip (the body
compressed by aiohttp), /chunked (a streamed body), /redirect (to /hello), /echo (POST), /ws (a
WebSocket echo). Prints "Serving on 127.0.0.1:PORT"; ends when its stdin closes."""
import asyncio
import sys

from aiohttp import web


async def hello(request):
    return web.Response(text="hello from aiohttp")


async def gzip(request):
    response = web.Response(text="z" * 20000)
    response.enable_compression(web.ContentCoding.gzip)
    return response


async def chunked(request):
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for i in range(10):
        await response.write(b"%d" % i * 1000)
    await response.write_eof()
    return response


async def redirect(request):
    raise web.HTTPFound("/hello")


async def echo(request):
    return web.Response(body=await request.read())


async def ws(request):
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        await socket.send_str("aiohttp: " + message.data)
    return socket


async def main():
    app = web.Application()
    app.add_routes([web.get("/hello", hello), web.get("/gzip", gzip), web.get("/chunked", chunked),
                    web.get("/redirect", redirect), web.post("/echo", echo), web.get("/ws", ws)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"Serving on 127.0.0.1:{site._server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until stdin closes
    await runner.cleanup()


asyncio.run(main())
