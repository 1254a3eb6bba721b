"""A TCP proxy that misbehaves on purpose, for aio's fault-injection tests (tests/faults_test.cpp):
it listens on 127.0.0.1 (any port), prints "Proxy on 127.0.0.1:PORT", and relays every
connection to 127.0.0.1:UPSTREAM, both ways, as MODE says:
  split  every write cut at random points into pieces, with random pauses of up to 2 ms
  stall  as split, and once per direction a pause of 200 ms in mid-stream
  drop   as split, until AFTER bytes have gone from client to server: then both sides closed
  reset  as drop, but both sides reset (SO_LINGER 0: an RST, not a FIN)
Seeded (SEED), so a failure can be replayed. Runs until its stdin closes.
  fault_proxy.py MODE SEED UPSTREAM [AFTER]
(Written in Python's asyncio so that the faults do not come from the code they test.)"""
import asyncio
import random
import socket
import struct
import sys

mode, seed, upstream = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
after = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 62
rng = random.Random(seed)


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort() if mode == "reset" else writer.close()


async def pump(reader, writer, counted, state):
    stalled = False
    try:
        while data := await reader.read(65536):
            if counted and state["sent"] + len(data) >= after:
                take = after - state["sent"]
                writer.write(data[:take])
                state["sent"] = after
                await writer.drain()
                state["cut"].set()
                return
            if counted:
                state["sent"] += len(data)
            at = 0
            while at < len(data):
                n = rng.randint(1, max(1, len(data) - at))
                writer.write(data[at:at + n])
                await writer.drain()
                at += n
                if rng.random() < 0.3:
                    await asyncio.sleep(rng.random() * 0.002)
            if mode == "stall" and not stalled and rng.random() < 0.2:
                stalled = True
                await asyncio.sleep(0.2)
        writer.write_eof()  # a FIN from one side is passed on as a FIN
    except (ConnectionError, OSError):
        state["cut"].set()


async def relay(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream)
    state = {"sent": 0, "cut": asyncio.Event()}
    ways = [asyncio.create_task(pump(client_reader, server_writer, True, state)),
            asyncio.create_task(pump(server_reader, client_writer, False, state))]
    if mode in ("drop", "reset"):
        cut = asyncio.create_task(state["cut"].wait())
        await asyncio.wait([cut, asyncio.gather(*ways, return_exceptions=True)],
                           return_when=asyncio.FIRST_COMPLETED)
        cut.cancel()
        for w in ways:
            w.cancel()
        reset(client_writer)
        reset(server_writer)
    else:
        await asyncio.gather(*ways, return_exceptions=True)
        client_writer.close()
        server_writer.close()


async def main():
    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    print("Proxy on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the test closes our stdin


asyncio.run(main())
