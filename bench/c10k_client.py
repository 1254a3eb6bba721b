"""bench/c10k_memory's client: opens N connections to 127.0.0.1:PORT, makes one checked round
trip on each, then holds them all idle until told (a line on stdin), and closes them.
Prints "ready N" once every connection is idle. Loopback only."""
import asyncio
import resource
import sys


async def main(port, count):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    conns = []
    payload = b"x" * 64
    for start in range(0, count, 500):  # in batches, within the server's listen backlog
        batch = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                       for _ in range(min(500, count - start))))
        for reader, writer in batch:
            writer.write(payload)
        for reader, writer in batch:
            got = await reader.readexactly(len(payload))
            assert got == payload
        conns.extend(batch)
    print("ready", len(conns), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for _, writer in conns:
        writer.close()


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
