// The system calls a readiness-driven transport makes on its own fd (recv/send on sockets,
// read/write on pipes, shutdown), kept here beside the backends: each returns the count or
// -errno, retries EINTR, reports EWOULDBLOCK as -EAGAIN, and never raises SIGPIPE.
#pragma once
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace aio::detail::sys {

long receive(int fd, bool socket, void* buf, std::size_t len) noexcept;
long transmit(int fd, bool socket, const void* buf, std::size_t len) noexcept;
// One datagram: recvfrom(2) (from/from_len may be null) and sendto(2) (to null: send(2)).
long receive_from(int fd, void* buf, std::size_t len, sockaddr* from, socklen_t* from_len) noexcept;
long send_to(int fd, const void* buf, std::size_t len, const sockaddr* to,
             socklen_t to_len) noexcept;
// sendfile(2) of count bytes of in_fd from offset to out_fd; pread(2); lseek(fd, offset, SEEK_SET).
long send_file(int out_fd, int in_fd, std::uint64_t offset, std::size_t count) noexcept;
long read_at(int fd, void* buf, std::size_t len, std::uint64_t offset) noexcept;
long seek_to(int fd, std::uint64_t offset) noexcept;
// shutdown(fd, SHUT_WR): 0 or -errno.
int shutdown_write(int fd) noexcept;
// Writing to a pipe whose reader has gone must be an EPIPE error, not the end of the process:
// SIGPIPE is ignored from the first pipe aio writes to on (unless the program set a handler).
void ignore_sigpipe() noexcept;

}  // namespace aio::detail::sys
