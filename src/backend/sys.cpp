#include "backend/sys.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <mutex>

namespace aio::detail::sys {
namespace {
long result(long r) noexcept {
    if (r >= 0) return r;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}
}  // namespace

long receive(int fd, bool socket, void* buf, std::size_t len) noexcept {
    long r;
    do
        r = socket ? ::recv(fd, buf, len, 0) : ::read(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long transmit(int fd, bool socket, const void* buf, std::size_t len) noexcept {
    long r;
    // (A pipe whose reader is gone gives EPIPE: SIGPIPE is ignored while a loop exists.)
    do
        r = socket ? ::send(fd, buf, len, MSG_NOSIGNAL) : ::write(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long receive_from(int fd, void* buf, std::size_t len, sockaddr* from,
                  socklen_t* from_len) noexcept {
    long r;
    do
        r = ::recvfrom(fd, buf, len, 0, from, from_len);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long send_to(int fd, const void* buf, std::size_t len, const sockaddr* to,
             socklen_t to_len) noexcept {
    long r;
    do
        r = ::sendto(fd, buf, len, MSG_NOSIGNAL, to, to ? to_len : 0);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long send_file(int out_fd, int in_fd, std::uint64_t offset, std::size_t count) noexcept {
    long r;
    do {
        off_t off = static_cast<off_t>(offset);
        r = ::sendfile(out_fd, in_fd, &off, count);
    } while (r < 0 && errno == EINTR);
    return result(r);
}

long read_at(int fd, void* buf, std::size_t len, std::uint64_t offset) noexcept {
    long r;
    do
        r = ::pread(fd, buf, len, static_cast<off_t>(offset));
    while (r < 0 && errno == EINTR);
    return result(r);
}

long seek_to(int fd, std::uint64_t offset) noexcept {
    return result(::lseek(fd, static_cast<off_t>(offset), SEEK_SET));
}

void ignore_sigpipe() noexcept {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction old {};
        if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
            ::signal(SIGPIPE, SIG_IGN);
    });
}

int shutdown_write(int fd) noexcept {
    return ::shutdown(fd, SHUT_WR) < 0 ? -errno : 0;
}

}  // namespace aio::detail::sys
