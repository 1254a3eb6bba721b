#include "aio/runners.hpp"

#include <signal.h>

#include <cstdlib>
#include <exception>
#include <mutex>

#include "aio/detail/when_done.hpp"
#include "backend/sys.hpp"
#include "signal_table.hpp"

namespace aio {
using detail::running_loop;
using detail::WhenDone;
namespace sys = detail::sys;

namespace {
Task<> wait_all_done(std::vector<AnyTask> tasks) {
    for (auto& t : tasks) {
        WhenDone done(t.base());
        co_await done;
    }
}

thread_local Runner* current_runner = nullptr;
}  // namespace

Runner::Runner(LoopOptions options) : loop_(options) {}

Runner::~Runner() {
    close();
}

void Runner::close() {
    if (std::exchange(closed_, true)) return;
    cancel_all_tasks(loop_);
    loop_.close();  // (joins the default executor's threads, restores the signals' dispositions)
}

EventLoop& Runner::get_loop() {
    if (closed_) throw RuntimeError("Runner is closed");
    return loop_;
}

Runner::RunScope::RunScope(Runner& r) : runner(r), outer(current_runner) {
    if (running_loop) throw RuntimeError("Runner.run() cannot be called from a running event loop");
    if (r.closed_) throw RuntimeError("Runner is closed");
    r.interrupted_by_ = 0;
    current_runner = &r;
}

Runner::RunScope::~RunScope() {
    // Between runs, and after, the signals are the program's again (asyncio.Runner restores
    // SIGINT's handler at the end of each run).
    for (int sig : std::exchange(runner.interrupt_signals_, {}))
        runner.loop_.remove_signal_handler(sig);
    runner.main_ = AnyTask();
    current_runner = outer;
}

Runner& Runner::current() {
    if (!current_runner) throw RuntimeError("interrupt_on() called outside aio::run()");
    return *current_runner;
}

void Runner::catch_sigint() {
    // As asyncio.run: only on the main thread, and only if nobody changed SIGINT's action.
    if (!sys::on_main_thread()) return;
    struct sigaction current {};
    if (sys::signal_action(SIGINT, nullptr, &current) < 0 || current.sa_handler != SIG_DFL) return;
    interrupt_on(SIGINT);
}

void Runner::interrupt_on(int sig) {
    // (Only while no task waits for sig: a program waiting for it handles it itself.)
    loop_.signal_table().set_handler(
        sig, [this, sig] { on_interrupt(sig); }, true);
    interrupt_signals_.push_back(sig);
}

void Runner::on_interrupt(int sig) {
    if (!interrupted_by_ && !main_.done()) {
        interrupted_by_ = sig;
        main_.cancel();
        return;
    }
    // The second one: the user means it. Die of the signal, as its default action would.
    loop_.remove_signal_handler(sig);
    sys::die_by_signal(sig);
}

namespace {
std::terminate_handler terminate_before_aio = nullptr;

[[noreturn]] void terminate_by_signal_if_interrupted() {
    try {
        if (auto e = std::current_exception()) std::rethrow_exception(e);
    } catch (const KeyboardInterrupt& interrupt) {
        sys::die_by_signal(interrupt.signal());
    } catch (...) {
    }
    if (terminate_before_aio) terminate_before_aio();
    std::abort();
}
}  // namespace

void Runner::die_of_uncaught_interrupts() {
    static std::once_flag once;
    std::call_once(once, [] {
        terminate_before_aio = std::set_terminate(terminate_by_signal_if_interrupted);
    });
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

void interrupt_on(int sig) {
    Runner::current().interrupt_on(sig);
}

}  // namespace aio
