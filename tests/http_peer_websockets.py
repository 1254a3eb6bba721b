"""Python's websockets client against aio's WebSocket server (the /ws route of
tests/http_test_app.hpp: echo, 64 KiB limit, subprotocols chat and echo, "bye" closes with 4000).

Prints one line per check; the C++ test compares them with what the server must answer.
Usage: http_peer_websockets.py WS_URL (loopback only)."""
import asyncio
import sys

import websockets


async def main(url):
    async with websockets.connect(url, subprotocols=["echo"], max_size=2**20) as ws:
        print("protocol", ws.subprotocol)
        await ws.send("héllo")
        print("text", await ws.recv())
        await ws.send(b"\x00\x01\x02")
        reply = await ws.recv()
        print("binary", type(reply).__name__, list(reply))
        await (await ws.ping(b"p"))
        print("pong")

        async def pieces():
            for piece in ["frag", "men", "ted"]:
                yield piece

        await ws.send(pieces())
        print("fragmented", await ws.recv())
        await ws.send("x" * 100_000)  # over the server's 64 KiB
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            print("too big", e.rcvd.code if e.rcvd else None)
    async with websockets.connect(url) as ws:
        await ws.close(1000, "done")
        print("client closed", ws.close_code)
    async with websockets.connect(url) as ws:
        await ws.send("bye")
        print("bye", await ws.recv())
        try:
            await ws.recv()
        except websockets.ConnectionClosed as e:
            print("server closed", e.rcvd.code, e.rcvd.reason)


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 20))
