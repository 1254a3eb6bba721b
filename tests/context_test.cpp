// Context variables (contextvars): a task's context is a copy of its creator's, taken at
// create_task; set() stays in the context it was made in; reset() undoes it; to_thread carries
// the caller's context; create_task(..., {.context = ctx}) runs a task in ctx.
#include <string>
#include <thread>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

aio::ContextVar<std::string> request_id("request_id", "-");
aio::ContextVar<int> depth("depth");

aio::Task<std::string> handle(std::string id, aio::Duration d) {
    request_id.set(id);
    co_await aio::sleep(d);
    co_return request_id.get();  // still its own, whatever the others set meanwhile
}

// asyncio's request-id pattern: each handler task sets its own, none sees another's.
AIO_TEST(ContextVar, EachTaskHasItsOwnValue) {
    EXPECT_EQ(request_id.get(), "-");
    auto [a, b, c] = co_await aio::gather(handle("a", 3s), handle("b", 1s), handle("c", 2s));
    EXPECT_EQ(a, "a");
    EXPECT_EQ(b, "b");
    EXPECT_EQ(c, "c");
    EXPECT_EQ(request_id.get(), "-");  // the children's set() stayed in their contexts
}

// The copy is taken at create_task: a child sees what its parent had set then, not later.
AIO_TEST(ContextVar, TheChildCopiesAtCreation) {
    depth.set(1);
    auto child = aio::create_task([]() -> aio::Task<int> {
        const int seen = depth.get();
        co_await aio::sleep(2s);
        depth.set(seen + 10);
        co_return depth.get() * 100 + seen;
    }());
    co_await aio::sleep(1s);
    depth.set(2);
    EXPECT_EQ(co_await child, 11 * 100 + 1);
    EXPECT_EQ(depth.get(), 2);
}

AIO_TEST(ContextVar, GetDefaultsAndLookupError) {
    aio::ContextVar<int> unset("unset");
    EXPECT_THROW(unset.get(), aio::LookupError);
    EXPECT_EQ(unset.get(7), 7);
    EXPECT_EQ(unset.name(), "unset");
    co_return;
}

// reset(token) puts back the value before; a token works once, in its own context only.
AIO_TEST(ContextVar, ResetWithAToken) {
    aio::ContextVar<int> level("level");
    auto first = level.set(1);
    EXPECT_TRUE(first.old_value_missing());
    auto second = level.set(2);
    EXPECT_EQ(second.old_value(), 1);
    level.reset(second);
    EXPECT_EQ(level.get(), 1);
    EXPECT_THROW(level.reset(second), aio::RuntimeError);
    auto elsewhere =
        aio::create_task([](aio::ContextVar<int>& v, aio::Token<int> t) -> aio::Task<> {
            EXPECT_THROW(v.reset(t), std::invalid_argument);
            co_return;
        }(level, first));
    co_await elsewhere;
    level.reset(first);
    EXPECT_THROW(level.get(), aio::LookupError);
}

// to_thread runs the function in a copy of the caller's context; what it sets stays there.
AIO_TEST(ContextVar, ToThreadCarriesTheContext) {
    request_id.set("from-the-loop");
    auto in_thread = [] {
        std::string seen = request_id.get();
        request_id.set("from-the-thread");
        return seen + "/" + request_id.get();
    };
    EXPECT_EQ(co_await aio::to_thread(in_thread), "from-the-loop/from-the-thread");
    EXPECT_EQ(request_id.get(), "from-the-loop");
}

// create_task(coro, {.context = ctx}): the task runs in ctx, and what it sets is there after.
AIO_TEST(ContextVar, ATaskInAGivenContext) {
    aio::ContextVar<int> counter("counter", 0);
    aio::Context ctx = aio::copy_context();
    aio::TaskOptions options;
    options.context = ctx;
    auto bump = [](aio::ContextVar<int>& c) -> aio::Task<> {
        c.set(c.get() + 1);
        co_return;
    };
    co_await aio::create_task(bump(counter), options);
    co_await aio::create_task(bump(counter), options);
    EXPECT_EQ(ctx.run([&] { return counter.get(); }), 2);
    EXPECT_EQ(counter.get(), 0);  // ours is untouched
}

}  // namespace
