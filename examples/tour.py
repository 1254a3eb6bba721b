import asyncio

async def sleepy(t):
    print("sleeping", t)
    await asyncio.sleep(t)
    print("awake", t)
    return t

async def amain():
    a, b, c = await asyncio.gather(sleepy(3), sleepy(1), sleepy(2))
    print(a, b, c)
    t = asyncio.create_task(sleepy(10), name="slow")
    try:
        await asyncio.wait_for(t, 2)
    except TimeoutError:
        print(f"{t.get_name()} cancelled: {int(t.cancelled())}")
    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleepy(1))
        tg.create_task(sleepy(2))

asyncio.run(amain())
