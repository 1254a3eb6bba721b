#include "aio/sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "aio/detail/task_base.hpp"

namespace aio {

namespace {
[[noreturn]] void throw_errno(int err, const char* what) {
    throw std::system_error(err, std::generic_category(), what);
}
bool would_block(int err) noexcept {
    return err == EAGAIN || err == EWOULDBLOCK;
}

// Waits after a call returned EAGAIN: the fd is known not to be ready, so no look first.
Task<> wait_for(const Socket& sock, detail::FdWaiter::Interest interest) {
    detail::FdWaiter w(sock.fileno(), interest, false);
    co_await w;
}
constexpr auto kRead = detail::FdWaiter::Interest::read;
constexpr auto kWrite = detail::FdWaiter::Interest::write;
}  // namespace

// ---- FdWaiter ----

namespace detail {

FdWaiter::~FdWaiter() {
    if (watching_) task_->loop().unwatch_fd(*this);
}

void FdWaiter::await_suspend(std::coroutine_handle<> h) {
    task_ = &current_task_for_await();
    if (check_first_) {
        pollfd p{fd_, static_cast<short>(interest_ == Interest::read ? POLLIN : POLLOUT), 0};
        if (::poll(&p, 1, 0) > 0) {  // ready already: just yield once
            task_->suspend(h, nullptr);
            task_->wake();
            return;
        }
    }
    task_->loop().watch_fd(*this);
    watching_ = true;
    task_->suspend(h, this);
}

void FdWaiter::await_resume() {
    if (!task_) return;
    if (cancelled_) task_->throw_cancelled();
    task_->throw_if_cancel_pending();
}

void FdWaiter::ready() noexcept {
    watching_ = false;
    task_->wake();
}

bool FdWaiter::cancel_wait(Suspension* s, TaskBase&) noexcept {
    auto* self = static_cast<FdWaiter*>(s);
    if (!self->watching_) return false;
    self->task_->loop().unwatch_fd(*self);
    self->watching_ = false;
    self->cancelled_ = true;
    self->task_->wake();
    return true;
}

}  // namespace detail

// ---- SocketAddress ----

SocketAddress SocketAddress::parse(const std::string& host, std::uint16_t port) {
    SocketAddress a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.size_ = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.size_ = sizeof(sockaddr_in6);
    } else {
        throw std::invalid_argument("not a numeric IPv4 or IPv6 address: '" + host + "'");
    }
    return a;
}

int SocketAddress::family() const noexcept {
    return storage_.ss_family;
}

std::string SocketAddress::host() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text,
                    sizeof text);
    else if (family() == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text,
                    sizeof text);
    return text;
}

std::uint16_t SocketAddress::port() const noexcept {
    if (family() == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string SocketAddress::to_string() const {
    // Appends, not operator+ chains: g++ 12 -O3 warns falsely (-Wrestrict) on those.
    std::string out;
    if (family() == AF_INET6) out += '[';
    out += host();
    if (family() == AF_INET6) out += ']';
    out += ':';
    out += std::to_string(port());
    return out;
}

// ---- Socket ----

Socket Socket::create(int family, int type, int protocol) {
    const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw_errno(errno, "socket");
    return Socket(fd);
}

void Socket::close() noexcept {
    if (fd_ < 0) return;
    if (EventLoop* loop = detail::running_loop) loop->forget_fd(fd_);
    ::close(std::exchange(fd_, -1));
}

void Socket::bind(const SocketAddress& address) {
    if (::bind(fd_, address.data(), address.size()) < 0) throw_errno(errno, "bind");
}

void Socket::listen(int backlog) {
    if (::listen(fd_, backlog) < 0) throw_errno(errno, "listen");
}

void Socket::set_option(int level, int name, int value) {
    if (::setsockopt(fd_, level, name, &value, sizeof value) < 0) throw_errno(errno, "setsockopt");
}

void Socket::shutdown(int how) {
    if (::shutdown(fd_, how) < 0) throw_errno(errno, "shutdown");
}

SocketAddress Socket::getsockname() const {
    SocketAddress a;
    if (::getsockname(fd_, a.data(), a.size_ptr()) < 0) throw_errno(errno, "getsockname");
    return a;
}

SocketAddress Socket::getpeername() const {
    SocketAddress a;
    if (::getpeername(fd_, a.data(), a.size_ptr()) < 0) throw_errno(errno, "getpeername");
    return a;
}

// ---- loop.sock_* ----

Task<std::size_t> sock_recv_into(Socket& sock, std::span<std::byte> buffer) {
    while (true) {
        const ssize_t n = ::recv(sock.fileno(), buffer.data(), buffer.size(), 0);
        if (n >= 0) co_return static_cast<std::size_t>(n);
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_errno(err, "recv");
        co_await wait_for(sock, kRead);
    }
}

Task<std::string> sock_recv(Socket& sock, std::size_t max_bytes) {
    std::string data(max_bytes, '\0');
    const std::size_t n = co_await sock_recv_into(sock, std::as_writable_bytes(std::span(data)));
    data.resize(n);
    co_return data;
}

Task<> sock_sendall(Socket& sock, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(sock.fileno(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        const int err = errno;
        if (err == EINTR) continue;
        if (!would_block(err)) throw_errno(err, "send");
        co_await wait_for(sock, kWrite);
    }
}

Task<std::pair<Socket, SocketAddress>> sock_accept(Socket& listener) {
    while (true) {
        SocketAddress peer;
        const int fd = ::accept4(listener.fileno(), peer.data(), peer.size_ptr(),
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) co_return std::pair<Socket, SocketAddress>(Socket(fd), peer);
        const int err = errno;
        if (err == EINTR || err == ECONNABORTED) continue;
        if (!would_block(err)) throw_errno(err, "accept");
        co_await wait_for(listener, kRead);
    }
}

Task<> sock_connect(Socket& sock, const SocketAddress& address) {
    if (::connect(sock.fileno(), address.data(), address.size()) == 0) co_return;
    int err = errno;
    if (err != EINPROGRESS && err != EINTR) throw_errno(err, "connect");
    co_await wait_for(sock, kWrite);
    socklen_t len = sizeof err;
    if (::getsockopt(sock.fileno(), SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        throw_errno(errno, "getsockopt");
    if (err != 0) throw_errno(err, "connect");
}

}  // namespace aio
