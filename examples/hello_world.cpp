// Hello world: the smallest aio program (asyncio.run(main())).
#include <aio/aio.hpp>

#include <cstdio>

aio::Task<> hello() {
    std::puts("Hello!");
    co_return;
}

int main() { aio::run(hello()); }
