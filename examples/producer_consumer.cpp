// Producer/consumer from the talks: three consumers share a Queue of size 1; the producer puts
// 0..9, waits until every item is processed (join), then the consumers are cancelled. The output
// is line for line what python3 prints for the asyncio original (producer_consumer.py).
// The queue is shared through a shared_ptr: the consumers are still winding down after amain()
// returns, and spawned coroutines take their arguments by value.
#include <aio/aio.hpp>

#include <cstdio>
#include <memory>
#include <string>

aio::Task<> producer(std::shared_ptr<aio::Queue<int>> q) {
    for (int i = 0; i < 10; ++i) {
        co_await q->put(i);
        std::printf("producer put %d\n", i);
    }
    co_await q->join();  // wait until every item has been processed
}

aio::Task<> consumer(std::string name, std::shared_ptr<aio::Queue<int>> q) {
    std::printf("consumer %s running\n", name.c_str());
    while (true) {
        int value;
        try {
            value = co_await q->get();
        } catch (const aio::CancelledError&) {
            std::printf("consumer %s cancelled\n", name.c_str());
            co_return;
        }
        std::printf("consumer %s got %d\n", name.c_str(), value);
        q->task_done();
    }
}

aio::Task<> amain() {
    auto q = std::make_shared<aio::Queue<int>>(1);
    // gather starts the consumers as tasks right away (asyncio.ensure_future is implied).
    auto consumers = aio::gather(consumer("A", q), consumer("B", q), consumer("C", q));
    co_await producer(q);
    consumers.cancel();  // all done: tell the consumers to stop
}

int main() {
    aio::run(amain());
}
