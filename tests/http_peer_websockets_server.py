"""A websockets server for aio's WebSocket client (loopback only): echoes each message with
"websockets: " before it; a message "close" is answered by closing with 4001. Prints
"Serving on 127.0.0.1:PORT"; ends when its stdin closes."""
import asyncio
import sys

import websockets


async def echo(ws, path=None):
    async for message in ws:
        if message == "close":
            await ws.close(4001, "asked to")
            return
        await ws.send("websockets: " + message if isinstance(message, str) else message)


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, subprotocols=["echo"]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"Serving on 127.0.0.1:{port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


asyncio.run(main())
