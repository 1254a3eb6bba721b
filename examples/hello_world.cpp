// Hello world: the smallest aio program.
//
//   async def hello():
//       print("Hello!")
//   asyncio.run(hello())
#include <aio/aio.hpp>

#include <cstdio>

aio::Task<> hello() {
    std::puts("Hello!");
    co_return;
}

int main() {
    aio::run(hello());
}
