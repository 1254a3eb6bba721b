#include "aio/connections.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "aio/dns.hpp"
#include "backend/sys.hpp"
#include "datagram_transport.hpp"
#include "servers.hpp"
#include "stream_transport.hpp"

namespace aio {

namespace {

Connection make_connection(Socket sock, const ProtocolFactory& factory) {
    auto protocol = factory();
    auto transport = detail::socket_transport(std::move(sock), protocol, nullptr);
    return {std::move(transport), std::move(protocol)};
}

Connection make_pipe_connection(int fd, detail::StreamTransport::Kind kind,
                                const ProtocolFactory& factory) {
    Socket owned(fd);
    if (const int err = detail::sys::adopt_fd(fd); err < 0) {
        owned.release();
        throw std::system_error(-err, std::generic_category(), "pipe");
    }
    auto protocol = factory();
    auto transport = detail::StreamTransport::create(std::move(owned), kind, protocol);
    return {std::move(transport), std::move(protocol)};
}

// The connection over a connected socket, with TLS over it if asked (once its handshake is done).
Task<Connection> connect_over(Socket sock, ProtocolFactory factory,
                              std::optional<detail::TLSOptions> tls) {
    if (!tls) co_return make_connection(std::move(sock), factory);
    auto protocol = factory();
    detail::HandshakeWait handshake;
    auto transport =
        detail::connection_transport(std::move(sock), protocol, nullptr, tls, handshake.callback());
    co_await handshake.wait(transport);
    co_return Connection{std::move(transport), std::move(protocol)};
}

std::function<void(Server::State&, Socket)> serve_protocol(ProtocolFactory factory) {
    return [factory = std::move(factory)](Server::State& st, Socket conn) {
        detail::connection_transport(std::move(conn), factory(), st.shared_from_this(), st.tls);
    };
}

DatagramConnection make_datagram_connection(Socket sock, const ProtocolFactory& factory,
                                            std::optional<SocketAddress> remote) {
    auto protocol = factory();
    auto transport =
        detail::DatagramSocketTransport::create(std::move(sock), protocol, std::move(remote));
    return {std::move(transport), std::move(protocol)};
}

std::optional<SocketAddress> unix_path(const std::optional<HostPort>& addr) {
    if (!addr) return std::nullopt;
    if (addr->port != 0) throw std::invalid_argument("an AF_UNIX address is a path, not a port");
    return SocketAddress::from_path(addr->host);
}

// Each family's first local and first remote address, in the order the families came.
struct AddressPair {
    int family;
    std::optional<SocketAddress> local, remote;
};

Task<std::vector<AddressPair>> resolve_pairs(const DatagramOptions& o) {
    std::vector<AddressPair> pairs;
    auto pair_of = [&](int family) -> AddressPair& {
        for (auto& p : pairs)
            if (p.family == family) return p;
        return pairs.emplace_back(AddressPair{family, {}, {}});
    };
    const AddressHints hints{
        .family = o.family, .type = SOCK_DGRAM, .protocol = o.proto, .flags = o.flags};
    if (o.local_addr)
        for (auto& info : co_await getaddrinfo(o.local_addr->host, o.local_addr->port, hints))
            if (auto& p = pair_of(info.family); !p.local) p.local = info.address;
    if (o.remote_addr)
        for (auto& info : co_await getaddrinfo(o.remote_addr->host, o.remote_addr->port, hints))
            if (auto& p = pair_of(info.family); !p.remote) p.remote = info.address;
    // A family with only one of the two asked-for addresses cannot be used.
    std::erase_if(pairs, [&](const AddressPair& p) {
        return (o.local_addr && !p.local) || (o.remote_addr && !p.remote);
    });
    if (pairs.empty()) throw std::invalid_argument("can not get address information");
    co_return pairs;
}

Socket datagram_socket(int family, const DatagramOptions& o) {
    auto sock = Socket::create(family, SOCK_DGRAM, family == AF_UNIX ? 0 : o.proto);
    if (o.reuse_port) sock.set_option(SOL_SOCKET, SO_REUSEPORT, 1);
    if (o.allow_broadcast) sock.set_option(SOL_SOCKET, SO_BROADCAST, 1);
    return sock;
}

}  // namespace

Task<DatagramConnection> create_datagram_endpoint(ProtocolFactory factory, DatagramOptions o) {
    if (o.family == AF_UNIX) {
        const auto local = unix_path(o.local_addr);
        const auto remote = unix_path(o.remote_addr);
        auto sock = datagram_socket(AF_UNIX, o);
        if (local) {
            detail::remove_stale_socket(o.local_addr->host);
            sock.bind(*local);
        }
        if (remote) co_await sock_connect(sock, *remote);
        co_return make_datagram_connection(std::move(sock), factory, remote);
    }
    if (!o.local_addr && !o.remote_addr) {
        if (o.family == AF_UNSPEC) throw std::invalid_argument("unexpected address family");
        co_return make_datagram_connection(datagram_socket(o.family, o), factory, std::nullopt);
    }
    std::exception_ptr last_error;
    for (const AddressPair& pair : co_await resolve_pairs(o)) {
        try {
            auto sock = datagram_socket(pair.family, o);
            if (pair.local) sock.bind(*pair.local);
            if (pair.remote) co_await sock_connect(sock, *pair.remote);
            co_return make_datagram_connection(std::move(sock), factory, pair.remote);
        } catch (const std::system_error&) {
            last_error = std::current_exception();
        }
    }
    std::rethrow_exception(last_error);
}

Task<DatagramConnection> create_datagram_endpoint(ProtocolFactory factory, Socket sock) {
    if (!sock || sock.get_option(SOL_SOCKET, SO_TYPE) != SOCK_DGRAM)
        throw std::invalid_argument("A datagram socket was expected");
    std::optional<SocketAddress> remote;
    try {
        remote = sock.getpeername();
    } catch (const std::system_error&) {  // ENOTCONN: not connected
    }
    co_return make_datagram_connection(std::move(sock), factory, std::move(remote));
}

Task<Connection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port) {
    const ConnectOptions defaults;  // (named: see connect_any)
    return create_connection(std::move(factory), std::move(host), port, defaults);
}

Task<Connection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                   ConnectOptions options) {
    auto tls = detail::client_tls(options, host);
    auto addresses = co_await detail::resolve_stream(std::move(host), port, options);
    Socket sock = co_await detail::connect_any(std::move(addresses), options);
    co_return co_await connect_over(std::move(sock), factory, std::move(tls));
}

Task<Connection> create_connection(ProtocolFactory factory, Socket sock) {
    co_return make_connection(std::move(sock), factory);
}

Task<Connection> create_connection(ProtocolFactory factory, Socket sock, ConnectOptions options) {
    auto tls = detail::client_tls(options, {});
    co_return co_await connect_over(std::move(sock), factory, std::move(tls));
}

Task<Connection> create_unix_connection(ProtocolFactory factory, std::string path) {
    const ConnectOptions defaults;  // (named: see connect_any)
    return create_unix_connection(std::move(factory), std::move(path), defaults);
}

Task<Connection> create_unix_connection(ProtocolFactory factory, std::string path,
                                        ConnectOptions options) {
    auto tls = detail::client_tls(options, {});
    std::vector<SocketAddress> addresses{SocketAddress::from_path(path)};
    Socket sock = co_await detail::connect_any(std::move(addresses));
    co_return co_await connect_over(std::move(sock), factory, std::move(tls));
}

Task<Connection> connect_accepted_socket(ProtocolFactory factory, Socket sock) {
    co_return make_connection(std::move(sock), factory);
}

Task<Connection> connect_accepted_socket(ProtocolFactory factory, Socket sock,
                                         ServerOptions options) {
    auto tls = detail::server_tls(options);
    co_return co_await connect_over(std::move(sock), factory, std::move(tls));
}

Task<Connection> connect_read_pipe(ProtocolFactory factory, int fd) {
    co_return make_pipe_connection(fd, detail::StreamTransport::Kind::read_pipe, factory);
}

Task<Connection> connect_write_pipe(ProtocolFactory factory, int fd) {
    co_return make_pipe_connection(fd, detail::StreamTransport::Kind::write_pipe, factory);
}

Task<std::shared_ptr<Transport>> start_tls(std::shared_ptr<Transport> transport,
                                           std::shared_ptr<BaseProtocol> protocol,
                                           ssl::SSLContext sslcontext) {
    const ssl::StartTLSOptions defaults;  // (named: see connect_any)
    return start_tls(std::move(transport), std::move(protocol), std::move(sslcontext), defaults);
}

Task<std::shared_ptr<Transport>> start_tls(std::shared_ptr<Transport> transport,
                                           std::shared_ptr<BaseProtocol> protocol,
                                           ssl::SSLContext sslcontext,
                                           ssl::StartTLSOptions options) {
    if (!transport || transport->is_closing())
        throw RuntimeError("start_tls: the transport is closed");
    detail::TLSOptions tls{std::move(sslcontext),
                           options.server_side,
                           std::string(options.server_hostname),
                           options.ssl_handshake_timeout,
                           options.ssl_shutdown_timeout,
                           false};
    detail::HandshakeWait handshake;
    auto secure =
        detail::SSLTransport::create(std::move(protocol), std::move(tls), handshake.callback());
    transport->set_protocol(secure);
    secure->connection_made(*transport);
    co_await handshake.wait(secure);
    co_return secure;
}

Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port) {
    const ServerOptions defaults;
    return create_server(std::move(factory), std::move(host), port, defaults);
}

Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                           ServerOptions options) {
    auto listeners = co_await detail::listen_tcp(host, port, options);
    co_return detail::serve_on(serve_protocol(std::move(factory)), std::move(listeners), options,
                               {});
}

Task<Server> create_unix_server(ProtocolFactory factory, std::string path) {
    const ServerOptions defaults;
    return create_unix_server(std::move(factory), std::move(path), defaults);
}

Task<Server> create_unix_server(ProtocolFactory factory, std::string path, ServerOptions options) {
    auto listeners = detail::listen_unix(path, options);
    co_return detail::serve_on(serve_protocol(std::move(factory)), std::move(listeners), options,
                               path[0] != '\0' ? path : std::string());
}

}  // namespace aio
