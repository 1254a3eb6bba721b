import asyncio
from asyncio import CancelledError
async def producer(q):
    for i in range(10):
        await q.put(i)
        print("producer put {}".format(i))
    await q.join()
async def consumer(name, q):
    print("consumer {} running".format(name))
    while True:
        try:
            value = await q.get()
        except CancelledError:
            print("consumer {} cancelled".format(name))
            return
        print("consumer {} got {}".format(name, value))
        q.task_done()
async def main():
    q = asyncio.Queue(1)
    consumers = asyncio.gather(consumer("A", q), consumer("B", q), consumer("C", q))
    asyncio.ensure_future(consumers)
    await producer(q)
    consumers.cancel()
asyncio.run(main())
