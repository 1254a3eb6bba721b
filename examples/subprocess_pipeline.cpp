// A pipeline through the parent: one child's stdout, streamed line by line, into another
// child's stdin (the parent tags each line on the way), and the second child's output collected
// at the end. What the shell writes as `producer | sort`, with the parent in the middle.
// The output is line for line what python3 prints for subprocess_pipeline.py.
#include <aio/aio.hpp>

#include <cstdio>
#include <string>

// Each line of `from` into `to`, as it comes; then EOF for `to`.
aio::Task<int> forward(aio::StreamReader from, aio::StreamWriter to) {
    int lines = 0;
    while (true) {
        std::string line = co_await from.readline();
        if (line.empty()) break;
        std::printf("forwarding %s", line.c_str());
        to.write("fruit: " + line);
        co_await to.drain();
        ++lines;
    }
    to.close();  // sort sorts once its input ends
    co_return lines;
}

aio::Task<> amain() {
    aio::ProcessOptions produce;
    produce.out = aio::PIPE;
    auto producer = co_await aio::create_subprocess_shell(
        "for fruit in cherry apple banana; do echo $fruit; done", produce);

    aio::ProcessOptions consume;
    consume.in = aio::PIPE;
    consume.out = aio::PIPE;
    auto sorter = co_await aio::create_subprocess_exec("sort", consume);

    int lines = co_await forward(producer.out(), sorter.in());
    std::string sorted = co_await sorter.out().read();
    std::printf("forwarded %d lines; sort returned:\n%s", lines, sorted.c_str());
    const int first = co_await producer.wait();
    const int second = co_await sorter.wait();
    std::printf("exit codes: %d %d\n", first, second);
}

int main() {
    aio::run(amain());
}
