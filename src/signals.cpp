#include "aio/signals.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <string>
#include <system_error>

#include "aio/loop.hpp"
#include "backend/sys.hpp"
#include "signal_table.hpp"

namespace aio::detail {

namespace {

// Per signal, the self-pipe of the loop that catches it (-1: none). Read in the handler.
std::atomic<int> g_wakeup_fd[NSIG];

struct InitWakeupFds {
    InitWakeupFds() {
        for (auto& fd : g_wakeup_fd)
            fd.store(-1);
    }
} init_wakeup_fds;

// The process-level handler: async-signal-safe, only a write.
extern "C" void on_signal(int sig) {
    const int saved = errno;
    const int fd = g_wakeup_fd[sig].load(std::memory_order_relaxed);
    if (fd >= 0) {
        const unsigned char byte = static_cast<unsigned char>(sig);
        sys::transmit(fd, false, &byte, 1);  // a full pipe: a wakeup is queued anyway
    }
    errno = saved;
}

void check_signal(int sig) {
    if (sig <= 0 || sig >= NSIG)
        throw std::invalid_argument("invalid signal number " + std::to_string(sig));
    if (sig == SIGKILL || sig == SIGSTOP)
        throw std::invalid_argument("signal " + std::to_string(sig) + " cannot be caught");
}

}  // namespace

SignalTable::SignalTable(EventLoop& loop) : loop_(loop) {
    int p[2];
    if (const int r = sys::make_pipe(p, O_CLOEXEC | O_NONBLOCK); r < 0)
        throw std::system_error(-r, std::generic_category(), "pipe2");
    read_fd_ = p[0];
    write_fd_ = p[1];
    try {
        loop_.add_reader(read_fd_, [this] { dispatch(); });
    } catch (...) {
        sys::close_fd(read_fd_);
        sys::close_fd(write_fd_);
        throw;
    }
}

SignalTable::~SignalTable() {
    for (auto& [sig, e] : entries_) {
        sys::signal_action(sig, &e.previous, nullptr);
        g_wakeup_fd[sig].store(-1);
    }
    loop_.remove_reader(read_fd_);
    loop_.forget_fd(read_fd_);
    sys::close_fd(read_fd_);
    sys::close_fd(write_fd_);
}

SignalTable::Entry& SignalTable::catch_signal(int sig) {
    check_signal(sig);
    if (auto it = entries_.find(sig); it != entries_.end()) return it->second;
    int expected = -1;
    if (!g_wakeup_fd[sig].compare_exchange_strong(expected, write_fd_))
        throw RuntimeError("signal " + std::to_string(sig) + " is handled by another event loop");
    struct sigaction action {};
    action.sa_handler = &on_signal;
    action.sa_flags = SA_RESTART;  // other threads' blocking calls go on
    sigemptyset(&action.sa_mask);
    Entry e;
    if (const int r = sys::signal_action(sig, &action, &e.previous); r < 0) {
        g_wakeup_fd[sig].store(-1);
        throw std::system_error(-r, std::generic_category(), "sigaction");
    }
    return entries_.emplace(sig, std::move(e)).first->second;
}

void SignalTable::release_if_unused(int sig) noexcept {
    auto it = entries_.find(sig);
    if (it == entries_.end() || it->second.callback || !it->second.waiters.empty()) return;
    sys::signal_action(sig, &it->second.previous, nullptr);
    g_wakeup_fd[sig].store(-1);
    entries_.erase(it);
}

void SignalTable::set_handler(int sig, std::function<void()> callback, bool fallback) {
    if (!callback) throw std::invalid_argument("add_signal_handler: empty callback");
    Entry& e = catch_signal(sig);
    e.callback = std::move(callback);
    e.fallback = fallback;
}

bool SignalTable::remove_handler(int sig) {
    check_signal(sig);
    auto it = entries_.find(sig);
    if (it == entries_.end() || !it->second.callback) return false;
    it->second.callback = nullptr;
    release_if_unused(sig);
    return true;
}

std::uint64_t SignalTable::add_waiter(int sig, Future<int> waiter) {
    Entry& e = catch_signal(sig);
    e.waiters.emplace_back(++next_waiter_, std::move(waiter));
    return next_waiter_;
}

void SignalTable::remove_waiter(int sig, std::uint64_t id) noexcept {
    auto it = entries_.find(sig);
    if (it == entries_.end()) return;
    auto& waiters = it->second.waiters;
    std::erase_if(waiters, [id](const auto& w) { return w.first == id; });
    release_if_unused(sig);
}

bool SignalTable::has_listeners() const noexcept {
    for (const auto& [sig, e] : entries_)
        if (!e.waiters.empty() || (e.callback && !e.fallback)) return true;
    return false;
}

void SignalTable::dispatch() {
    unsigned char sigs[128];
    long n;
    while ((n = sys::receive(read_fd_, false, sigs, sizeof sigs)) > 0) {
        for (long i = 0; i < n; ++i) {
            auto it = entries_.find(sigs[i]);
            if (it == entries_.end()) continue;  // released since
            Entry& e = it->second;
            bool waited = false;
            for (auto& [id, waiter] : e.waiters) {
                if (waiter.done()) continue;
                waiter.set_result(static_cast<int>(sigs[i]));
                waited = true;
            }
            if (e.callback && !(e.fallback && waited)) loop_.call_soon(e.callback);
        }
    }
}

Task<int> wait_for_signals(std::vector<int> sigs) {
    EventLoop& loop = get_running_loop();
    Future<int> arrived = loop.create_future<int>();
    SignalTable& table = loop.signal_table();
    // Every registration is undone when this frame ends: on the signal, on cancellation, or when
    // a later signal in the list cannot be caught.
    struct Registrations {
        explicit Registrations(EventLoop& l) noexcept : loop(l) {}
        EventLoop& loop;
        std::vector<std::pair<int, std::uint64_t>> ids;
        ~Registrations() {
            if (SignalTable* t = loop.signal_table_if_any())
                for (auto [sig, id] : ids)
                    t->remove_waiter(sig, id);
        }
    } registrations(loop);
    for (int sig : sigs)
        registrations.ids.emplace_back(sig, table.add_waiter(sig, arrived));
    co_return co_await arrived;
}

}  // namespace aio::detail

namespace aio {

void EventLoop::add_signal_handler(int sig, std::function<void()> callback) {
    signal_table().set_handler(sig, std::move(callback));
}

bool EventLoop::remove_signal_handler(int sig) {
    if (!signals_) {
        detail::check_signal(sig);
        return false;
    }
    return signals_->remove_handler(sig);
}

detail::SignalTable& EventLoop::signal_table() {
    check_open();
    if (!signals_) signals_ = std::make_unique<detail::SignalTable>(*this);
    return *signals_;
}

void add_signal_handler(int sig, std::function<void()> callback) {
    get_running_loop().add_signal_handler(sig, std::move(callback));
}

bool remove_signal_handler(int sig) {
    return get_running_loop().remove_signal_handler(sig);
}

}  // namespace aio
