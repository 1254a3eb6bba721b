#include <aio/aio.hpp>

#include <cstdio>

aio::Task<int> answer() {
    co_await aio::sleep(std::chrono::milliseconds(1));
    co_return 42;
}

int main() {
    int v = aio::run(answer());
    std::printf("consumer: %d\n", v);
    return v == 42 ? 0 : 1;
}
