// How an event loop works at heart, from the talks: three generators run round-robin, each
// advanced one step per turn until it is exhausted. (Python's loop removes an exhausted generator
// while iterating the list, which skips the next one for that round; the same is done here so
// the output matches line for line.)
#include <aio/aio.hpp>

#include <cstdio>
#include <string>
#include <vector>

aio::Generator<long> count_up_to(long maxnum) {
    for (long n = 0; n < maxnum; ++n)
        co_yield n;
}

aio::Generator<long> fib(long maxnum) {
    long first = 0, second = 1, counter = 0;
    while (true) {
        co_yield first;
        ++counter;
        first = std::exchange(second, first + second);
        if (counter >= maxnum) break;
    }
}

aio::Generator<long> squares(long maxnum) {
    for (long n = 0; n < maxnum; ++n)
        co_yield n* n;
}

struct Named {
    std::string name;
    aio::Generator<long> gen;
};

int main() {
    std::vector<Named> all;
    all.push_back({"count_up_to", count_up_to(10)});
    all.push_back({"fib", fib(8)});
    all.push_back({"squares", squares(11)});
    while (!all.empty()) {
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (auto value = all[i].gen.next()) {
                std::printf("%s: %ld\n", all[i].name.c_str(), *value);
            } else {
                all.erase(all.begin() + static_cast<long>(i));  // like list.remove while iterating
            }
        }
    }
}
