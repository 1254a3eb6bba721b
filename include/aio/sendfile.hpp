// Sending a file without copying it through the program (asyncio's loop.sock_sendfile and
// loop.sendfile): the kernel moves the bytes from the file to the socket (sendfile(2)), waiting
// for room in the socket on the loop, never blocking it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "aio/sockets.hpp"
#include "aio/task.hpp"
#include "aio/transports.hpp"

namespace aio {

// loop.sock_sendfile(sock, file, offset, count): `count` bytes of the open file `file_fd` from
// `offset` (all to its end: nullopt), sent on sock; the bytes sent (fewer if the file ends
// first). The file's position is left just after them, as asyncio leaves it. fallback: where the
// kernel cannot (a file that is not a regular one), the bytes are read and sent instead;
// without it, std::system_error (EINVAL).
Task<std::size_t> sock_sendfile(Socket& sock, int file_fd, std::uint64_t offset = 0,
                                std::optional<std::size_t> count = std::nullopt,
                                bool fallback = true);

// loop.sendfile(transport, file, offset, count): the same on a transport's socket or pipe, once
// its write buffer has been flushed; write() in the meantime is RuntimeError. RuntimeError for a
// transport aio did not make, or one that cannot write; ConnectionResetError-like
// std::system_error (ECONNRESET) if the connection is lost first.
Task<std::size_t> sendfile(Transport& transport, int file_fd, std::uint64_t offset = 0,
                           std::optional<std::size_t> count = std::nullopt, bool fallback = true);

}  // namespace aio
