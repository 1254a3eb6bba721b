import asyncio

async def hello():
    print("Hello!")

asyncio.run(hello())
