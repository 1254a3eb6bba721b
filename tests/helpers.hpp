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

}  // namespace aio_test
