#include "aio/sockets.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "aio/detail/io_op.hpp"
#include "aio/detail/task_base.hpp"
#include "backend/sys.hpp"

namespace aio {

namespace {
[[noreturn]] void throw_errno(int err, const char* what) {
    throw std::system_error(err, std::generic_category(), what);
}
using Op = detail::IoOp::Kind;
}  // namespace

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

SocketAddress SocketAddress::from_path(const std::string& path) {
    SocketAddress a;
    auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
    const bool abstract = !path.empty() && path[0] == '\0';
    if (path.empty() || path.size() + (abstract ? 0 : 1) > sizeof un->sun_path)
        throw std::invalid_argument("not a usable Unix socket path: '" + path + "'");
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + !abstract);
    return a;
}

int SocketAddress::family() const noexcept {
    return storage_.ss_family;
}

std::string SocketAddress::host() const {
    if (family() == AF_UNIX) {
        const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
        const std::size_t header = offsetof(sockaddr_un, sun_path);
        if (size_ <= header) return {};  // unnamed (a client's end)
        std::string path(un->sun_path, size_ - header);
        if (path[0] != '\0') path.resize(std::strlen(path.c_str()));
        return path;
    }
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
    if (family() == AF_UNIX) return host();
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
    const int fd = detail::sys::open_socket(family, type, protocol);
    if (fd < 0) throw_errno(-fd, "socket");
    return Socket(fd);
}

void Socket::close() noexcept {
    if (fd_ < 0) return;
    if (EventLoop* loop = detail::running_loop) loop->forget_fd(fd_);
    detail::sys::close_fd(std::exchange(fd_, -1));
}

void Socket::bind(const SocketAddress& address) {
    if (const int r = detail::sys::bind_to(fd_, address.data(), address.size()); r < 0)
        throw_errno(-r, "bind");
}

void Socket::listen(int backlog) {
    if (const int r = detail::sys::listen_on(fd_, backlog); r < 0) throw_errno(-r, "listen");
}

void Socket::set_option(int level, int name, int value) {
    if (const int r = detail::sys::set_option(fd_, level, name, value); r < 0)
        throw_errno(-r, "setsockopt");
}

int Socket::get_option(int level, int name) const {
    int value = 0;
    if (const int r = detail::sys::get_option(fd_, level, name, &value); r < 0)
        throw_errno(-r, "getsockopt");
    return value;
}

void Socket::shutdown(int how) {
    if (const int r = detail::sys::shutdown_socket(fd_, how); r < 0) throw_errno(-r, "shutdown");
}

SocketAddress Socket::getsockname() const {
    SocketAddress a;
    if (const int r = detail::sys::local_address(fd_, a.data(), a.size_ptr()); r < 0)
        throw_errno(-r, "getsockname");
    return a;
}

SocketAddress Socket::getpeername() const {
    SocketAddress a;
    if (const int r = detail::sys::peer_address(fd_, a.data(), a.size_ptr()); r < 0)
        throw_errno(-r, "getpeername");
    return a;
}

// ---- loop.sock_* ----

Task<std::size_t> sock_recv_into(Socket& sock, std::span<std::byte> buffer) {
    detail::IoOp op(Op::recv, sock.fileno(), buffer.data(), buffer.size());
    const long n = co_await op;
    if (n < 0) throw_errno(static_cast<int>(-n), "recv");
    co_return static_cast<std::size_t>(n);
}

Task<std::string> sock_recv(Socket& sock, std::size_t max_bytes) {
    std::string data(max_bytes, '\0');
    const std::size_t n = co_await sock_recv_into(sock, std::as_writable_bytes(std::span(data)));
    data.resize(n);
    co_return data;
}

Task<> sock_sendall(Socket& sock, std::string_view data) {
    while (!data.empty()) {
        detail::IoOp op(Op::send, sock.fileno(), const_cast<char*>(data.data()), data.size());
        const long n = co_await op;
        if (n < 0) throw_errno(static_cast<int>(-n), "send");
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

Task<std::pair<Socket, SocketAddress>> sock_accept(Socket& listener) {
    while (true) {
        SocketAddress peer;
        detail::IoOp op(Op::accept, listener.fileno(), nullptr, 0, peer.data(), peer.size_ptr());
        const long fd = co_await op;
        if (fd >= 0) co_return std::pair<Socket, SocketAddress>(Socket(static_cast<int>(fd)), peer);
        if (fd == -ECONNABORTED) continue;  // the peer gave up while queued: take the next one
        throw_errno(static_cast<int>(-fd), "accept");
    }
}

Task<> sock_connect(Socket& sock, const SocketAddress& address) {
    SocketAddress to = address;
    detail::IoOp op(Op::connect, sock.fileno(), nullptr, 0, to.data(), to.size_ptr());
    const long r = co_await op;
    if (r < 0) throw_errno(static_cast<int>(-r), "connect");
}

namespace {
// A one-buffer message to or from `address` (which must outlive it, as must iov).
msghdr one_buffer_message(SocketAddress& address, iovec& iov) noexcept {
    msghdr msg{};
    msg.msg_name = address.data();
    msg.msg_namelen = address.size();
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    return msg;
}
}  // namespace

Task<std::size_t> sock_sendto(Socket& sock, std::string_view data, const SocketAddress& to) {
    SocketAddress address = to;
    iovec iov{const_cast<char*>(data.data()), data.size()};
    msghdr msg = one_buffer_message(address, iov);
    detail::IoOp op(Op::sendmsg, sock.fileno(), &msg, 0);
    const long n = co_await op;
    if (n < 0) throw_errno(static_cast<int>(-n), "sendto");
    co_return static_cast<std::size_t>(n);
}

Task<std::pair<std::size_t, SocketAddress>> sock_recvfrom_into(Socket& sock,
                                                               std::span<std::byte> buffer) {
    SocketAddress from;
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg = one_buffer_message(from, iov);
    detail::IoOp op(Op::recvmsg, sock.fileno(), &msg, 0);
    const long n = co_await op;
    if (n < 0) throw_errno(static_cast<int>(-n), "recvfrom");
    *from.size_ptr() = msg.msg_namelen;
    co_return std::pair(static_cast<std::size_t>(n), from);
}

Task<std::pair<std::string, SocketAddress>> sock_recvfrom(Socket& sock, std::size_t max_bytes) {
    std::string data(max_bytes, '\0');
    auto [n, from] = co_await sock_recvfrom_into(sock, std::as_writable_bytes(std::span(data)));
    data.resize(n);
    co_return std::pair(std::move(data), from);
}

}  // namespace aio
