// Generator and AsyncGenerator: laziness, early stop, errors, cancellation.
#include <string>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

aio::Generator<int> count(int n, int* cleaned) {
    struct Cleanup {
        int* flag;
        ~Cleanup() { ++*flag; }
    } cleanup{cleaned};
    for (int i = 0; i < n; ++i)
        co_yield i;
}

TEST(Generator, RangeForAndLaziness) {
    int cleaned = 0;
    std::vector<int> out;
    for (int v : count(4, &cleaned))
        out.push_back(v);
    EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_EQ(cleaned, 1);
}

TEST(Generator, EarlyStopRunsCleanup) {
    int cleaned = 0;
    {
        auto g = count(1000, &cleaned);
        EXPECT_EQ(*g.next(), 0);
        EXPECT_EQ(*g.next(), 1);
    }
    EXPECT_EQ(cleaned, 1);
}

TEST(Generator, ExceptionsReachTheConsumer) {
    auto bad = []() -> aio::Generator<int> {
        co_yield 1;
        throw std::runtime_error("broken");
    }();
    EXPECT_EQ(*bad.next(), 1);
    EXPECT_THROW(bad.next(), std::runtime_error);
    EXPECT_FALSE(bad.next());
}

aio::AsyncGenerator<int> ticks(int n, aio::Duration every) {
    for (int i = 0; i < n; ++i) {
        co_await aio::sleep(every);
        co_yield i;
    }
}

AIO_TEST(AsyncGenerator, AsyncFor) {
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    std::vector<int> out;
    auto gen = ticks(3, 1s);
    while (auto v = co_await gen.next())
        out.push_back(*v);
    EXPECT_EQ(out, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(loop.time() - start, 3s);
    EXPECT_FALSE(co_await gen.next());  // exhausted stays exhausted
}

AIO_TEST(AsyncGenerator, ExceptionsReachTheConsumer) {
    auto bad = []() -> aio::AsyncGenerator<std::string> {
        co_yield "one";
        co_await aio::sleep(1s);
        throw std::logic_error("no two");
    }();
    EXPECT_EQ(*(co_await bad.next()), "one");
    EXPECT_THROW(co_await bad.next(), std::logic_error);
}

AIO_TEST(AsyncGenerator, CancellingTheConsumerCancelsTheGenerator) {
    bool generator_saw_cancel = false;
    auto consumer = [](bool* saw) -> aio::Task<> {
        auto gen = [](bool* saw) -> aio::AsyncGenerator<int> {
            try {
                co_await aio::sleep(1h);
            } catch (const aio::CancelledError&) {
                *saw = true;
                throw;
            }
            co_yield 1;
        }(saw);
        co_await gen.next();
    };
    auto t = aio::create_task(consumer(&generator_saw_cancel));
    co_await aio::sleep(1s);
    t.cancel();
    EXPECT_THROW(co_await t, aio::CancelledError);
    EXPECT_TRUE(generator_saw_cancel);
}

AIO_TEST(AsyncGenerator, EarlyStopRunsCleanup) {
    int cleaned = 0;
    {
        auto gen = [](int* cleaned) -> aio::AsyncGenerator<int> {
            struct Cleanup {
                int* flag;
                ~Cleanup() { ++*flag; }
            } cleanup{cleaned};
            for (int i = 0;; ++i) {
                co_await aio::sleep(1s);
                co_yield i;
            }
        }(&cleaned);
        EXPECT_EQ(*(co_await gen.next()), 0);
    }
    EXPECT_EQ(cleaned, 1);
}

AIO_TEST(AsyncGenerator, ManyImmediateValuesDoNotGrowTheStack) {
    auto gen = []() -> aio::AsyncGenerator<long> {
        for (long i = 0; i < 1'000'000; ++i)
            co_yield i;
    }();
    long sum = 0;
    while (auto v = co_await gen.next())
        sum += *v;
    EXPECT_EQ(sum, 999'999L * 1'000'000L / 2);
}

}  // namespace
