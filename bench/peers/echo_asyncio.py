"""The asyncio echo servers of bench/compare, written as asyncio's documentation shows them:
streams (start_server, read, write, drain) or protocols (data_received calls write), on
asyncio's own loop or uvloop's. Prints "Serving on 127.0.0.1:PORT"; SIGTERM ends it. Given a
certificate and its key, it serves TLS through the ssl module (bench/tls_compare).
  echo_asyncio.py streams|protocols asyncio|uvloop [PORT [CERT KEY]]
(uvloop is Debian's python3-uvloop: run this with /usr/bin/python3.)"""
import asyncio
import signal
import ssl
import sys

api, loop_kind = sys.argv[1], sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
context = None
if len(sys.argv) > 5:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[4], sys.argv[5])


async def handle(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main():
    loop = asyncio.get_running_loop()
    if api == "streams":
        server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=context)
    else:
        server = await loop.create_server(Echo, "127.0.0.1", port, ssl=context)
    print("Serving on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop


if loop_kind == "uvloop":
    import uvloop
    uvloop.install()
asyncio.run(main())
