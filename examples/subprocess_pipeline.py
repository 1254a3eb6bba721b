# The asyncio original of subprocess_pipeline.cpp.
import asyncio
from asyncio.subprocess import PIPE


async def forward(source, sink):
    lines = 0
    while True:
        line = await source.readline()
        if not line:
            break
        print("forwarding", line.decode(), end="")
        sink.write(b"fruit: " + line)
        await sink.drain()
        lines += 1
    sink.close()
    return lines


async def amain():
    producer = await asyncio.create_subprocess_shell(
        "for fruit in cherry apple banana; do echo $fruit; done", stdout=PIPE)
    sorter = await asyncio.create_subprocess_exec("sort", stdin=PIPE, stdout=PIPE)

    lines = await forward(producer.stdout, sorter.stdin)
    sorted_ = await sorter.stdout.read()
    print(f"forwarded {lines} lines; sort returned:\n{sorted_.decode()}", end="")
    print("exit codes:", await producer.wait(), await sorter.wait())


asyncio.run(amain())
