// Writing GoogleTest tests as coroutines. AIO_TEST's body runs as the main task of a fresh loop
// on virtual time: when nothing is runnable the clock jumps to the next timer (trio's autojump
// clock), so a test that sleeps an hour takes microseconds and never depends on the machine's
// speed. The test fails if the body throws, if a task is still pending when the body returns
// (a leaked task), or if anything reached the exception handler (an exception never retrieved,
// an error in a callback) that the test did not take with take_reports(). Inside a body use
// AIO_ASSERT_TRUE / AIO_ASSERT_EQ where GoogleTest's ASSERT_* would return.
//
//   AIO_TEST(Sleep, WakesInOrder) {
//       auto t0 = aio::get_running_loop().time();
//       co_await aio::sleep(3s);
//       EXPECT_EQ(aio::get_running_loop().time() - t0, 3s);
//   }
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aio/aio.hpp"

namespace aio::testing {

// Runs body() as described above and reports failures to GoogleTest.
void run_test(Task<> (*body)(), LoopOptions options = {.virtual_time = true});

// What reached the loop's exception handler so far in this test, cleared by the call. A test
// that expects a report takes it here and asserts on it.
std::vector<ExceptionContext> take_reports();

// Fault injection into aio's system calls (the epoll backend's socket I/O): from the call on,
// reads fail with ECONNRESET, writes with EPIPE and accepts with EMFILE at these rates (0 to 1),
// seeded, until stop_injecting_faults().
struct FaultRates {
    unsigned seed = 1;
    double reset_on_read = 0;
    double reset_on_write = 0;
    double out_of_fds_on_accept = 0;
};
void inject_faults(const FaultRates& rates);
void stop_injecting_faults();

// aio::run on virtual time, for tests that want a value back.
template <class T>
T run_virtual(Task<T> main) {
    return aio::run(std::move(main), LoopOptions{.virtual_time = true});
}

}  // namespace aio::testing

// ASSERT_* for AIO_TEST bodies (GoogleTest's own use `return`, which a coroutine cannot).
#define AIO_ASSERT_TRUE(cond)                         \
    do {                                              \
        const bool aio_ok_ = static_cast<bool>(cond); \
        EXPECT_TRUE(aio_ok_) << #cond;                \
        if (!aio_ok_) co_return;                      \
    } while (0)
// Each argument is evaluated once (they may be calls such as ::write).
#define AIO_ASSERT_EQ(a, b)                        \
    do {                                           \
        const auto& aio_a_ = (a);                  \
        const auto& aio_b_ = (b);                  \
        const bool aio_ok_ = aio_a_ == aio_b_;     \
        EXPECT_EQ(aio_a_, aio_b_) << #a " == " #b; \
        if (!aio_ok_) co_return;                   \
    } while (0)

#define AIO_TEST(suite, name)                                      \
    static ::aio::Task<> aio_test_body_##suite##_##name();         \
    TEST(suite, name) {                                            \
        ::aio::testing::run_test(&aio_test_body_##suite##_##name); \
    }                                                              \
    static ::aio::Task<> aio_test_body_##suite##_##name()

// AIO_TEST on a loop with other options (virtual time is still on).
#define AIO_TEST_WITH_OPTIONS(suite, name, ...)                                  \
    static ::aio::Task<> aio_test_body_##suite##_##name();                       \
    TEST(suite, name) {                                                          \
        ::aio::LoopOptions aio_options_{__VA_ARGS__};                            \
        aio_options_.virtual_time = true;                                        \
        ::aio::testing::run_test(&aio_test_body_##suite##_##name, aio_options_); \
    }                                                                            \
    static ::aio::Task<> aio_test_body_##suite##_##name()
