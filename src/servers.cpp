#include "servers.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cerrno>

#include "accept_queue.hpp"
#include "aio/dns.hpp"
#include "aio/sleep.hpp"
#include "backend/sys.hpp"

namespace aio {
namespace detail {
namespace {

bool out_of_descriptors(int err) noexcept {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Whatever way it ends, the queue's accept is stopped first (the kernel's last report awaited),
// then the error, if any, goes on.
Task<> accept_loop(std::shared_ptr<Server::State> st, std::size_t index) {
    AcceptQueue accepted(st->listeners[index]);
    std::exception_ptr error;
    while (st->serving && !error) {
        bool back_off = false;
        try {
            Socket conn = co_await accepted.next();
            // Accepted while the server was closing (the kernel finished the accept before the
            // cancellation reached it): not served; the connection is closed here.
            if (!st->serving) break;
            st->serve(*st, std::move(conn));
        } catch (const std::system_error& e) {
            // Out of file descriptors: wait for some to be freed, then accept again.
            if (out_of_descriptors(e.code().value())) {
                get_running_loop().call_exception_handler(
                    {"accept failed, backing off", std::current_exception(), {}});
                back_off = true;
            } else {
                error = std::current_exception();
            }
        } catch (...) {  // (CancelledError too)
            error = std::current_exception();
        }
        if (back_off) co_await sleep(std::chrono::milliseconds(100));
    }
    co_await accepted.stop();
    if (error) std::rethrow_exception(error);
}

}  // namespace

std::shared_ptr<StreamTransport> socket_transport(Socket sock,
                                                  std::shared_ptr<BaseProtocol> protocol,
                                                  std::shared_ptr<ConnectionWatcher> watcher) {
    const int family = sys::socket_family(sock.fileno());
    if (family == AF_INET || family == AF_INET6) sock.set_option(IPPROTO_TCP, TCP_NODELAY, 1);
    return StreamTransport::create(std::move(sock), StreamTransport::Kind::socket,
                                   std::move(protocol), std::move(watcher));
}

std::shared_ptr<Transport> connection_transport(Socket sock, std::shared_ptr<BaseProtocol> protocol,
                                                std::shared_ptr<ConnectionWatcher> watcher,
                                                const std::optional<TLSOptions>& tls,
                                                HandshakeCallback on_handshake) {
    if (!tls) return socket_transport(std::move(sock), std::move(protocol), std::move(watcher));
    auto secure = SSLTransport::create(std::move(protocol), *tls, std::move(on_handshake));
    socket_transport(std::move(sock), secure, std::move(watcher));
    return secure;
}

std::optional<TLSOptions> client_tls(const ConnectOptions& options, const std::string& host) {
    if (!options.ssl) {
        if (!options.server_hostname.empty())
            throw std::invalid_argument("server_hostname is only meaningful with ssl");
        return std::nullopt;
    }
    return TLSOptions{*options.ssl, false,
                      options.server_hostname.empty() ? host : std::string(options.server_hostname),
                      options.ssl_handshake_timeout, options.ssl_shutdown_timeout};
}

std::optional<TLSOptions> server_tls(const ServerOptions& options) {
    if (!options.ssl) return std::nullopt;
    return TLSOptions{
        *options.ssl, true, {}, options.ssl_handshake_timeout, options.ssl_shutdown_timeout};
}

HandshakeCallback HandshakeWait::callback() {
    return [done = done](std::exception_ptr error) mutable {
        if (done.done()) return;  // (the wait was cancelled)
        if (error)
            done.set_exception(error);
        else
            done.set_result();
    };
}

Task<> HandshakeWait::wait(std::shared_ptr<Transport> transport) {
    try {
        co_await done;
    } catch (const CancelledError&) {
        transport->abort();
        throw;
    }
}

Task<std::vector<Socket>> listen_tcp(std::string host, std::uint16_t port, ServerOptions options) {
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
    co_return listeners;
}

void remove_stale_socket(const std::string& path) {
    if (!path.empty()) sys::remove_socket_file(path.c_str());
}

std::vector<Socket> listen_unix(const std::string& path, ServerOptions options) {
    const auto address = SocketAddress::from_path(path);
    remove_stale_socket(path);
    auto sock = Socket::create(AF_UNIX);
    sock.bind(address);
    sock.listen(options.backlog);
    std::vector<Socket> listeners;
    listeners.push_back(std::move(sock));
    return listeners;
}

Server serve_on(std::function<void(Server::State&, Socket)> serve, std::vector<Socket> listeners,
                ServerOptions options, std::string unix_path) {
    auto st = std::make_shared<Server::State>();
    st->serve = std::move(serve);
    st->limit = options.limit;
    st->tls = server_tls(options);
    st->listeners = std::move(listeners);
    st->unix_path = std::move(unix_path);
    for (std::size_t i = 0; i < st->listeners.size(); ++i) {
        auto t = create_task(accept_loop(st, i));
        st->acceptors.emplace_back(t.state_ptr());
    }
    return Server(st);
}

}  // namespace detail

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
    if (!st.unix_path.empty()) detail::sys::remove_socket_file(st.unix_path.c_str());
    st.maybe_done();
}

void Server::close_clients() {
    for (Transport* t : state_->connections())
        t->close();
}

void Server::abort_clients() {
    for (Transport* t : state_->connections())
        t->abort();
}

Task<> Server::wait_closed() {
    State& st = *state_;
    while (st.serving || st.has_connections() || st.handlers > 0) {
        st.all_done.clear();
        co_await st.all_done.wait();
    }
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
