// The epoll backend: readiness-based. Each fd is registered once, edge-triggered, for reading and
// writing, the first time a task waits on it; an event calls the waiter for that direction,
// which retries its system call (or wakes its task). An eventfd in the same set wakes the loop
// from other threads. Timeouts use epoll_pwait2 (nanoseconds) where the kernel has it.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>
#include <vector>

#include "aio/detail/fd_waiter.hpp"
#include "aio/detail/io_op.hpp"
#include "aio/errors.hpp"
#include "backend/backend.hpp"

namespace aio::detail {
namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

class EpollBackend final : public Backend {
  public:
    EpollBackend() {
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) throw_errno("epoll_create1");
        wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wakefd_ < 0) {
            ::close(epfd_);
            throw_errno("eventfd");
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = wakefd_;
        if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) {
            ::close(wakefd_);
            ::close(epfd_);
            throw_errno("epoll_ctl");
        }
    }
    ~EpollBackend() override {
        ::close(wakefd_);
        ::close(epfd_);
    }

    const char* name() const noexcept override { return "epoll"; }

    void wait(Duration timeout) override {
        epoll_event events[256];
        int n = -1;
        if (!due_.empty()) timeout = Duration::zero();  // waiters whose readiness is known
        if (timeout == Duration::max()) {
            n = ::epoll_wait(epfd_, events, 256, -1);
        } else {
            const auto ns = std::max<std::int64_t>(0, timeout.count());
            timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                        static_cast<long>(ns % 1'000'000'000)};
            if (have_pwait2_) {
                n = ::epoll_pwait2(epfd_, events, 256, &ts, nullptr);
                have_pwait2_ = !(n < 0 && errno == ENOSYS);
            }
            if (!have_pwait2_)  // kernel before 5.11 (or valgrind): milliseconds, rounded up
                n = ::epoll_wait(epfd_, events, 256, static_cast<int>((ns + 999'999) / 1'000'000));
        }
        if (n < 0) {
            if (errno == EINTR) return;
            throw_errno("epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == wakefd_) {
                std::uint64_t count;
                [[maybe_unused]] auto r = ::read(wakefd_, &count, sizeof count);
                continue;
            }
            if (static_cast<std::size_t>(fd) >= fds_.size()) continue;
            Entry& e = fds_[fd];
            const std::uint32_t ev = events[i].events;
            const bool failed = ev & (EPOLLERR | EPOLLHUP);
            if (failed || (ev & (EPOLLIN | EPOLLRDHUP))) {
                e.hangup = failed || (ev & EPOLLRDHUP);
                if (e.reader) {
                    e.reader->hangup = e.hangup;
                    notify(e.reader);
                } else {
                    e.readable = true;  // an edge nobody waits for: kept for the next reader
                }
            }
            // (The reader's callback may have added fds: look the entry up again.)
            Entry& again = fds_[fd];
            if (failed || (ev & EPOLLOUT)) {
                if (again.writer)
                    notify(again.writer);
                else
                    again.writable = true;
            }
        }
        // Waiters that came after their fd's edge: they retry now. (Swapped back, so that the
        // list keeps its memory.)
        if (due_.empty()) return;
        due_.swap(retrying_);
        for (const auto& [fd, interest] : retrying_) {
            Entry& e = fds_[fd];
            ReadinessWaiter*& slot = interest == Interest::read ? e.reader : e.writer;
            if (!slot) continue;
            if (interest == Interest::read) slot->hangup = e.hangup;
            notify(slot);
        }
        retrying_.clear();
    }

    void wakeup() noexcept override {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
    }

    std::size_t pending_io() const noexcept override { return waiting_; }

    void watch(ReadinessWaiter& w) override {
        const int fd = w.fd;
        if (fd < 0) throw std::system_error(EBADF, std::generic_category(), "wait on fd");
        if (static_cast<std::size_t>(fd) >= fds_.size())
            fds_.resize(static_cast<std::size_t>(fd) + 1);
        Entry& e = fds_[fd];
        ReadinessWaiter*& slot = w.interest == Interest::read ? e.reader : e.writer;
        if (slot)
            throw RuntimeError("another task is already waiting on this fd in the same direction");
        if (!e.registered) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
            ev.data.fd = fd;
            if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl");
            e.registered = true;
        }
        slot = &w;
        ++waiting_;
        // Edge-triggered: an edge that came while nobody waited will not come again, so a waiter
        // arriving after it is told on the next wait (its call is retried; EAGAIN re-arms it).
        bool& seen = w.interest == Interest::read ? e.readable : e.writable;
        if (seen) {
            seen = false;
            due_.emplace_back(fd, w.interest);
        }
    }

    // Operations: the non-blocking call at once; on EAGAIN, again each time the fd is ready
    // (IoOp's readiness callback).
    bool try_now(IoOp& op) noexcept override {
        const long r = op.perform();
        if (r == -EAGAIN) return false;
        op.complete(r);
        return true;
    }
    void start(IoOp& op) override { watch(op); }
    bool cancel(IoOp& op) noexcept override {
        unwatch(op);
        return true;
    }
    void abandon(IoOp& op) noexcept override { unwatch(op); }

    void unwatch(ReadinessWaiter& w) noexcept override {
        const int fd = w.fd;
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
        Entry& e = fds_[fd];
        ReadinessWaiter*& slot = w.interest == Interest::read ? e.reader : e.writer;
        if (slot == &w) {
            slot = nullptr;
            --waiting_;
        }
    }

    void forget(int fd) noexcept override {
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
        Entry& e = fds_[fd];
        if (e.reader) release(e.reader);
        if (e.writer) release(e.writer);
        // Deregister before close: epoll keys registrations on the open file, and a dup'ed fd
        // would otherwise keep firing for this number.
        if (e.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
        e = Entry{};
    }

    void unregister(int fd) noexcept override {
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
        Entry& e = fds_[fd];
        if (e.reader || e.writer || !e.registered) return;
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
        e = Entry{};
    }

  private:
    struct Entry {
        ReadinessWaiter* reader = nullptr;
        ReadinessWaiter* writer = nullptr;
        bool registered = false;
        bool readable = false;  // an edge came with no reader waiting
        bool writable = false;
        bool hangup = false;  // the last read edge said hang-up or error
    };
    // The fd is ready: the waiter retries (and stays while its call would still block).
    void notify(ReadinessWaiter*& slot) noexcept {
        if (slot->on_ready(slot, false)) {
            slot = nullptr;
            --waiting_;
        }
    }
    // The fd is going away: the waiter is told once and dropped whatever it says.
    void release(ReadinessWaiter*& slot) noexcept {
        ReadinessWaiter* w = std::exchange(slot, nullptr);
        --waiting_;
        w->on_ready(w, true);
    }

    int epfd_ = -1;
    int wakefd_ = -1;
    bool have_pwait2_ = true;
    std::size_t waiting_ = 0;
    std::vector<Entry> fds_;
    std::vector<std::pair<int, Interest>> due_;
    std::vector<std::pair<int, Interest>> retrying_;
};

}  // namespace

std::unique_ptr<Backend> make_epoll_backend() {
    return std::make_unique<EpollBackend>();
}

}  // namespace aio::detail
