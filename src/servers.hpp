// A server's insides, shared by the streams' start_server and the protocols' create_server:
// the listening sockets, their accept loops, and the connections still open.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "aio/connections.hpp"
#include "aio/future.hpp"
#include "aio/locks.hpp"
#include "aio/servers.hpp"
#include "aio/tasks.hpp"
#include "aio/transports.hpp"
#include "ssl_transport.hpp"
#include "stream_transport.hpp"

namespace aio {

struct Server::State final : detail::ConnectionWatcher, std::enable_shared_from_this<State> {
    // Makes the accepted connection's transport (and, for streams, its handler's task).
    std::function<void(State&, Socket)> serve;
    std::vector<Socket> listeners;
    std::vector<AnyTask> acceptors;
    std::size_t handlers = 0;  // streams: handler tasks still running
    std::string unix_path;     // removed on close
    std::size_t limit = kDefaultStreamLimit;
    std::optional<detail::TLSOptions> tls;  // every connection's, on a TLS server
    bool serving = true;
    Event all_done;  // closed, and nothing left open or running

    // (The connections still open are the watcher's list.)
    void connection_closed(Transport&) noexcept override { maybe_done(); }
    void maybe_done() {
        if (!serving && !has_connections() && handlers == 0) all_done.set();
    }
};

namespace detail {
// Listens on every address host resolves to ("": every interface), or on a Unix path.
Task<std::vector<Socket>> listen_tcp(std::string host, std::uint16_t port, ServerOptions options);
// A socket file left at path by an earlier run is removed (asyncio does so before binding).
void remove_stale_socket(const std::string& path);
std::vector<Socket> listen_unix(const std::string& path, ServerOptions options);
// Starts the accept loops.
Server serve_on(std::function<void(Server::State&, Socket)> serve, std::vector<Socket> listeners,
                ServerOptions options, std::string unix_path);
// The transport of an accepted or connected socket (TCP_NODELAY on TCP, as asyncio).
std::shared_ptr<StreamTransport> socket_transport(Socket sock,
                                                  std::shared_ptr<BaseProtocol> protocol,
                                                  std::shared_ptr<ConnectionWatcher> watcher);
// The same, or with TLS over it when tls is given: then the transport returned is the TLS layer,
// and on_handshake is told how the handshake ended.
std::shared_ptr<Transport> connection_transport(Socket sock, std::shared_ptr<BaseProtocol> protocol,
                                                std::shared_ptr<ConnectionWatcher> watcher,
                                                const std::optional<TLSOptions>& tls,
                                                HandshakeCallback on_handshake = nullptr);
// A client's TLS options from create_connection's / open_connection's.
std::optional<TLSOptions> client_tls(const ConnectOptions& options, const std::string& host);
// A server's TLS options from create_server's / start_server's / connect_accepted_socket's.
std::optional<TLSOptions> server_tls(const ServerOptions& options);
// Waits for the handshake of a client's TLS connection made with connection_transport (whose
// on_handshake is the returned callback's), closing the connection if the wait is cancelled.
struct HandshakeWait {
    Future<> done;
    HandshakeCallback callback();
    Task<> wait(std::shared_ptr<Transport> transport);
};
}  // namespace detail
}  // namespace aio
