"""The core benchmarks of bench/core_bench.cpp, written for asyncio, to run side by side.
Usage: asyncio_core.py spawn|spawn_all|sleepers|timers|pingpong N [uvloop]  (prints the same line
format; with uvloop, on uvloop's loop: run it with /usr/bin/python3, where Debian installs it)."""
import asyncio
import sys
import time


def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return -1


async def trivial(i):
    return i


async def spawn(n):
    t0 = time.perf_counter_ns()
    total = 0
    for _ in range(n):
        total += await asyncio.create_task(trivial(1))
    t1 = time.perf_counter_ns()
    print(f"spawn n={n} ns_per_task={(t1 - t0) / n:.1f} check={total}")


async def spawn_all(n):
    t0 = time.perf_counter_ns()
    tasks = [asyncio.create_task(trivial(1)) for _ in range(n)]
    total = 0
    for t in tasks:
        total += await t
    t1 = time.perf_counter_ns()
    print(f"spawn_all n={n} ns_per_task={(t1 - t0) / n:.1f} check={total}")


async def sleepers(n):
    remaining = n
    awake = asyncio.get_running_loop().create_future()
    tasks = set()  # asyncio may collect a task nobody references

    async def sleeper():
        nonlocal remaining
        await asyncio.sleep(1)
        remaining -= 1
        if remaining == 0:
            awake.set_result(None)

    await asyncio.sleep(0)
    before = status_kb("VmRSS:")
    for _ in range(n):
        tasks.add(asyncio.create_task(sleeper()))
    await asyncio.sleep(0.1)
    peak = status_kb("VmHWM:")
    await awake
    print(f"sleepers n={n} bytes_per_task={(peak - before) * 1024 / n:.1f} rss_before_kb={before} peak_kb={peak}")


async def timers(n):
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter_ns()
    handles = [loop.call_later(1 + (i % 977) * 1e-9, lambda: None) for i in range(n)]
    for h in handles:
        h.cancel()
    t1 = time.perf_counter_ns()
    t2 = time.perf_counter_ns()
    for _ in range(n):
        loop.call_later(1, lambda: None).cancel()
    t3 = time.perf_counter_ns()
    print(f"timers n={n} ns_per_pair_batch={(t1 - t0) / n:.1f} ns_per_pair_single={(t3 - t2) / n:.1f}")


async def pingpong(n):
    there, back = asyncio.Queue(1), asyncio.Queue(1)

    async def pong():
        for _ in range(n):
            await back.put(await there.get() + 1)

    other = asyncio.create_task(pong())
    t0 = time.perf_counter_ns()
    value = 0
    for _ in range(n):
        await there.put(value)
        value = await back.get()
    t1 = time.perf_counter_ns()
    await other
    print(f"pingpong n={n} ns_per_round_trip={(t1 - t0) / n:.1f} check={value}")


mode, n = sys.argv[1], int(sys.argv[2])
if sys.argv[3:] == ["uvloop"]:
    import uvloop
    uvloop.install()
asyncio.run(globals()[mode](n))
