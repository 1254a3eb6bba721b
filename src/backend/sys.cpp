#include "backend/sys.hpp"

#include "backend/fault_injection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace aio::detail::sys {
namespace {
long result(long r) noexcept {
    if (r >= 0) return r;
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}
}  // namespace

using faults::Fault;

long receive(int fd, bool socket, void* buf, std::size_t len) noexcept {
    if (socket && faults::hit(Fault::reset_on_read)) return -ECONNRESET;
    long r;
    do
        r = socket ? ::recv(fd, buf, len, 0) : ::read(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long transmit(int fd, bool socket, const void* buf, std::size_t len) noexcept {
    if (socket && faults::hit(Fault::reset_on_write)) return -EPIPE;
    long r;
    // (A pipe whose reader is gone gives EPIPE: SIGPIPE is ignored while a loop exists.)
    do
        r = socket ? ::send(fd, buf, len, MSG_NOSIGNAL) : ::write(fd, buf, len);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long receive_two(int fd, std::span<char> first, std::span<char> second) noexcept {
    if (faults::hit(Fault::reset_on_read)) return -ECONNRESET;
    iovec parts[2] = {{first.data(), first.size()}, {second.data(), second.size()}};
    long r;
    do
        r = ::readv(fd, parts, 2);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long accept_connection(int fd, sockaddr* addr, socklen_t* addr_len) noexcept {
    if (faults::hit(Fault::out_of_fds_on_accept)) return -EMFILE;
    long r;
    do
        r = ::accept4(fd, addr, addr_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long receive_message(int fd, msghdr* msg) noexcept {
    long r;
    do
        r = ::recvmsg(fd, msg, 0);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long send_message(int fd, const msghdr* msg) noexcept {
    long r;
    do
        r = ::sendmsg(fd, msg, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    return result(r);
}

long start_connect(int fd, const sockaddr* addr, socklen_t len) noexcept {
    if (::connect(fd, addr, len) == 0) return 0;
    // In progress (EINTR too: the connection goes on): wait for writability.
    if (errno == EINPROGRESS || errno == EINTR || errno == EAGAIN) return -EAGAIN;
    return -errno;
}

long connect_result(int fd) noexcept {
    int err = 0;
    socklen_t n = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n) < 0) return -errno;
    return -err;
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

bool ready_now(int fd, bool for_writing) noexcept {
    pollfd p{fd, static_cast<short>(for_writing ? POLLOUT : POLLIN), 0};
    return ::poll(&p, 1, 0) > 0;
}

int adopt_fd(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}

int socket_family(int fd) noexcept {
    int family = AF_UNSPEC;
    socklen_t len = sizeof family;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0) return AF_UNSPEC;
    return family;
}

void remove_socket_file(const char* path) noexcept {
    struct stat st {};
    if (path[0] != '\0' && ::stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path);
}

int shutdown_socket(int fd, int how) noexcept {
    return ::shutdown(fd, how) < 0 ? -errno : 0;
}

// ---- descriptors ----

int close_fd(int fd) noexcept {
    return ::close(fd) < 0 && errno != EINTR ? -errno : 0;
}

int duplicate_fd(int fd) noexcept {
    return static_cast<int>(result(::fcntl(fd, F_DUPFD_CLOEXEC, 0)));
}

int make_pipe(int fds[2], int flags) noexcept {
    return ::pipe2(fds, flags) < 0 ? -errno : 0;
}

// ---- sockets ----

int open_socket(int family, int type, int protocol) noexcept {
    return static_cast<int>(
        result(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)));
}

int bind_to(int fd, const sockaddr* addr, socklen_t len) noexcept {
    return ::bind(fd, addr, len) < 0 ? -errno : 0;
}

int listen_on(int fd, int backlog) noexcept {
    return ::listen(fd, backlog) < 0 ? -errno : 0;
}

int set_option(int fd, int level, int name, int value) noexcept {
    return ::setsockopt(fd, level, name, &value, sizeof value) < 0 ? -errno : 0;
}

int get_option(int fd, int level, int name, int* value) noexcept {
    socklen_t len = sizeof *value;
    return ::getsockopt(fd, level, name, value, &len) < 0 ? -errno : 0;
}

int local_address(int fd, sockaddr* addr, socklen_t* len) noexcept {
    return ::getsockname(fd, addr, len) < 0 ? -errno : 0;
}

int peer_address(int fd, sockaddr* addr, socklen_t* len) noexcept {
    return ::getpeername(fd, addr, len) < 0 ? -errno : 0;
}

// ---- files ----

long read_file(int fd, void* buf, std::size_t len, long long offset) noexcept {
    long r;
    do
        r = offset < 0 ? ::read(fd, buf, len) : ::pread(fd, buf, len, offset);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

long write_file(int fd, const void* buf, std::size_t len, long long offset) noexcept {
    long r;
    do
        r = offset < 0 ? ::write(fd, buf, len) : ::pwrite(fd, buf, len, offset);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int open_file(const char* path, int flags, mode_t mode) noexcept {
    int r;
    do
        r = ::open(path, flags, mode);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : r;
}

int file_status(int dir_fd, const char* path, int flags, struct statx* out) noexcept {
    int r;
    do
        r = ::statx(dir_fd, path, flags, STATX_BASIC_STATS, out);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

int sync_file(int fd) noexcept {
    int r;
    do
        r = ::fsync(fd);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

}  // namespace aio::detail::sys
