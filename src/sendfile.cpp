#include "aio/sendfile.hpp"

#include <algorithm>
#include <cerrno>
#include <exception>
#include <memory>
#include <string>
#include <system_error>

#include "aio/errors.hpp"
#include "aio/locks.hpp"
#include "backend/sys.hpp"
#include "stream_transport.hpp"

namespace aio {
namespace {

[[noreturn]] void throw_errno(long err, const char* what) {
    throw std::system_error(static_cast<int>(-err), std::generic_category(), what);
}

// The most one sendfile(2) moves (Linux's limit), and the fallback's read size.
constexpr std::size_t kMaxSendfile = 0x7ffff000;
constexpr std::size_t kFallbackChunk = 256 * 1024;

// Without sendfile(2): read a piece, send all of it, waiting for room.
Task<> send_all(int out_fd, bool socket, const char* data, std::size_t n) {
    while (n > 0) {
        const long sent = detail::sys::transmit(out_fd, socket, data, n);
        if (sent == -EAGAIN) {
            co_await wait_writable(out_fd);
            continue;
        }
        if (sent < 0) throw_errno(sent, "send");
        data += sent;
        n -= static_cast<std::size_t>(sent);
    }
}

Task<std::size_t> send_file_on(int out_fd, bool socket, int file_fd, std::uint64_t offset,
                               std::optional<std::size_t> count, bool fallback) {
    const std::size_t want = count ? *count : SIZE_MAX;
    std::size_t total = 0;
    bool native = true;
    std::string chunk;
    while (total < want) {
        const std::size_t piece = std::min(want - total, kMaxSendfile);
        if (native) {
            const long n = detail::sys::send_file(out_fd, file_fd, offset + total, piece);
            if (n == -EAGAIN) {
                co_await wait_writable(out_fd);
                continue;
            }
            if ((n == -EINVAL || n == -ENOSYS) && total == 0 && fallback) {
                native = false;  // not a file sendfile(2) reads: read and send it instead
                continue;
            }
            if (n < 0) throw_errno(n, "sendfile");
            if (n == 0) break;  // the end of the file
            total += static_cast<std::size_t>(n);
            continue;
        }
        chunk.resize(std::min(piece, kFallbackChunk));
        const long n = detail::sys::read_at(file_fd, chunk.data(), chunk.size(), offset + total);
        if (n < 0) throw_errno(n, "read");
        if (n == 0) break;
        co_await send_all(out_fd, socket, chunk.data(), static_cast<std::size_t>(n));
        total += static_cast<std::size_t>(n);
    }
    if (total > 0 || offset > 0) {
        const long r = detail::sys::seek_to(file_fd, offset + total);
        if (r < 0) throw_errno(r, "lseek");
    }
    co_return total;
}

}  // namespace

Task<std::size_t> sock_sendfile(Socket& sock, int file_fd, std::uint64_t offset,
                                std::optional<std::size_t> count, bool fallback) {
    return send_file_on(sock.fileno(), true, file_fd, offset, count, fallback);
}

Task<std::size_t> sendfile(Transport& transport, int file_fd, std::uint64_t offset,
                           std::optional<std::size_t> count, bool fallback) {
    auto* found = dynamic_cast<detail::StreamTransport*>(&transport);
    if (!found) throw RuntimeError("sendfile: not a transport of a socket or pipe");
    if (found->kind() == detail::StreamTransport::Kind::read_pipe)
        throw RuntimeError("sendfile: a read pipe's transport cannot write");
    if (transport.is_closing()) throw RuntimeError("sendfile: the transport is closing");
    // Held until the end: the connection may be lost (and let go by the loop) meanwhile.
    const std::shared_ptr<detail::StreamTransport> t = found->hold();
    Event flushed;
    t->begin_sendfile(flushed);
    std::exception_ptr error;
    std::size_t sent = 0;
    try {
        co_await flushed.wait();
        if (t->is_lost())
            throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
        const bool socket = t->kind() == detail::StreamTransport::Kind::socket;
        sent = co_await send_file_on(t->fileno(), socket, file_fd, offset, count, fallback);
    } catch (...) {
        error = std::current_exception();
    }
    t->end_sendfile();
    if (error) std::rethrow_exception(error);
    co_return sent;
}

}  // namespace aio
