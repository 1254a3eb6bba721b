#include "aio/streams.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "aio/connections.hpp"
#include "aio/detail/allocator.hpp"
#include "aio/dns.hpp"
#include "aio/protocols.hpp"
#include "aio/sleep.hpp"
#include "servers.hpp"
#include "stream_transport.hpp"
#include "string_pool.hpp"

namespace aio {

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : std::runtime_error(std::to_string(partial.size()) + " bytes read on a total of " +
                         (expected ? std::to_string(*expected) : std::string("undefined")) +
                         " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

namespace detail {

void OneWaiter::Awaiter::throw_busy(Call what) {
    static const char* const names[] = {"read", "read_into", "readexactly", "readuntil"};
    throw RuntimeError(std::string(names[static_cast<int>(what)]) +
                       "() called while another coroutine is already waiting");
}

// asyncio's StreamReaderProtocol with the reader's buffer in it: what the reader and the writer
// of one connection share. Received bytes wait in rbuf[rpos..]; a buffer emptied by a read is let
// go, so an idle connection holds none.
struct StreamCore : InPlaceProtocol {
    explicit StreamCore(std::size_t lim) : limit(lim) {}

    std::shared_ptr<Transport> transport;  // null for a reader fed by feed_data()
    std::size_t limit;

    std::string rbuf;
    std::size_t rpos = 0;
    bool eof = false;
    bool reading_paused = false;  // we paused the transport (over 2 x limit)
    bool writing_paused = false;  // the transport's buffer is over its high-water mark
    bool lost = false;            // connection_lost has run
    std::exception_ptr error;     // the connection was lost with it
    OneWaiter data_waiter;
    // Made on first use (most connections never wait): set while writing may go on, so that
    // every task in drain() wakes when the transport resumes (bpo-29930), and once closed.
    std::unique_ptr<Event> writable;
    std::unique_ptr<Event> closed;

    std::size_t available() const noexcept { return rbuf.size() - rpos; }
    std::string_view unread() const noexcept { return std::string_view(rbuf).substr(rpos); }
    bool ready() const noexcept { return available() > 0 || eof || error; }
    void rethrow_error() const {
        if (error) std::rethrow_exception(error);
    }

    std::string take(std::size_t n) {
        std::string out;
        if (rpos == 0 && n == rbuf.size()) {
            out = std::move(rbuf);  // all of it: no copy
            rbuf.clear();
        } else if (rpos == 0 && n >= rbuf.size() - n) {
            // Most of it from the front: the remainder moves to a new buffer, the front goes out
            // as it is (one copy of the smaller part).
            std::string rest = StringPool::here().take();
            rest.assign(rbuf, n, std::string::npos);
            rbuf.resize(n);
            out.swap(rbuf);
            rbuf.swap(rest);
        } else {
            out.assign(rbuf, rpos, n);
            rpos += n;
            if (rpos == rbuf.size()) {
                StringPool::here().give(std::move(rbuf));
                rpos = 0;
            } else if (rpos > rbuf.size() / 2) {  // compact, keeping the copy amortized
                rbuf.erase(0, rpos);
                rpos = 0;
            }
        }
        maybe_resume_transport();
        return out;
    }
    void drop(std::size_t n) {
        rpos += n;
        if (rpos >= rbuf.size()) {
            StringPool::here().give(std::move(rbuf));
            rpos = 0;
        }
        maybe_resume_transport();
    }
    void maybe_resume_transport() {
        if (reading_paused && available() <= limit && transport) {
            reading_paused = false;
            transport->resume_reading();
        }
    }
    // A reader is about to wait: it needs more than is buffered, so reading resumes whatever the
    // buffer holds (asyncio's _wait_for_data does the same).
    void resume_for_wait() {
        if (reading_paused && transport) {
            reading_paused = false;
            transport->resume_reading();
        }
    }

    // Waits until ready(); raises the connection's error. asyncio's _wait_for_data.
    Task<> wait_for_data(OneWaiter::Call what) {
        while (!ready()) {
            resume_for_wait();
            auto wait = data_waiter.wait(what);
            co_await wait;
        }
        rethrow_error();
    }

    void append(std::string_view data) {
        if (rbuf.empty()) {
            if (rbuf.capacity() < data.size()) StringPool::here().take_into(rbuf);
            rbuf.append(data);
        } else {
            // A bulk transfer: grow once to what a paused transport lets in, not by doubling.
            if (rbuf.capacity() < rbuf.size() + data.size())
                rbuf.reserve(std::max(rbuf.size() + data.size(), 2 * limit + data.size()));
            rbuf.append(data);
        }
        appended();
    }
    void appended() {
        data_waiter.wake();
        if (transport && !reading_paused && available() > 2 * limit) {
            reading_paused = true;
            transport->pause_reading();
        }
    }

    // ---- Protocol ----
    void data_received(std::string_view data) override { append(data); }
    // An empty buffer is read into in place: a pooled string as long as it was when given (the
    // string a read returned, sent and recycled: the next message of an echo fits it), so the
    // bytes are not copied on their way to the string read() returns.
    std::span<char> room() noexcept override {
        if (!rbuf.empty()) return {};  // what is buffered is appended to
        StringPool::here().take_stale_into(rbuf);
        return {rbuf.data(), rbuf.size()};
    }
    void room_filled(std::size_t n) override {
        if (n == 0) return StringPool::here().give(std::move(rbuf));
        rbuf.resize(n);
        appended();
    }
    bool eof_received() override {
        eof = true;
        data_waiter.wake();
        return true;  // the writer may go on (asyncio's StreamReaderProtocol)
    }
    void pause_writing() override {
        writing_paused = true;
        if (writable) writable->clear();
    }
    void resume_writing() override {
        writing_paused = false;
        if (writable) writable->set();
    }
    void connection_lost(std::exception_ptr exc) override {
        if (exc)
            error = exc;
        else
            eof = true;
        lost = true;
        data_waiter.wake();
        if (writable) writable->set();
        if (closed) closed->set();
    }
};

namespace {
std::shared_ptr<StreamCore> stream_over(Socket sock, std::size_t limit,
                                        std::shared_ptr<ConnectionWatcher> watcher) {
    auto core = std::allocate_shared<StreamCore>(PoolAllocator<StreamCore>(), limit);
    core->transport = socket_transport(std::move(sock), core, std::move(watcher));
    return core;
}
}  // namespace

StreamReader pipe_reader(int fd, std::size_t limit) {
    auto core = std::make_shared<StreamCore>(limit);
    core->transport =
        StreamTransport::create(Socket(fd), StreamTransport::Kind::read_pipe, core, nullptr);
    return StreamReader(core);
}

StreamWriter pipe_writer(int fd) {
    auto core = std::make_shared<StreamCore>(kDefaultStreamLimit);
    core->transport =
        StreamTransport::create(Socket(fd), StreamTransport::Kind::write_pipe, core, nullptr);
    return StreamWriter(core);
}

}  // namespace detail

using detail::OneWaiter;
using detail::StreamCore;

// ---- StreamReader ----

StreamReader::StreamReader(std::size_t limit) {
    if (limit == 0) throw std::invalid_argument("limit must be positive");
    core_ = std::make_shared<StreamCore>(limit);
}

std::size_t StreamReader::limit() const noexcept {
    return core_->limit;
}

bool StreamReader::at_eof() const noexcept {
    return core_->eof && core_->available() == 0;
}

std::exception_ptr StreamReader::exception() const noexcept {
    return core_->error;
}

void StreamReader::set_exception(std::exception_ptr exc) noexcept {
    core_->error = std::move(exc);
    core_->data_waiter.wake();
}

void StreamReader::feed_data(std::string_view data) {
    if (core_->eof) throw InvalidStateError("feed_data after feed_eof");
    if (!data.empty()) core_->append(data);
}

void StreamReader::feed_eof() noexcept {
    core_->eof = true;
    core_->data_waiter.wake();
}

Task<std::string> StreamReader::read_slow(long n) {
    StreamCore& c = *core_;
    c.rethrow_error();
    if (n == 0) co_return std::string();
    if (n < 0) {
        while (!c.eof) {
            c.resume_for_wait();
            auto wait = c.data_waiter.wait(OneWaiter::Call::read);
            co_await wait;
            c.rethrow_error();
        }
        co_return c.take(c.available());
    }
    co_await c.wait_for_data(OneWaiter::Call::read);
    co_return c.take(std::min(static_cast<std::size_t>(n), c.available()));
}

StreamReader::ReadAwaiter::ReadAwaiter(StreamReader& r, long n) noexcept
    : Awaiter(r.core_->data_waiter, detail::OneWaiter::Call::read), r_(r), n_(n) {}

// read(n): answered from the buffer, or after one wait for data in place (the waiter lives in
// this awaiter, in the caller's frame). read() to EOF takes read_slow().
bool StreamReader::ReadAwaiter::await_ready() {
    StreamCore& c = *r_.core_;
    if (n_ < 0) {
        slow_path_ = true;
        return false;
    }
    if (n_ == 0 || c.ready()) return true;
    c.resume_for_wait();
    return false;
}

std::coroutine_handle<> StreamReader::ReadAwaiter::await_suspend(std::coroutine_handle<> h) {
    if (slow_path_) {
        slow_ = r_.read_slow(n_);
        return slow_.operator co_await().await_suspend(h);
    }
    wait().await_suspend(h);
    suspended_ = true;
    return std::noop_coroutine();
}

std::string StreamReader::ReadAwaiter::await_resume() {
    if (slow_path_) return slow_.operator co_await().await_resume();
    StreamCore& c = *r_.core_;
    if (suspended_) wait().await_resume();  // CancelledError if cancelled (the data stays)
    c.rethrow_error();
    if (n_ == 0) return std::string();
    return c.take(std::min(static_cast<std::size_t>(n_), c.available()));
}

Task<std::size_t> StreamReader::read_into(std::span<char> buffer) {
    StreamCore& c = *core_;
    c.rethrow_error();
    if (buffer.empty()) co_return 0;
    co_await c.wait_for_data(OneWaiter::Call::read_into);
    const std::size_t n = std::min(buffer.size(), c.available());
    std::memcpy(buffer.data(), c.rbuf.data() + c.rpos, n);
    c.drop(n);
    co_return n;
}

Task<std::string> StreamReader::readexactly(std::size_t n) {
    StreamCore& c = *core_;
    c.rethrow_error();
    while (c.available() < n) {
        if (c.eof) throw IncompleteReadError(c.take(c.available()), n);
        auto wait = c.data_waiter.wait(OneWaiter::Call::readexactly);
        c.resume_for_wait();
        co_await wait;
        c.rethrow_error();
    }
    co_return c.take(n);
}

Task<std::string> StreamReader::readuntil() {
    return readuntil(std::string("\n"));
}

Task<std::string> StreamReader::readuntil(std::string separator) {
    std::vector<std::string> one;
    one.push_back(std::move(separator));
    return readuntil(std::move(one));
}

// asyncio 3.13's readuntil: the match that ends first wins; the limit applies to the data
// before the separator.
Task<std::string> StreamReader::readuntil(std::vector<std::string> separators) {
    StreamCore& c = *core_;
    if (separators.empty())
        throw std::invalid_argument("Separator should contain at least one element");
    std::size_t min_len = std::string::npos;
    std::size_t max_len = 0;
    for (const auto& sep : separators) {
        if (sep.empty())
            throw std::invalid_argument("Separator should be at least one-byte string");
        min_len = std::min(min_len, sep.size());
        max_len = std::max(max_len, sep.size());
    }
    c.rethrow_error();
    std::size_t offset = 0;
    std::size_t match_end = std::string::npos;
    while (true) {
        const std::size_t buflen = c.available();
        if (buflen >= offset + min_len) {
            const std::string_view data = c.unread();
            std::size_t best = std::string::npos;
            for (const auto& sep : separators) {
                const std::size_t at = data.find(sep, offset);
                if (at != std::string_view::npos &&
                    (best == std::string::npos || at + sep.size() < best))
                    best = at + sep.size();
            }
            if (best != std::string::npos) {
                match_end = best;
                break;
            }
            offset = buflen + 1 > max_len ? buflen + 1 - max_len : 0;
            if (offset > c.limit)
                throw LimitOverrunError("Separator is not found, and chunk exceed the limit",
                                        offset);
        }
        if (c.eof) throw IncompleteReadError(c.take(buflen), std::nullopt);
        auto wait = c.data_waiter.wait(OneWaiter::Call::readuntil);
        c.resume_for_wait();
        co_await wait;
        c.rethrow_error();
    }
    // The chunk before the separator that matched must fit the limit. asyncio tries the
    // separators shortest first and keeps the first that ends soonest: of several ending at
    // match_end ("\n" and "\r\n"), the shortest is the match.
    std::size_t sep_len = std::string::npos;
    for (const auto& sep : separators)
        if (match_end >= sep.size() && c.unread().substr(match_end - sep.size(), sep.size()) == sep)
            sep_len = std::min(sep_len, sep.size());
    if (match_end - sep_len > c.limit)
        throw LimitOverrunError("Separator is found, but chunk is longer than limit",
                                match_end - sep_len);
    co_return c.take(match_end);
}

Task<std::string> StreamReader::readline() {
    StreamCore& c = *core_;
    try {
        co_return co_await readuntil(std::string("\n"));
    } catch (const IncompleteReadError& e) {
        co_return e.partial();
    } catch (const LimitOverrunError& e) {
        // Discard the overrun (and its newline, if that is in the buffer), and raise ValueError
        // (std::invalid_argument), as asyncio does.
        if (c.unread().substr(e.consumed(), 1) == "\n")
            c.drop(e.consumed() + 1);
        else
            c.drop(c.available());
        throw std::invalid_argument(e.what());
    }
}

// ---- StreamWriter ----

void StreamWriter::write(std::string_view data) {
    if (core_->transport) core_->transport->write(data);
}

void StreamWriter::write(std::string&& data) {
    if (core_->transport) core_->transport->write(std::move(data));
}

bool StreamWriter::must_wait() const noexcept {
    const StreamCore& c = *core_;
    return c.writing_paused || c.error || c.lost || !c.transport || c.transport->is_closing();
}

// asyncio's StreamWriter.drain and FlowControlMixin._drain_helper.
Task<> StreamWriter::drain_slow() {
    StreamCore& c = *core_;
    c.rethrow_error();
    if (!c.transport) co_return;
    if (c.transport->is_closing()) co_await sleep(Duration::zero());  // let connection_lost run
    c.rethrow_error();
    if (c.lost) throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
    while (c.writing_paused && !c.lost) {
        if (!c.writable) c.writable = std::make_unique<Event>();
        co_await c.writable->wait();
    }
    c.rethrow_error();
    if (c.lost) throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
}

Task<> StreamWriter::start_tls(ssl::SSLContext sslcontext) {
    const ssl::StartTLSOptions defaults;  // (named: see connect_any)
    return start_tls(std::move(sslcontext), defaults);
}

Task<> StreamWriter::start_tls(ssl::SSLContext sslcontext, ssl::StartTLSOptions options) {
    auto core = core_;
    if (!core->transport) throw RuntimeError("start_tls: the writer has no transport");
    co_await drain();
    core->transport =
        co_await aio::start_tls(core->transport, core, std::move(sslcontext), options);
}

void StreamWriter::write_eof() {
    if (core_->transport) core_->transport->write_eof();
}

bool StreamWriter::can_write_eof() const noexcept {
    return core_->transport && core_->transport->can_write_eof();
}

void StreamWriter::close() {
    if (core_->transport) core_->transport->close();
}

bool StreamWriter::is_closing() const noexcept {
    return !core_->transport || core_->transport->is_closing();
}

Task<> StreamWriter::wait_closed() {
    StreamCore& c = *core_;
    if (!c.transport || c.lost) co_return;
    if (!c.closed) c.closed = std::make_unique<Event>();
    co_await c.closed->wait();
}

std::optional<SocketAddress> StreamWriter::get_extra_info(std::string_view name) const {
    if (!core_->transport) return std::nullopt;
    return core_->transport->get_extra_info<SocketAddress>(name);
}

void StreamWriter::set_write_buffer_limits(std::size_t high, std::size_t low) {
    if (low > high) throw std::invalid_argument("high must be >= low");
    if (core_->transport) core_->transport->set_write_buffer_limits(high, low);
}

std::size_t StreamWriter::get_write_buffer_size() const noexcept {
    return core_->transport ? core_->transport->get_write_buffer_size() : 0;
}

std::shared_ptr<Transport> StreamWriter::transport() const noexcept {
    return core_->transport;
}

namespace {
AsyncGenerator<std::string> lines_of(StreamReader reader) {
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) co_return;
        co_yield std::move(line);
    }
}
}  // namespace

AsyncGenerator<std::string> StreamReader::lines() const {
    return lines_of(*this);
}

// ---- open_connection, start_server ----

namespace {
std::pair<StreamReader, StreamWriter> streams_of(std::shared_ptr<StreamCore> core) {
    return {StreamReader(core), StreamWriter(core)};
}

// Streams over a connected socket, with TLS over it if asked (once its handshake is done).
Task<std::pair<StreamReader, StreamWriter>> streams_over(Socket sock, std::size_t limit,
                                                         std::optional<detail::TLSOptions> tls) {
    if (!tls) co_return streams_of(detail::stream_over(std::move(sock), limit, nullptr));
    auto core = std::allocate_shared<StreamCore>(detail::PoolAllocator<StreamCore>(), limit);
    detail::HandshakeWait handshake;
    core->transport =
        detail::connection_transport(std::move(sock), core, nullptr, tls, handshake.callback());
    co_await handshake.wait(core->transport);
    co_return streams_of(std::move(core));
}
}  // namespace

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port,
                                                            std::size_t limit) {
    const ConnectOptions defaults;
    return open_connection(std::move(host), port, defaults, limit);
}

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port,
                                                            ConnectOptions options,
                                                            std::size_t limit) {
    auto tls = detail::client_tls(options, host);
    auto addresses = co_await detail::resolve_stream(std::move(host), port, options);
    Socket sock = co_await detail::connect_any(std::move(addresses), options);
    co_return co_await streams_over(std::move(sock), limit, std::move(tls));
}

Task<std::pair<StreamReader, StreamWriter>> open_connection(Socket sock, std::size_t limit) {
    co_return streams_of(detail::stream_over(std::move(sock), limit, nullptr));
}

Task<std::pair<StreamReader, StreamWriter>> open_connection(Socket sock, ConnectOptions options,
                                                            std::size_t limit) {
    auto tls = detail::client_tls(options, {});
    co_return co_await streams_over(std::move(sock), limit, std::move(tls));
}

Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path,
                                                                 std::size_t limit) {
    const ConnectOptions defaults;  // (named: see connect_any)
    return open_unix_connection(std::move(path), defaults, limit);
}

Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path,
                                                                 ConnectOptions options,
                                                                 std::size_t limit) {
    auto tls = detail::client_tls(options, {});
    std::vector<SocketAddress> addresses{SocketAddress::from_path(path)};
    Socket sock = co_await detail::connect_any(std::move(addresses));
    co_return co_await streams_over(std::move(sock), limit, std::move(tls));
}

namespace {

// A connection of start_server: its stream, and what is done when its handler's task ends,
// whatever way it ends (asyncio's client_connected_cb task and its done callback): an exception
// is reported, the connection closed, the server told. (A done callback, not a coroutine wrapped
// around the handler: an idle connection does not carry a second frame.)
struct ServedStream final : StreamCore, detail::DoneWaiter {
    ServedStream(std::shared_ptr<Server::State> st, std::size_t limit)
        : StreamCore(limit), DoneWaiter(&handler_done), server(std::move(st)) {}

    std::shared_ptr<Server::State> server;
    std::shared_ptr<ServedStream> self;  // until the handler's task has ended
    detail::TaskBase* task = nullptr;

    static void handler_done(DoneWaiter* w) noexcept {
        auto* s = static_cast<ServedStream*>(w);
        auto keep = std::move(s->self);
        if (!s->task->cancelled()) {
            if (std::exception_ptr error = s->task->peek_error()) {
                s->task->mark_retrieved();
                s->report(error);
            }
        }
        s->finished();
    }
    void report(std::exception_ptr error) noexcept {
        try {
            get_running_loop().call_exception_handler(
                {"Unhandled exception in client_connected_cb", std::move(error), {}});
        } catch (...) {
        }
    }
    // (The server is let go: what the handler shared the streams with may belong to it.)
    void finished() noexcept {
        if (transport) transport->close();
        const auto st = std::move(server);
        --st->handlers;
        st->maybe_done();
    }
};

// The handler's task for a served stream (which it keeps until the task ends).
void start_handler(const StreamHandler& handler, std::shared_ptr<ServedStream> served) {
    try {
        auto task = create_task(handler(StreamReader(served), StreamWriter(served)));
        served->task = task.state_ptr();
        ServedStream& s = *served;
        s.task->add_waiter(&s);
        s.self = std::move(served);
    } catch (...) {  // the handler (or its task) could not even start
        served->report(std::current_exception());
        served->finished();
    }
}

std::function<void(Server::State&, Socket)> serve_streams(StreamHandler handler) {
    return [handler = std::move(handler)](Server::State& st, Socket conn) {
        auto served = std::allocate_shared<ServedStream>(detail::PoolAllocator<ServedStream>(),
                                                         st.shared_from_this(), st.limit);
        ++st.handlers;
        if (!st.tls) {
            served->transport =
                detail::socket_transport(std::move(conn), served, st.shared_from_this());
            return start_handler(handler, std::move(served));
        }
        // Over TLS the handler starts once the handshake has succeeded (the server's state,
        // which holds the handler, lives until the connection is finished).
        auto on_handshake = [&handler,
                             weak = std::weak_ptr<ServedStream>(served)](std::exception_ptr error) {
            auto s = weak.lock();
            if (!s) return;
            if (error)
                s->finished();
            else
                start_handler(handler, std::move(s));
        };
        served->transport = detail::connection_transport(
            std::move(conn), served, st.shared_from_this(), st.tls, std::move(on_handshake));
    };
}

}  // namespace

Task<Server> start_server(StreamHandler handler, std::string host, std::uint16_t port) {
    const ServerOptions defaults;
    return start_server(std::move(handler), std::move(host), port, defaults);
}

Task<Server> start_server(StreamHandler handler, std::string host, std::uint16_t port,
                          ServerOptions options) {
    auto listeners = co_await detail::listen_tcp(host, port, options);
    co_return detail::serve_on(serve_streams(std::move(handler)), std::move(listeners), options,
                               {});
}

Task<Server> start_unix_server(StreamHandler handler, std::string path) {
    const ServerOptions defaults;
    return start_unix_server(std::move(handler), std::move(path), defaults);
}

Task<Server> start_unix_server(StreamHandler handler, std::string path, ServerOptions options) {
    auto listeners = detail::listen_unix(path, options);
    co_return detail::serve_on(serve_streams(std::move(handler)), std::move(listeners), options,
                               path[0] != '\0' ? path : std::string());
}

}  // namespace aio
