// Every awaitable is [[nodiscard]]: each line marked "warns" below must draw a warning (an
// awaitable built and dropped without co_await does nothing). tests/check_nodiscard.sh counts.
#include <aio/aio.hpp>

using namespace std::chrono_literals;

aio::Task<int> answer() {
    co_return 42;
}

aio::Task<> dropped(aio::Queue<int>& q, aio::StreamReader& r, aio::StreamWriter& w,
                    aio::Future<int>& f, aio::Event& e, aio::Lock& l) {
    aio::sleep(1s);               // warns
    q.put(1);                     // warns
    q.get();                      // warns
    r.read(10);                   // warns
    r.readline();                 // warns
    w.drain();                    // warns
    answer();                     // warns
    e.wait();                     // warns
    l.acquire();                  // warns
    aio::wait_for(answer(), 1s);  // warns
    aio::shield(answer());        // warns
    co_await f;
}
