#include "aio/connections.hpp"

#include <fcntl.h>

#include <cerrno>
#include <system_error>

#include "aio/dns.hpp"
#include "servers.hpp"
#include "stream_transport.hpp"

namespace aio {

Task<Socket> detail::connect_any(std::vector<SocketAddress> addresses) {
    // asyncio: every address in turn; if all fail, their common error, else a summary.
    std::vector<std::system_error> errors;
    for (const auto& address : addresses) {
        try {
            auto sock = Socket::create(address.family());
            co_await sock_connect(sock, address);
            co_return sock;
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

namespace {

Connection make_connection(Socket sock, const ProtocolFactory& factory) {
    auto protocol = factory();
    auto transport = detail::socket_transport(std::move(sock), protocol, nullptr);
    return {std::move(transport), std::move(protocol)};
}

Connection make_pipe_connection(int fd, detail::StreamTransport::Kind kind,
                                const ProtocolFactory& factory) {
    Socket owned(fd);
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        owned.release();
        throw std::system_error(errno, std::generic_category(), "pipe");
    }
    auto protocol = factory();
    auto transport = detail::StreamTransport::create(std::move(owned), kind, protocol);
    return {std::move(transport), std::move(protocol)};
}

std::function<void(Server::State&, Socket)> serve_protocol(ProtocolFactory factory) {
    return [factory = std::move(factory)](Server::State& st, Socket conn) {
        auto transport =
            detail::socket_transport(std::move(conn), factory(), st.shared_from_this());
        st.clients.insert(transport.get());
    };
}

}  // namespace

Task<Connection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port) {
    std::vector<SocketAddress> addresses;
    for (auto& info : co_await getaddrinfo(host, port, AddressHints{.type = SOCK_STREAM}))
        addresses.push_back(info.address);
    Socket sock = co_await detail::connect_any(std::move(addresses));
    co_return make_connection(std::move(sock), factory);
}

Task<Connection> create_unix_connection(ProtocolFactory factory, std::string path) {
    std::vector<SocketAddress> addresses{SocketAddress::from_path(path)};
    Socket sock = co_await detail::connect_any(std::move(addresses));
    co_return make_connection(std::move(sock), factory);
}

Task<Connection> connect_accepted_socket(ProtocolFactory factory, Socket sock) {
    co_return make_connection(std::move(sock), factory);
}

Task<Connection> connect_read_pipe(ProtocolFactory factory, int fd) {
    co_return make_pipe_connection(fd, detail::StreamTransport::Kind::read_pipe, factory);
}

Task<Connection> connect_write_pipe(ProtocolFactory factory, int fd) {
    co_return make_pipe_connection(fd, detail::StreamTransport::Kind::write_pipe, factory);
}

Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port) {
    return create_server(std::move(factory), std::move(host), port, ServerOptions{});
}

Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                           ServerOptions options) {
    auto listeners = co_await detail::listen_tcp(host, port, options);
    co_return detail::serve_on(serve_protocol(std::move(factory)), std::move(listeners), options,
                               {});
}

Task<Server> create_unix_server(ProtocolFactory factory, std::string path) {
    return create_unix_server(std::move(factory), std::move(path), ServerOptions{});
}

Task<Server> create_unix_server(ProtocolFactory factory, std::string path, ServerOptions options) {
    auto listeners = detail::listen_unix(path, options);
    co_return detail::serve_on(serve_protocol(std::move(factory)), std::move(listeners), options,
                               path[0] != '\0' ? path : std::string());
}

}  // namespace aio
