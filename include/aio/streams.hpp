// Streams (asyncio.streams): StreamReader / StreamWriter over a connected socket,
// open_connection() and start_server(). The reader pulls from the socket when its buffer cannot
// answer (so reading is its own back-pressure); the writer sends at once what the socket takes
// and flushes the rest in the background, and drain() waits while more than the high-water
// mark is buffered. asyncio's 64 KiB limit, LimitOverrunError and IncompleteReadError apply.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aio/detail/io_op.hpp"
#include "aio/locks.hpp"
#include "aio/sockets.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"

namespace aio {

inline constexpr std::size_t kDefaultStreamLimit = 64 * 1024;  // asyncio's _DEFAULT_LIMIT

// asyncio.IncompleteReadError: EOF came before the expected bytes; partial holds what came.
class IncompleteReadError : public std::runtime_error {
  public:
    IncompleteReadError(std::string partial, std::optional<std::size_t> expected);
    const std::string& partial() const noexcept { return partial_; }
    std::optional<std::size_t> expected() const noexcept { return expected_; }

  private:
    std::string partial_;
    std::optional<std::size_t> expected_;
};

// asyncio.LimitOverrunError: the separator was not found within the limit. consumed: how many
// bytes of the buffer are to be skipped to get past the overrun.
class LimitOverrunError : public std::runtime_error {
  public:
    LimitOverrunError(const std::string& message, std::size_t consumed)
        : std::runtime_error(message), consumed_(consumed) {}
    std::size_t consumed() const noexcept { return consumed_; }

  private:
    std::size_t consumed_;
};

namespace detail {
struct StreamCore;
}

class StreamReader {
  public:
    // A reader with no socket, fed by feed_data()/feed_eof() (as asyncio allows).
    explicit StreamReader(std::size_t limit = kDefaultStreamLimit);
    explicit StreamReader(std::shared_ptr<detail::StreamCore> core) noexcept
        : core_(std::move(core)) {}

    // read(n): up to n bytes (at least one, unless at EOF); read() (n < 0): everything to EOF.
    // (Without a coroutine frame for read(n) on a socket, the echo server's hot path.)
    class ReadAwaiter;
    ReadAwaiter read(long n = -1) noexcept;
    // A line including "\n"; at EOF the partial last line (or ""). LimitOverrunError if the
    // line exceeds the limit (asyncio raises ValueError there; the overrun data is discarded).
    Task<std::string> readline();
    // Exactly n bytes, or IncompleteReadError at EOF.
    Task<std::string> readexactly(std::size_t n);
    // Up to and including `separator` ("\n" by default); IncompleteReadError at EOF,
    // LimitOverrunError past the limit (the data stays in the buffer). (Overloads, not a
    // defaulted std::string: g++ 12 miscompiles those inside co_await expressions.)
    Task<std::string> readuntil();
    Task<std::string> readuntil(std::string separator);
    bool at_eof() const noexcept;

    void feed_data(std::string_view data);
    void feed_eof() noexcept;
    std::size_t limit() const noexcept;
    const std::shared_ptr<detail::StreamCore>& core() const noexcept { return core_; }

  private:
    Task<> fill();
    Task<std::string> read_slow(long n);
    std::shared_ptr<detail::StreamCore> core_;
};

class StreamReader::ReadAwaiter {
  public:
    ReadAwaiter(StreamReader& r, long n) noexcept : r_(r), n_(n) {}
    bool await_ready();
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h);
    std::string await_resume();
    // For create_task(reader.read(n)) and gather().
    Task<std::string> as_task() && { return r_.read_slow(n_); }

  private:
    StreamReader& r_;
    long n_;
    bool slow_path_ = false;
    std::optional<detail::IoOp> op_;  // the recv, when the buffer is empty
    Task<std::string> slow_;
};

inline StreamReader::ReadAwaiter StreamReader::read(long n) noexcept {
    return ReadAwaiter(*this, n);
}

class StreamWriter {
  public:
    explicit StreamWriter(std::shared_ptr<detail::StreamCore> core) noexcept
        : core_(std::move(core)) {}

    // Sends what the socket takes now and buffers the rest (never blocks). Writing after close()
    // is ignored, as asyncio's transport does; a lost connection is reported by drain().
    void write(std::string_view data);
    template <class Range>
    void writelines(const Range& lines) {
        for (const auto& line : lines)
            write(line);
    }
    // Waits while more than the high-water mark (64 KiB) is buffered, until at most the
    // low-water mark (16 KiB) is; rethrows a connection error. (Without a coroutine frame when
    // there is nothing to wait for, the usual case.)
    class DrainAwaiter;
    DrainAwaiter drain() noexcept;
    // Half-closes the sending side once the buffer is flushed.
    void write_eof();
    bool can_write_eof() const noexcept { return true; }
    // Closes after flushing what is buffered.
    void close();
    bool is_closing() const noexcept;
    Task<> wait_closed();
    // "peername" / "sockname"; nullopt for other names.
    std::optional<SocketAddress> get_extra_info(std::string_view name) const;
    // Water marks for drain() (asyncio: transport.set_write_buffer_limits).
    void set_write_buffer_limits(std::size_t high, std::size_t low);
    std::size_t get_write_buffer_size() const noexcept;

  private:
    bool must_wait() const noexcept;  // over the high-water mark, with no error
    void rethrow_error() const;
    Task<> drain_slow();
    std::shared_ptr<detail::StreamCore> core_;
};

class StreamWriter::DrainAwaiter {
  public:
    explicit DrainAwaiter(StreamWriter& w) noexcept : w_(w) {}
    bool await_ready() const noexcept { return !w_.must_wait(); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
        slow_ = w_.drain_slow();
        return slow_.operator co_await().await_suspend(h);
    }
    void await_resume() {
        if (slow_.valid())
            slow_.operator co_await().await_resume();
        else
            w_.rethrow_error();
    }
    // For create_task(writer.drain()) and gather().
    Task<> as_task() && { return w_.drain_slow(); }

  private:
    StreamWriter& w_;
    Task<> slow_;
};

inline StreamWriter::DrainAwaiter StreamWriter::drain() noexcept {
    return DrainAwaiter(*this);
}

// asyncio.open_connection: resolves host (aio::getaddrinfo, without blocking the loop) and
// connects to each address in turn until one answers. std::system_error (e.g. ECONNREFUSED) if
// none does, GaiError if the name does not resolve.
Task<std::pair<StreamReader, StreamWriter>> open_connection(
    std::string host, std::uint16_t port, std::size_t limit = kDefaultStreamLimit);
namespace detail {
// Streams over one end of a pipe (adopted: non-blocking, close-on-exec); for subprocesses.
StreamReader pipe_reader(int fd, std::size_t limit = kDefaultStreamLimit);
StreamWriter pipe_writer(int fd);
// open_connection's second half: each address in turn.
Task<std::pair<StreamReader, StreamWriter>> connect_any(std::vector<SocketAddress> addresses,
                                                        std::size_t limit);
}  // namespace detail
// asyncio.open_unix_connection.
Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(
    std::string path, std::size_t limit = kDefaultStreamLimit);

// asyncio.Server: from start_server().
class Server {
  public:
    using Handler = std::function<Task<>(StreamReader, StreamWriter)>;
    struct State;
    explicit Server(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}

    // Serves until cancelled (closing the server then).
    Task<> serve_forever();
    // Stops listening; connections already accepted go on.
    void close();
    // 3.13: closes every client connection too.
    void close_clients();
    // Waits until the server is closed and every connection handler has finished.
    Task<> wait_closed();
    bool is_serving() const noexcept;
    // The listening sockets' addresses.
    std::vector<SocketAddress> sockets() const;

  private:
    std::shared_ptr<State> state_;
};

struct ServerOptions {
    int backlog = 100;
    bool reuse_port = false;
    std::size_t limit = kDefaultStreamLimit;
};

// asyncio.start_server: listens on every address host resolves to ("": all interfaces; port
// 0: any free port) and runs handler(reader, writer) as a task for each connection. The
// handler takes its arguments by value.
Task<Server> start_server(Server::Handler handler, std::string host, std::uint16_t port);
Task<Server> start_server(Server::Handler handler, std::string host, std::uint16_t port,
                          ServerOptions options);
// asyncio.start_unix_server: a stale socket file at path is replaced; the file is removed when
// the server closes (asyncio 3.13's cleanup_socket).
Task<Server> start_unix_server(Server::Handler handler, std::string path);
Task<Server> start_unix_server(Server::Handler handler, std::string path, ServerOptions options);

}  // namespace aio
