// Sockets at the level of asyncio's loop.sock_* functions: an owned non-blocking Socket, numeric
// socket addresses, and coroutines that try the system call first and wait for readiness only
// when it would block. wait_readable()/wait_writable() let a foreign library's fd (libpq, c-ares,
// libcurl) be driven by the loop. Errors are std::system_error with the errno; sends never raise
// SIGPIPE. Streams, servers and DNS build on this (network issue).
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "aio/detail/fd_waiter.hpp"
#include "aio/task.hpp"

namespace aio {

// An IPv4, IPv6 or Unix-domain socket address.
class SocketAddress {
  public:
    SocketAddress() = default;
    // A numeric host ("127.0.0.1", "::1") and port; std::invalid_argument for anything else
    // (host names are resolved by aio::getaddrinfo).
    static SocketAddress parse(const std::string& host, std::uint16_t port);
    // A Unix-domain socket's path (a leading '\0': Linux's abstract namespace);
    // std::invalid_argument if it does not fit sun_path.
    static SocketAddress from_path(const std::string& path);

    int family() const noexcept;
    // The numeric host, or a Unix socket's path.
    std::string host() const;
    std::uint16_t port() const noexcept;  // 0 for Unix sockets
    // "127.0.0.1:8888", "[::1]:8888", "/run/app.sock"
    std::string to_string() const;

    const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* data() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return size_; }
    socklen_t* size_ptr() noexcept { return &size_; }

  private:
    sockaddr_storage storage_{};
    socklen_t size_ = sizeof(sockaddr_storage);
};

// An owned socket, non-blocking and close-on-exec (Python: socket.socket + setblocking(False)).
class Socket {
  public:
    Socket() = default;
    // Adopts fd, which must be non-blocking.
    explicit Socket(int fd) noexcept : fd_(fd) {}
    // socket(2), non-blocking and close-on-exec; std::system_error on failure.
    static Socket create(int family, int type = SOCK_STREAM, int protocol = 0);
    Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Socket& operator=(Socket&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Socket() { close(); }

    int fileno() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // Closes the fd, dropping the running loop's registration of it first.
    void close() noexcept;
    // Gives up ownership.
    int release() noexcept { return std::exchange(fd_, -1); }

    void bind(const SocketAddress& address);
    void listen(int backlog = 100);
    void set_option(int level, int name, int value);
    int get_option(int level, int name) const;  // an int-valued option
    void shutdown(int how);
    SocketAddress getsockname() const;
    SocketAddress getpeername() const;

  private:
    int fd_ = -1;
};

// loop.sock_recv_into: at most buffer.size() bytes; 0 at end of stream.
Task<std::size_t> sock_recv_into(Socket& sock, std::span<std::byte> buffer);
// loop.sock_recv: at most max_bytes; empty at end of stream.
Task<std::string> sock_recv(Socket& sock, std::size_t max_bytes);
// loop.sock_sendall: all of data, waiting for room as needed.
Task<> sock_sendall(Socket& sock, std::string_view data);
// loop.sock_accept: the connection and the peer's address.
Task<std::pair<Socket, SocketAddress>> sock_accept(Socket& listener);
// loop.sock_connect.
Task<> sock_connect(Socket& sock, const SocketAddress& address);
// loop.sock_sendto (3.11): one datagram; the bytes sent.
Task<std::size_t> sock_sendto(Socket& sock, std::string_view data, const SocketAddress& to);
// loop.sock_recvfrom (3.11): one datagram (cut to max_bytes) and its sender.
Task<std::pair<std::string, SocketAddress>> sock_recvfrom(Socket& sock, std::size_t max_bytes);
// loop.sock_recvfrom_into: the bytes written to buffer and the sender.
Task<std::pair<std::size_t, SocketAddress>> sock_recvfrom_into(Socket& sock,
                                                               std::span<std::byte> buffer);

// Wait until fd is readable / writable (it may already be; the wait still yields to the loop
// once). One task per fd and direction at a time.
inline detail::FdWaiter wait_readable(int fd) noexcept {
    return detail::FdWaiter(fd, detail::FdWaiter::Interest::read, true);
}
inline detail::FdWaiter wait_writable(int fd) noexcept {
    return detail::FdWaiter(fd, detail::FdWaiter::Interest::write, true);
}

}  // namespace aio
