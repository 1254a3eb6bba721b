// The system calls of the readiness path: a transport's on its own fd (recv/send on sockets,
// read/write on pipes, shutdown) and an IoOp's (accept, connect, messages), kept here beside the
// backends: each returns the count or -errno, retries EINTR, reports EWOULDBLOCK as -EAGAIN, and
// never raises SIGPIPE.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace aio::detail::sys {

long receive(int fd, bool socket, void* buf, std::size_t len) noexcept;
long transmit(int fd, bool socket, const void* buf, std::size_t len) noexcept;
// accept4(2), the connection non-blocking and close-on-exec: its fd.
long accept_connection(int fd, sockaddr* addr, socklen_t* addr_len) noexcept;
// recvmsg(2), sendmsg(2).
long receive_message(int fd, msghdr* msg) noexcept;
long send_message(int fd, const msghdr* msg) noexcept;
// connect(2) on a non-blocking socket: 0, -EAGAIN while it is in progress (wait for writability,
// then ask connect_result), or -errno.
long start_connect(int fd, const sockaddr* addr, socklen_t len) noexcept;
// How a connect that was in progress ended (SO_ERROR): 0 or -errno.
long connect_result(int fd) noexcept;
// One datagram: recvfrom(2) (from/from_len may be null) and sendto(2) (to null: send(2)).
long receive_from(int fd, void* buf, std::size_t len, sockaddr* from, socklen_t* from_len) noexcept;
long send_to(int fd, const void* buf, std::size_t len, const sockaddr* to,
             socklen_t to_len) noexcept;
// sendfile(2) of count bytes of in_fd from offset to out_fd; pread(2); lseek(fd, offset, SEEK_SET).
long send_file(int out_fd, int in_fd, std::uint64_t offset, std::size_t count) noexcept;
long read_at(int fd, void* buf, std::size_t len, std::uint64_t offset) noexcept;
long seek_to(int fd, std::uint64_t offset) noexcept;
// Whether fd is readable (or writable) right now: a zero-timeout poll(2).
bool ready_now(int fd, bool for_writing) noexcept;
// Adopting an fd made elsewhere (a pipe): non-blocking and close-on-exec; 0 or -errno.
int adopt_fd(int fd) noexcept;
// A socket's address family (SO_DOMAIN), AF_UNSPEC if it cannot be told.
int socket_family(int fd) noexcept;
// Removes the socket file at path (a Unix server's), if there is one there; anything else at
// path stays.
void remove_socket_file(const char* path) noexcept;
// shutdown(fd, SHUT_WR): 0 or -errno.
int shutdown_write(int fd) noexcept;
// Writing to a pipe whose reader has gone must be an EPIPE error, not the end of the process:
// SIGPIPE is ignored from the first pipe aio writes to on (unless the program set a handler).
void ignore_sigpipe() noexcept;

}  // namespace aio::detail::sys
