import asyncio

async def sleepy(t):
    print("sleeping", t)
    await asyncio.sleep(t)
    print("awake", t)
    return t

async def main():
    tasks = [asyncio.create_task(sleepy(t)) for t in (3, 1, 2)]
    done, pending = await asyncio.wait(tasks)
    for f in [t for t in tasks if t in done]:  # aio returns them in input order
        print(await f)

asyncio.run(main())
