// Small coroutines the tests share.
#pragma once
#include <stdexcept>
#include <string>

#include "aio/testing.hpp"

namespace aio_test {

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `value`, after sleeping `d`.
inline aio::Task<int> after(aio::Duration d, int value) {
    co_await aio::sleep(d);
    co_return value;
}

// Throws Failure(what) after sleeping `d`.
inline aio::Task<int> fail_after(aio::Duration d, std::string what) {
    co_await aio::sleep(d);
    throw Failure(what);
}

// The talks' echo handler: each line back, until EOF.
inline aio::Task<> echo_lines(aio::StreamReader reader, aio::StreamWriter writer) {
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;
        writer.write(line);
        co_await writer.drain();
    }
}

}  // namespace aio_test
