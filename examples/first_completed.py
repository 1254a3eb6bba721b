import asyncio

async def sleepy(t):
    await asyncio.sleep(t)
    return t

async def main():
    pending = [asyncio.create_task(sleepy(t)) for t in (3, 1, 2)]
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for f in done:
            print(await f)

asyncio.run(main())
