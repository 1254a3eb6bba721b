# The asyncio original of blocking_call.cpp.
import asyncio
import threading


def count_primes(n):
    count = 0
    for i in range(2, n):
        d = 2
        prime = True
        while d * d <= i:
            if i % d == 0:
                prime = False
                break
            d += 1
        count += prime
    return count


async def ticker(done):
    for i in range(1, 4):
        await asyncio.sleep(0.1)
        print("tick", i)
    done.set()


async def amain():
    ticks_done = threading.Event()
    ticking = asyncio.create_task(ticker(ticks_done))
    print("counting primes on a worker thread")

    def crunch():
        primes = count_primes(200_000)
        ticks_done.wait()  # blocks this worker, not the loop
        return primes

    primes = await asyncio.to_thread(crunch)
    print(primes, "primes below 200000; the loop ticked meanwhile")
    await ticking


asyncio.run(amain())
