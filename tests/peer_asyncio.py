"""Python asyncio as a real peer for aio's streams (tests/check_interop.sh).
  peer_asyncio.py server N      echo server (readline version) on 127.0.0.1, any port; prints
                                "Serving on 127.0.0.1:PORT"; exits once N clients have left
  peer_asyncio.py client PORT   sends 3 lines and 1 MiB of binary data to an echo server on
                                127.0.0.1:PORT and checks every byte that comes back
Over TLS (tests/check_tls_interop.sh): the server with --cert FILE --key FILE, the client with
--cafile FILE (it checks the certificate against it and the name "localhost")."""
import asyncio
import ssl
import sys


def option(name):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


def server_ssl():
    if not option("--cert"):
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(option("--cert"), option("--key"))
    return ctx


def client_ssl():
    if not option("--cafile"):
        return {}
    ctx = ssl.create_default_context(cafile=option("--cafile"))
    return {"ssl": ctx, "server_hostname": "localhost"}


async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line)
        await writer.drain()
    writer.close()
    global remaining
    remaining -= 1
    if remaining == 0:
        done.set()


async def serve(clients):
    global done, remaining
    done = asyncio.Event()
    remaining = clients
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ssl())
    print("Serving on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.wait_for(done.wait(), 30)
    server.close()
    await server.wait_closed()


async def client(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, **client_ssl())
    for word in ("alpha", "beta", "gamma"):
        writer.write(word.encode() + b"\n")
        await writer.drain()
        assert await reader.readexactly(len(word) + 1) == word.encode() + b"\n"
    blob = bytes((i * 7 + i // 251) & 0xFF for i in range(1 << 20))
    writer.write(blob)
    await writer.drain()
    assert await reader.readexactly(len(blob)) == blob
    writer.close()
    await writer.wait_closed()
    print("python client: all bytes echoed")


if sys.argv[1] == "server":
    asyncio.run(serve(int(sys.argv[2])))
else:
    asyncio.run(client(int(sys.argv[2])))
