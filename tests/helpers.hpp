// Small coroutines the tests share.
#pragma once
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

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

// Sleeps (virtual time) until pred() holds, at most `limit` steps of 1 ms.
inline aio::Task<bool> eventually(std::function<bool()> pred, int limit = 5000) {
    for (int i = 0; i < limit; ++i) {
        if (pred()) co_return true;
        co_await aio::sleep(std::chrono::milliseconds(1));
    }
    co_return pred();
}

// Whether awaiting `task` throws an E (another exception propagates).
template <class E, class T>
aio::Task<bool> raises(aio::Task<T> task) {
    try {
        co_await std::move(task);
    } catch (const E&) {
        co_return true;
    }
    co_return false;
}

// A factory that hands out the one protocol a test watches.
template <class P>
aio::ProtocolFactory factory_of(std::shared_ptr<P> p) {
    return [p] { return p; };
}

// The errno of a std::system_error, -1 for any other exception.
inline int error_code(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& se) {
        return se.code().value();
    } catch (...) {
        return -1;
    }
}

}  // namespace aio_test
