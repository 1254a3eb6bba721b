#include "aio/runners.hpp"

#include "aio/detail/when_done.hpp"

namespace aio::detail {

namespace {
Task<> wait_all_done(std::vector<AnyTask> tasks) {
    for (auto& t : tasks) {
        WhenDone done(t.base());
        co_await done;
    }
}
}  // namespace

Runner::Runner(LoopOptions options) : loop_(options) {}

Runner::~Runner() {
    cancel_all_tasks(loop_);
    loop_.close();
}

void Runner::cancel_all_tasks(EventLoop& loop) noexcept {
    try {
        auto tasks = all_tasks(loop);
        if (tasks.empty()) return;
        for (auto& t : tasks)
            t.cancel();
        loop.run_until_complete(wait_all_done(tasks));
        for (auto& t : tasks) {
            if (t.cancelled()) continue;
            auto* base = t.base();
            if (auto e = base->exception())
                loop.call_exception_handler(
                    {"unhandled exception during aio::run() shutdown", e, base->describe()});
        }
    } catch (...) {
        loop.call_exception_handler(
            {"error while cancelling the remaining tasks", std::current_exception(), {}});
    }
}

}  // namespace aio::detail
