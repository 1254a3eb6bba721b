// "If you have a blocking function that does not support asyncio, put the blocking call on a
// thread executor": a CPU-heavy function runs on a worker thread (aio::to_thread) while a ticker
// task keeps printing on the loop. To show that the loop really was free, the function does not
// return until it has seen the ticker finish, which could never happen had it run on the loop.
// The output is line for line what python3 prints for blocking_call.py.
#include <aio/aio.hpp>

#include <cstdio>
#include <future>

// The blocking function: counts the primes below n by trial division (deliberately slow).
long count_primes(long n) {
    long count = 0;
    for (long i = 2; i < n; ++i) {
        bool prime = true;
        for (long d = 2; d * d <= i; ++d)
            if (i % d == 0) {
                prime = false;
                break;
            }
        count += prime;
    }
    return count;
}

aio::Task<> ticker(std::promise<void>& done) {
    for (int i = 1; i <= 3; ++i) {
        co_await aio::sleep(std::chrono::milliseconds(100));
        std::printf("tick %d\n", i);
    }
    done.set_value();
}

aio::Task<> amain() {
    std::promise<void> ticked;
    std::shared_future<void> ticks_done = ticked.get_future().share();
    auto ticking = aio::create_task(ticker(ticked));
    std::printf("counting primes on a worker thread\n");
    auto crunch = [ticks_done] {
        long primes = count_primes(200'000);
        ticks_done.wait();  // blocks this worker, not the loop
        return primes;
    };
    long primes = co_await aio::to_thread(crunch);
    std::printf("%ld primes below 200000; the loop ticked meanwhile\n", primes);
    co_await ticking;
}

int main() {
    aio::run(amain());
}
