// Streams (asyncio.streams): StreamReader / StreamWriter, open_connection() and start_server().
// As in asyncio, a stream is a protocol on a transport (aio/transports.hpp): the transport reads
// as data arrives into the reader's buffer, which pauses the transport above twice its limit and
// resumes it when reads bring it back under; the writer writes through the transport, and
// drain() waits while the transport's buffer is over its high-water mark. asyncio's 64 KiB
// limit, LimitOverrunError and IncompleteReadError apply; a connection's error (a reset) reaches
// every reader and drain() as the std::system_error it was.
#pragma once
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aio/connections.hpp"
#include "aio/detail/one_waiter.hpp"
#include "aio/generators.hpp"
#include "aio/servers.hpp"
#include "aio/sockets.hpp"
#include "aio/task.hpp"
#include "aio/tasks.hpp"
#include "aio/transports.hpp"

namespace aio {

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
    // A reader with no transport, fed by feed_data()/feed_eof() (as asyncio allows).
    explicit StreamReader(std::size_t limit = kDefaultStreamLimit);
    explicit StreamReader(std::shared_ptr<detail::StreamCore> core) noexcept
        : core_(std::move(core)) {}

    // read(n): up to n bytes, as many as are buffered (waiting for some when none are; "" at
    // EOF); read() (n < 0): everything to EOF. (read(n) has no coroutine frame of its own.)
    class ReadAwaiter;
    ReadAwaiter read(long n = -1) noexcept;
    // Up to buffer.size() bytes into the caller's memory, without allocating; 0 at EOF.
    Task<std::size_t> read_into(std::span<char> buffer);
    // A line including "\n"; at EOF the partial last line (or ""). LimitOverrunError if the
    // line exceeds the limit (asyncio raises ValueError there; the overrun data is discarded).
    Task<std::string> readline();
    // Exactly n bytes, or IncompleteReadError at EOF.
    Task<std::string> readexactly(std::size_t n);
    // Up to and including `separator` ("\n" by default), or the first of several (3.13: the
    // one that ends soonest); IncompleteReadError at EOF, LimitOverrunError past the limit (the
    // data stays in the buffer). (Overloads, not a defaulted std::string: g++ 12 miscompiles
    // those inside co_await expressions.)
    Task<std::string> readuntil();
    Task<std::string> readuntil(std::string separator);
    Task<std::string> readuntil(std::vector<std::string> separators);
    // `async for line in reader`: each line (as readline() gives it) until EOF,
    //   auto lines = reader.lines();
    //   while (auto line = co_await lines.next()) ...
    // The generator shares the reader's stream, so it may outlive this StreamReader object.
    AsyncGenerator<std::string> lines() const;
    // True once EOF was seen and the buffer is empty.
    bool at_eof() const noexcept;
    // The connection's error, if it was lost with one (asyncio: reader.exception()).
    std::exception_ptr exception() const noexcept;
    void set_exception(std::exception_ptr exc) noexcept;

    void feed_data(std::string_view data);
    void feed_eof() noexcept;
    std::size_t limit() const noexcept;
    const std::shared_ptr<detail::StreamCore>& core() const noexcept { return core_; }

  private:
    Task<std::string> read_slow(long n);
    std::shared_ptr<detail::StreamCore> core_;
};

// (Derived from the wait, so that its flags fill the wait's tail padding: it is in the frame of
// every task that reads a stream.)
class [[nodiscard]] StreamReader::ReadAwaiter : detail::OneWaiter::Awaiter {
  public:
    ReadAwaiter(StreamReader& r, long n) noexcept;
    bool await_ready();
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h);
    std::string await_resume();
    // For create_task(reader.read(n)) and gather().
    Task<std::string> as_task() && { return r_.read_slow(n_); }

  private:
    Awaiter& wait() noexcept { return *this; }  // for data, when the buffer is empty
    bool slow_path_ = false;
    bool suspended_ = false;
    StreamReader& r_;
    long n_;
    Task<std::string> slow_;
};

inline StreamReader::ReadAwaiter StreamReader::read(long n) noexcept {
    return ReadAwaiter(*this, n);
}

class StreamWriter {
  public:
    explicit StreamWriter(std::shared_ptr<detail::StreamCore> core) noexcept
        : core_(std::move(core)) {}

    // Writes through the transport, which sends what the kernel takes and buffers the rest
    // (never blocks). Ignored once closing; RuntimeError after write_eof(), as asyncio.
    void write(std::string_view data);
    void write(std::string&& data);  // (may be taken instead of copied)
    void write(const char* data) { write(std::string_view(data)); }
    template <class Range>
    void writelines(const Range& lines) {
        for (const auto& line : lines)
            write(line);
    }
    // Waits while the transport's buffer is over its high-water mark (64 KiB), until it is down
    // to the low-water mark (16 KiB); raises the connection's error, or ConnectionResetError
    // (std::system_error ECONNRESET, "Connection lost") once the connection is gone. (Without a
    // coroutine frame when there is nothing to wait for, the usual case.)
    class DrainAwaiter;
    DrainAwaiter drain() noexcept;
    // Half-closes the sending side once the buffer is flushed.
    void write_eof();
    bool can_write_eof() const noexcept;
    // Closes after flushing what is buffered; the reader then sees EOF.
    void close();
    bool is_closing() const noexcept;
    // Until the connection is closed (its protocol's connection_lost).
    Task<> wait_closed();
    // "peername" / "sockname"; nullopt for other names (transport()->get_extra_info has all).
    std::optional<SocketAddress> get_extra_info(std::string_view name) const;
    // Water marks for drain() (asyncio: transport.set_write_buffer_limits).
    void set_write_buffer_limits(std::size_t high, std::size_t low);
    std::size_t get_write_buffer_size() const noexcept;
    // The transport under the stream (null for a writer without one).
    std::shared_ptr<Transport> transport() const noexcept;
    // Upgrades the connection to TLS (asyncio 3.11's StreamWriter.start_tls): drains, then does
    // the handshake; reads and writes go through TLS afterwards. Raises the handshake's error.
    Task<> start_tls(ssl::SSLContext sslcontext, ssl::StartTLSOptions options);
    Task<> start_tls(ssl::SSLContext sslcontext);

  private:
    bool must_wait() const noexcept;  // paused by the transport, or closing: drain_slow() decides
    Task<> drain_slow();
    std::shared_ptr<detail::StreamCore> core_;
};

class [[nodiscard]] StreamWriter::DrainAwaiter {
  public:
    explicit DrainAwaiter(StreamWriter& w) noexcept : w_(w) {}
    bool await_ready() const noexcept { return !w_.must_wait(); }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
        slow_ = w_.drain_slow();
        return slow_.operator co_await().await_suspend(h);
    }
    void await_resume() {
        if (slow_.valid()) slow_.operator co_await().await_resume();
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
// The same with create_connection's options (Happy Eyeballs, local_addr, family, all_errors).
Task<std::pair<StreamReader, StreamWriter>> open_connection(
    std::string host, std::uint16_t port, ConnectOptions options,
    std::size_t limit = kDefaultStreamLimit);
// open_connection(sock=...): streams over a socket connected some other way. Of the options only
// the TLS ones apply (with ssl and a context that checks host names, server_hostname is needed).
Task<std::pair<StreamReader, StreamWriter>> open_connection(
    Socket sock, std::size_t limit = kDefaultStreamLimit);
Task<std::pair<StreamReader, StreamWriter>> open_connection(
    Socket sock, ConnectOptions options, std::size_t limit = kDefaultStreamLimit);
namespace detail {
// Streams over one end of a pipe (adopted: non-blocking, close-on-exec); for subprocesses.
StreamReader pipe_reader(int fd, std::size_t limit = kDefaultStreamLimit);
StreamWriter pipe_writer(int fd);
}  // namespace detail
// asyncio.open_unix_connection. Of the options only the TLS ones apply (with ssl and a context
// that checks host names, server_hostname is needed: a path is no host name).
Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(
    std::string path, std::size_t limit = kDefaultStreamLimit);
Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(
    std::string path, ConnectOptions options, std::size_t limit = kDefaultStreamLimit);

using StreamHandler = std::function<Task<>(StreamReader, StreamWriter)>;

// asyncio.start_server: listens on every address host resolves to ("": all interfaces; port
// 0: any free port) and runs handler(reader, writer) as a task for each connection. The
// handler takes its arguments by value.
Task<Server> start_server(StreamHandler handler, std::string host, std::uint16_t port);
Task<Server> start_server(StreamHandler handler, std::string host, std::uint16_t port,
                          ServerOptions options);
// asyncio.start_unix_server: a stale socket file at path is replaced; the file is removed when
// the server closes (asyncio 3.13's cleanup_socket).
Task<Server> start_unix_server(StreamHandler handler, std::string path);
Task<Server> start_unix_server(StreamHandler handler, std::string path, ServerOptions options);

}  // namespace aio
