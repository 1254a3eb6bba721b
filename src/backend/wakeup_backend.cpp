// The first backend: no I/O yet, only waiting for the next timer and being woken from another
// thread, through an eventfd and ppoll (nanosecond timeouts, unlike epoll_wait's milliseconds).
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "backend/backend.hpp"

namespace aio::detail {
namespace {

class WakeupBackend final : public Backend {
  public:
    WakeupBackend() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    }
    ~WakeupBackend() override { ::close(fd_); }

    const char* name() const noexcept override { return "poll"; }

    void wait(Duration timeout) override {
        pollfd p{fd_, POLLIN, 0};
        timespec ts{};
        timespec* tsp = nullptr;
        if (timeout != Duration::max()) {
            auto ns = timeout.count() < 0 ? 0 : timeout.count();
            ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
            ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
            tsp = &ts;
        }
        int n = ::ppoll(&p, 1, tsp, nullptr);
        if (n < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "ppoll");
        if (n > 0) {
            std::uint64_t count;
            [[maybe_unused]] auto r = ::read(fd_, &count, sizeof count);
        }
    }

    void wakeup() noexcept override {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(fd_, &one, sizeof one);
    }

    bool has_pending_io() const noexcept override { return false; }

  private:
    int fd_;
};

}  // namespace

std::unique_ptr<Backend> make_backend(EventLoop&) {
    return std::make_unique<WakeupBackend>();
}

}  // namespace aio::detail
