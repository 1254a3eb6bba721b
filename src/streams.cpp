#include "aio/streams.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "aio/detail/io_op.hpp"
#include "aio/dns.hpp"
#include "aio/sleep.hpp"

namespace aio {

IncompleteReadError::IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
    : std::runtime_error(std::to_string(partial.size()) + " bytes read on a total of " +
                         (expected ? std::to_string(*expected) : std::string("undefined")) +
                         " expected bytes"),
      partial_(std::move(partial)),
      expected_(expected) {}

namespace detail {

// What a connection's reader and writer share: the socket, both buffers, and the flusher.
struct StreamCore {
    StreamCore(Socket s, std::size_t lim, bool pipe = false)
        : sock(std::move(s)), limit(lim), is_pipe(pipe) {}

    Socket sock;  // empty for a reader fed by feed_data(); for a pipe, the pipe's end
    std::size_t limit;
    bool is_pipe;  // read/write instead of recv/send; write_eof closes

    // Reading: rbuf[rpos, rend) is unread. rbuf only grows (resizing zero-fills, which at 64 KiB
    // per read cost more than the read itself), and is compacted when space runs out.
    std::string rbuf;
    std::size_t rpos = 0;
    std::size_t rend = 0;
    bool eof = false;
    Event fed;  // feed_data/feed_eof, for readers without a socket

    std::size_t available() const noexcept { return rend - rpos; }
    std::string_view unread() const noexcept { return {rbuf.data() + rpos, available()}; }
    std::string take(std::size_t n) {
        std::string out(rbuf.data() + rpos, n);
        rpos += n;
        if (rpos == rend) rpos = rend = 0;
        return out;
    }
    // Makes room for at least n more bytes after rend.
    void reserve_tail(std::size_t n) {
        if (rbuf.size() - rend >= n) return;
        if (rpos > 0) {  // compact first
            std::memmove(rbuf.data(), rbuf.data() + rpos, available());
            rend -= rpos;
            rpos = 0;
        }
        if (rbuf.size() - rend < n) rbuf.resize(rend + n);
    }

    // How much one read asks for: it starts small and doubles each time a read fills it, up to
    // 64 KiB, so a connection that exchanges small messages keeps a small buffer (10,000 idle
    // connections at 64 KiB each would hold 640 MiB) and a bulk transfer soon reads 64 KiB.
    static constexpr std::size_t kFirstRead = 4 * 1024;
    static constexpr std::size_t kLargestRead = 64 * 1024;
    std::size_t read_size = kFirstRead;
    std::size_t asked = 0;

    // Sets op up as one read from the socket into the buffer's tail; received() takes its result.
    void prepare_recv(std::optional<detail::IoOp>& op) {
        reserve_tail(read_size);
        asked = rbuf.size() - rend;
        op.emplace(is_pipe ? detail::IoOp::Kind::read : detail::IoOp::Kind::recv, sock.fileno(),
                   rbuf.data() + rend, asked);
    }
    void received(long n) {
        if (n < 0) throw std::system_error(static_cast<int>(-n), std::generic_category(), "recv");
        rend += static_cast<std::size_t>(n);
        if (n == 0) eof = true;
        if (static_cast<std::size_t>(n) == asked && read_size < kLargestRead) read_size *= 2;
    }

    // Writing: wbuf[wpos..] is not sent yet.
    std::string wbuf;
    std::size_t wpos = 0;
    std::size_t high = 64 * 1024;
    std::size_t low = 16 * 1024;
    bool flushing = false;
    bool eof_requested = false;
    bool closing = false;
    std::exception_ptr write_error;
    Event drained;
    Event closed;

    std::size_t pending() const noexcept { return wbuf.size() - wpos; }

    // Sends what the socket takes of data without waiting: the bytes sent (fewer once it would
    // block, or on an error, which is kept in write_error).
    std::size_t send_now(std::string_view data) {
        std::size_t sent = 0;
        while (sent < data.size()) {
            const char* p = data.data() + sent;
            const std::size_t len = data.size() - sent;
            // (SIGPIPE for a pipe whose reader is gone is ignored while a loop exists.)
            const ssize_t n = is_pipe ? ::write(sock.fileno(), p, len)
                                      : ::send(sock.fileno(), p, len, MSG_NOSIGNAL);
            if (n >= 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                write_error = std::make_exception_ptr(
                    std::system_error(errno, std::generic_category(), "send"));
            break;
        }
        return sent;
    }

    // Sends what the socket takes of the buffer; false once it would block.
    bool send_some() {
        wpos += send_now(std::string_view(wbuf).substr(wpos));
        if (pending() > 0 && !write_error) return false;
        wbuf.clear();
        wpos = 0;
        return true;
    }

    void finish_closing() noexcept {
        if (eof_requested && !write_error && sock) {
            if (is_pipe)
                closing = true;  // a pipe has no half-close: the reader sees EOF when it closes
            else
                ::shutdown(sock.fileno(), SHUT_WR);
        }
        if (closing) {
            sock.close();
            closed.set();
        }
    }
};

namespace {

Task<> flush(std::shared_ptr<StreamCore> core) {
    while (core->pending() > 0 && !core->write_error) {
        if (!core->send_some()) {
            if (core->pending() <= core->low) core->drained.set();
            FdWaiter w(core->sock.fileno(), Interest::write, false);
            co_await w;
        }
    }
    core->drained.set();
    core->flushing = false;
    core->finish_closing();
}

}  // namespace
}  // namespace detail

using detail::StreamCore;

// ---- StreamReader ----

StreamReader::StreamReader(std::size_t limit)
    : core_(std::make_shared<StreamCore>(Socket(), limit)) {
    if (limit == 0) throw std::invalid_argument("limit must be positive");
}

std::size_t StreamReader::limit() const noexcept {
    return core_->limit;
}

bool StreamReader::at_eof() const noexcept {
    return core_->eof && core_->available() == 0;
}

void StreamReader::feed_data(std::string_view data) {
    if (core_->eof) throw InvalidStateError("feed_data after feed_eof");
    core_->reserve_tail(data.size());
    std::memcpy(core_->rbuf.data() + core_->rend, data.data(), data.size());
    core_->rend += data.size();
    core_->fed.set();
}

void StreamReader::feed_eof() noexcept {
    core_->eof = true;
    core_->fed.set();
}

// Waits for more data (or EOF) in the buffer.
Task<> StreamReader::fill() {
    StreamCore& c = *core_;
    if (!c.sock) {
        c.fed.clear();
        co_await c.fed.wait();
        co_return;
    }
    std::optional<detail::IoOp> op;
    c.prepare_recv(op);
    detail::IoOp& recv = *op;  // (g++ 12 would copy `*op` inside co_await)
    c.received(co_await recv);
}

Task<std::string> StreamReader::read_slow(long n) {
    StreamCore& c = *core_;
    if (n == 0) co_return std::string();
    if (n < 0) {
        while (!c.eof)
            co_await fill();
        co_return c.take(c.available());
    }
    if (c.available() == 0 && !c.eof) co_await fill();
    co_return c.take(std::min(static_cast<std::size_t>(n), c.available()));
}

// read(n) on a socket: answered from the buffer, or by one recv awaited in place (the IoOp
// lives in this awaiter, in the caller's frame). Everything else takes read_slow().
bool StreamReader::ReadAwaiter::await_ready() {
    StreamCore& c = *r_.core_;
    EventLoop* loop = detail::running_loop;
    if (n_ < 0 || !c.sock || !loop) {
        slow_path_ = true;
        return false;
    }
    if (n_ == 0 || c.available() > 0 || c.eof) {
        if (loop->spend_budget()) return true;
        slow_path_ = true;  // out of coop budget: the coroutine yields
        return false;
    }
    c.prepare_recv(op_);
    return op_->await_ready();
}

std::coroutine_handle<> StreamReader::ReadAwaiter::await_suspend(std::coroutine_handle<> h) {
    if (slow_path_) {
        slow_ = r_.read_slow(n_);
        return slow_.operator co_await().await_suspend(h);
    }
    op_->await_suspend(h);
    return std::noop_coroutine();
}

std::string StreamReader::ReadAwaiter::await_resume() {
    if (slow_path_) return slow_.operator co_await().await_resume();
    StreamCore& c = *r_.core_;
    if (op_) c.received(op_->await_resume());
    return c.take(std::min(static_cast<std::size_t>(n_), c.available()));
}

Task<std::string> StreamReader::readexactly(std::size_t n) {
    StreamCore& c = *core_;
    while (c.available() < n) {
        if (c.eof) throw IncompleteReadError(c.take(c.available()), n);
        co_await fill();
    }
    co_return c.take(n);
}

Task<std::string> StreamReader::readuntil() {
    return readuntil("\n");
}

Task<std::string> StreamReader::readuntil(std::string separator) {
    StreamCore& c = *core_;
    const std::size_t seplen = separator.size();
    if (seplen == 0) throw std::invalid_argument("Separator should be at least one-byte string");
    std::size_t offset = 0;
    std::size_t isep = std::string::npos;
    while (true) {
        const std::size_t buflen = c.available();
        if (buflen >= offset + seplen) {
            isep = c.unread().find(separator, offset);
            if (isep != std::string_view::npos) break;
            offset = buflen + 1 - seplen;
            if (offset > c.limit)
                throw LimitOverrunError("Separator is not found, and chunk exceed the limit",
                                        offset);
        }
        if (c.eof) throw IncompleteReadError(c.take(buflen), std::nullopt);
        co_await fill();
    }
    if (isep > c.limit)
        throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
    co_return c.take(isep + seplen);
}

Task<std::string> StreamReader::readline() {
    StreamCore& c = *core_;
    try {
        co_return co_await readuntil("\n");
    } catch (const IncompleteReadError& e) {
        co_return e.partial();
    } catch (const LimitOverrunError& e) {
        // Discard the overrun (and its newline, if that is in the buffer), as asyncio does.
        if (c.unread().substr(e.consumed(), 1) == "\n")
            c.take(e.consumed() + 1);
        else
            c.take(c.available());
        throw;
    }
}

// ---- StreamWriter ----

void StreamWriter::write(std::string_view data) {
    StreamCore& c = *core_;
    if (c.closing || c.eof_requested || c.write_error || data.empty()) return;
    if (c.flushing) {  // the flusher sends it after what is queued
        c.wbuf.append(data);
        return;
    }
    // Nothing is queued (whatever is, a flusher is running for): send straight from the
    // caller's bytes, and buffer only what the socket did not take.
    const std::size_t sent = c.send_now(data);
    if (sent == data.size() || c.write_error) return;
    c.wbuf.append(data.substr(sent));
    c.flushing = true;
    c.drained.clear();
    create_task(detail::flush(core_));
}

bool StreamWriter::must_wait() const noexcept {
    return core_->pending() > core_->high && !core_->write_error;
}

void StreamWriter::rethrow_error() const {
    if (core_->write_error) std::rethrow_exception(core_->write_error);
}

Task<> StreamWriter::drain_slow() {
    StreamCore& c = *core_;
    if (c.write_error) std::rethrow_exception(c.write_error);
    while (c.pending() > c.high && !c.write_error) {
        c.drained.clear();
        co_await c.drained.wait();
    }
    if (c.write_error) std::rethrow_exception(c.write_error);
}

void StreamWriter::write_eof() {
    StreamCore& c = *core_;
    if (c.eof_requested || c.closing) return;
    c.eof_requested = true;
    if (!c.flushing) c.finish_closing();
}

void StreamWriter::close() {
    StreamCore& c = *core_;
    if (c.closing) return;
    c.closing = true;
    if (!c.flushing) c.finish_closing();
}

bool StreamWriter::is_closing() const noexcept {
    return core_->closing;
}

Task<> StreamWriter::wait_closed() {
    co_await core_->closed.wait();
}

std::optional<SocketAddress> StreamWriter::get_extra_info(std::string_view name) const {
    const Socket& s = core_->sock;
    if (!s) return std::nullopt;
    try {
        if (name == "peername") return s.getpeername();
        if (name == "sockname") return s.getsockname();
    } catch (const std::system_error&) {
    }
    return std::nullopt;
}

void StreamWriter::set_write_buffer_limits(std::size_t high, std::size_t low) {
    if (low > high) throw std::invalid_argument("high must be >= low");
    core_->high = high;
    core_->low = low;
}

std::size_t StreamWriter::get_write_buffer_size() const noexcept {
    return core_->pending();
}

// ---- open_connection ----

namespace {}  // namespace

StreamReader detail::pipe_reader(int fd, std::size_t limit) {
    return StreamReader(std::make_shared<StreamCore>(Socket(fd), limit, true));
}
StreamWriter detail::pipe_writer(int fd) {
    return StreamWriter(std::make_shared<StreamCore>(Socket(fd), kDefaultStreamLimit, true));
}

namespace {
std::pair<StreamReader, StreamWriter> make_streams(Socket sock, int family, std::size_t limit) {
    if (family != AF_UNIX)
        sock.set_option(IPPROTO_TCP, TCP_NODELAY, 1);  // asyncio sets it on every TCP connection
    auto core = std::make_shared<StreamCore>(std::move(sock), limit);
    return {StreamReader(core), StreamWriter(core)};
}

Task<std::pair<StreamReader, StreamWriter>> connect_to(SocketAddress address, std::size_t limit) {
    auto sock = Socket::create(address.family());
    co_await sock_connect(sock, address);
    co_return make_streams(std::move(sock), address.family(), limit);
}
}  // namespace

Task<std::pair<StreamReader, StreamWriter>> detail::connect_any(
    std::vector<SocketAddress> addresses, std::size_t limit) {
    // asyncio: every address in turn; if all fail, their common error, else a summary.
    std::vector<std::system_error> errors;
    for (const auto& address : addresses) {
        try {
            co_return co_await connect_to(address, limit);
        } catch (const std::system_error& e) {
            errors.push_back(e);
        }
    }
    if (errors.empty()) throw std::system_error(EADDRNOTAVAIL, std::generic_category(), "connect");
    bool same = true;
    std::string all = "Multiple exceptions:";
    for (const auto& e : errors) {
        same = same && e.code() == errors.front().code();
        all += ' ';
        all += e.what();
    }
    if (same) throw errors.front();
    throw std::system_error(errors.back().code(), all);
}

Task<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, std::uint16_t port,
                                                            std::size_t limit) {
    std::vector<SocketAddress> addresses;
    for (auto& info : co_await getaddrinfo(host, port, AddressHints{.type = SOCK_STREAM}))
        addresses.push_back(info.address);
    co_return co_await detail::connect_any(std::move(addresses), limit);
}

Task<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path,
                                                                 std::size_t limit) {
    return connect_to(SocketAddress::from_path(path), limit);
}

// ---- Server ----

struct Server::State {
    Handler handler;
    std::size_t limit;
    std::vector<Socket> listeners;
    std::vector<AnyTask> acceptors;
    std::set<std::shared_ptr<StreamCore>> clients;
    std::size_t active = 0;
    std::string unix_path;  // removed on close
    bool serving = true;
    Event all_done;  // closed, and no handler running
    void maybe_done() {
        if (!serving && active == 0) all_done.set();
    }
};

namespace {

bool out_of_descriptors(int err) noexcept {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Runs one connection's handler; whatever way it ends, the connection is closed and the server
// told, so that wait_closed() can finish.
Task<> run_handler(std::shared_ptr<Server::State> st, std::shared_ptr<StreamCore> core) {
    struct Finished {
        std::shared_ptr<Server::State> st;
        std::shared_ptr<StreamCore> core;
        ~Finished() {
            StreamWriter(core).close();
            st->clients.erase(core);
            --st->active;
            st->maybe_done();
        }
    } finished{st, core};
    try {
        co_await st->handler(StreamReader(core), StreamWriter(core));
    } catch (const CancelledError&) {
        throw;
    } catch (...) {
        get_running_loop().call_exception_handler(
            {"Unhandled exception in client_connected_cb", std::current_exception(), {}});
    }
}

Task<> accept_loop(std::shared_ptr<Server::State> st, std::size_t index) {
    while (st->serving) {
        bool back_off = false;
        try {
            auto [conn, peer] = co_await sock_accept(st->listeners[index]);
            // Accepted while the server was closing (the kernel finished the accept before the
            // cancellation reached it): not served; the connection is closed here.
            if (!st->serving) co_return;
            auto core = make_streams(std::move(conn), peer.family(), st->limit);
            st->clients.insert(core.first.core());
            ++st->active;
            create_task(run_handler(st, core.first.core()));
        } catch (const std::system_error& e) {
            // Out of file descriptors: wait for some to be freed, then accept again.
            if (!out_of_descriptors(e.code().value())) throw;
            get_running_loop().call_exception_handler(
                {"accept failed, backing off", std::current_exception(), {}});
            back_off = true;
        }
        if (back_off) co_await sleep(std::chrono::milliseconds(100));
    }
}

}  // namespace

namespace {
Server serve_on(Server::Handler handler, std::vector<Socket> listeners, ServerOptions options,
                std::string unix_path) {
    auto st = std::make_shared<Server::State>();
    st->handler = std::move(handler);
    st->limit = options.limit;
    st->listeners = std::move(listeners);
    st->unix_path = std::move(unix_path);
    for (std::size_t i = 0; i < st->listeners.size(); ++i) {
        auto t = create_task(accept_loop(st, i));
        st->acceptors.emplace_back(t.state_ptr());
    }
    return Server(st);
}
}  // namespace

Task<Server> start_server(Server::Handler handler, std::string host, std::uint16_t port) {
    return start_server(std::move(handler), std::move(host), port, ServerOptions{});
}

Task<Server> start_server(Server::Handler handler, std::string host, std::uint16_t port,
                          ServerOptions options) {
    const auto infos =
        co_await getaddrinfo(host, port, AddressHints{.type = SOCK_STREAM, .flags = AI_PASSIVE});
    std::vector<Socket> listeners;
    std::vector<std::string> bound;
    for (const auto& info : infos) {
        const std::string where = info.address.to_string();
        if (std::find(bound.begin(), bound.end(), where) != bound.end()) continue;
        auto sock = Socket::create(info.family);
        sock.set_option(SOL_SOCKET, SO_REUSEADDR, 1);
        if (options.reuse_port) sock.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
        // Both families on one port: the IPv6 socket must not claim IPv4 too (as asyncio).
        if (info.family == AF_INET6) sock.set_option(IPPROTO_IPV6, IPV6_V6ONLY, 1);
        sock.bind(info.address);
        sock.listen(options.backlog);
        listeners.push_back(std::move(sock));
        bound.push_back(where);
    }
    co_return serve_on(std::move(handler), std::move(listeners), options, {});
}

Task<Server> start_unix_server(Server::Handler handler, std::string path) {
    return start_unix_server(std::move(handler), std::move(path), ServerOptions{});
}

Task<Server> start_unix_server(Server::Handler handler, std::string path, ServerOptions options) {
    const auto address = SocketAddress::from_path(path);
    struct stat st {};
    if (path[0] != '\0' && ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode))
        ::unlink(path.c_str());  // a stale socket from an earlier run
    auto sock = Socket::create(AF_UNIX);
    sock.bind(address);
    sock.listen(options.backlog);
    std::vector<Socket> listeners;
    listeners.push_back(std::move(sock));
    co_return serve_on(std::move(handler), std::move(listeners), options,
                       path[0] != '\0' ? path : std::string());
}

Task<> Server::serve_forever() {
    try {
        co_await state_->all_done.wait();
    } catch (const CancelledError&) {
        close();
        throw;
    }
}

void Server::close() {
    State& st = *state_;
    if (!st.serving) return;
    st.serving = false;
    for (auto& t : st.acceptors)
        t.cancel();
    for (auto& s : st.listeners)
        s.close();
    if (!st.unix_path.empty()) ::unlink(st.unix_path.c_str());
    st.maybe_done();
}

void Server::close_clients() {
    for (auto& core : std::set(state_->clients))
        StreamWriter(core).close();
}

Task<> Server::wait_closed() {
    while (state_->serving || state_->active > 0)
        co_await state_->all_done.wait();
}

bool Server::is_serving() const noexcept {
    return state_->serving;
}

std::vector<SocketAddress> Server::sockets() const {
    std::vector<SocketAddress> out;
    for (const auto& s : state_->listeners)
        if (s) out.push_back(s.getsockname());
    return out;
}

}  // namespace aio
