// Chaining coroutines: awaiting a Task runs it right there, like calling a function — no trip
// through the event loop — and its co_return value is the value of the co_await.
#include <aio/aio.hpp>

#include <cstdio>

aio::Task<int> twice(int x) {
    co_return x * 2;
}

aio::Task<int> compute(int x, int y) {
    co_return co_await twice(x) + y;
}

aio::Task<> print_result() {
    int result = co_await compute(2, 3);
    std::printf("result: %d\n", result);
}

int main() {
    aio::run(print_result());
}
