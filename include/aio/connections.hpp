// The loop calls that make transports (asyncio's loop.create_connection, create_server, their
// Unix variants, connect_accepted_socket, connect_read_pipe and connect_write_pipe). Each takes a
// protocol factory, as asyncio does, and gives the transport and the protocol it made:
//
//   auto [transport, protocol] = co_await aio::create_connection(
//       [] { return std::make_shared<EchoClient>(); }, "127.0.0.1", 8888);
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aio/protocols.hpp"
#include "aio/servers.hpp"
#include "aio/sockets.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"
#include "aio/transports.hpp"

namespace aio {

using ProtocolFactory = std::function<std::shared_ptr<BaseProtocol>()>;

// What asyncio's calls return as (transport, protocol).
template <class TransportType>
struct ConnectionOf {
    std::shared_ptr<TransportType> transport;
    std::shared_ptr<BaseProtocol> protocol;
    // The protocol as the type the factory made (null if it is not one).
    template <class P>
    std::shared_ptr<P> protocol_as() const {
        return std::dynamic_pointer_cast<P>(protocol);
    }
};
using Connection = ConnectionOf<Transport>;
using DatagramConnection = ConnectionOf<DatagramTransport>;

// asyncio's (host, port) address tuple; for AF_UNIX, host is the socket's path.
struct HostPort {
    std::string host{};
    std::uint16_t port = 0;
};

// loop.create_datagram_endpoint's keyword arguments. (GCC 12 destroys a braced aggregate
// temporary with non-trivial members twice when it is an argument inside a coroutine's co_await
// expression: with that compiler, name the options first, `aio::DatagramOptions o{...};`.)
struct DatagramOptions {
    std::optional<HostPort> local_addr{};   // bind here ("": every interface; port 0: any)
    std::optional<HostPort> remote_addr{};  // connect here: sendto() without an address
    int family = AF_UNSPEC;                 // AF_UNIX: local_addr / remote_addr are paths
    int proto = 0;
    int flags = 0;  // getaddrinfo's
    bool reuse_port = false;
    bool allow_broadcast = false;
};

// create_connection's and open_connection's keyword arguments (asyncio's names). Trivially
// destructible, so that they can be written in place, `{.happy_eyeballs_delay = 250ms}` (g++ 12
// destroys a braced temporary with destructors twice inside a co_await): hence a pointer to the
// SSL context and a view of the host name, which must stay valid until the call has started
// (the call copies them before it first waits).
struct ConnectOptions {
    int family = AF_UNSPEC;  // getaddrinfo's hints
    int proto = 0;
    int flags = 0;
    // Bind here before connecting (a numeric address; port 0: any). Addresses of another family
    // are skipped: "no matching local address".
    std::optional<SocketAddress> local_addr{};
    // RFC 8305 Happy Eyeballs: the next address is tried when this long has passed without an
    // answer (or at once when an attempt fails); the first connection wins, the others are
    // cancelled. None: one address after another. (asyncio suggests 250 ms.)
    std::optional<Duration> happy_eyeballs_delay{};
    // Reorders the addresses by family: this many of the first family, then one of each in turn
    // (0: 1 with Happy Eyeballs, else the resolver's order).
    int interleave = 0;
    // All attempts failed: an ExceptionGroup of every error, not one summary std::system_error.
    bool all_errors = false;
    // TLS over the connection (aio/ssl.hpp), `.ssl = &ctx`: the call returns once the handshake
    // has succeeded, and raises its error (ssl::SSLCertVerificationError, ssl::SSLError,
    // TimeoutError) if not.
    const ssl::SSLContext* ssl = nullptr;
    // The name the certificate must be valid for, sent as SNI; empty: the host connected to.
    std::string_view server_hostname{};
    Duration ssl_handshake_timeout = std::chrono::seconds(60);
    Duration ssl_shutdown_timeout = std::chrono::seconds(30);
};

// loop.create_connection(factory, host, port): resolves host (without blocking the loop) and
// tries each address in turn; std::system_error if none answers (their common error, or
// "Multiple exceptions: ..."), GaiError if the name does not resolve.
Task<Connection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port);
Task<Connection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port,
                                   ConnectOptions options);
// create_connection(sock=...): a socket connected some other way. Of the options only the TLS
// ones apply (with ssl and a context that checks host names, server_hostname is needed).
Task<Connection> create_connection(ProtocolFactory factory, Socket sock);
Task<Connection> create_connection(ProtocolFactory factory, Socket sock, ConnectOptions options);
// loop.create_unix_connection(factory, path); of the options only the TLS ones apply.
Task<Connection> create_unix_connection(ProtocolFactory factory, std::string path);
Task<Connection> create_unix_connection(ProtocolFactory factory, std::string path,
                                        ConnectOptions options);
// loop.connect_accepted_socket(factory, sock): a socket accepted some other way. Of the options
// only the TLS ones apply: with ssl, the server's side of the handshake runs first and its error
// is raised (the connection is then closed).
Task<Connection> connect_accepted_socket(ProtocolFactory factory, Socket sock);
Task<Connection> connect_accepted_socket(ProtocolFactory factory, Socket sock,
                                         ServerOptions options);
// loop.connect_read_pipe / connect_write_pipe: the transport adopts fd (made non-blocking) and
// closes it when it closes.
Task<Connection> connect_read_pipe(ProtocolFactory factory, int fd);
Task<Connection> connect_write_pipe(ProtocolFactory factory, int fd);

// loop.create_datagram_endpoint(factory, local_addr=..., remote_addr=..., ...): a UDP (or Unix
// datagram) socket for a DatagramProtocol. Each local/remote address pair the names resolve to
// (same family) is tried in turn; the last error if none works; std::invalid_argument with
// neither address nor family. For AF_UNIX a stale socket file at local_addr is replaced.
Task<DatagramConnection> create_datagram_endpoint(ProtocolFactory factory, DatagramOptions options);
// create_datagram_endpoint(sock=...): a datagram socket made some other way (std::invalid_argument
// for any other kind); connected if it has a peer.
Task<DatagramConnection> create_datagram_endpoint(ProtocolFactory factory, Socket sock);

// loop.create_server(factory, host, port): listens on every address host resolves to ("": all
// interfaces; port 0: any free port); each accepted connection gets a protocol from factory.
Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port);
Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                           ServerOptions options);
// loop.create_unix_server(factory, path): a stale socket file at path is replaced; the file is
// removed when the server closes.
Task<Server> create_unix_server(ProtocolFactory factory, std::string path);
Task<Server> create_unix_server(ProtocolFactory factory, std::string path, ServerOptions options);

// loop.start_tls(transport, protocol, sslcontext, ...): TLS over a connection that is already
// open (STARTTLS): the handshake runs over `transport`, whose protocol becomes the TLS layer;
// the returned transport carries protocol's bytes from then on, and `transport` must not be
// used directly again. protocol does not get connection_made a second time. Raises the
// handshake's error (the connection is then closed), as create_connection does.
Task<std::shared_ptr<Transport>> start_tls(std::shared_ptr<Transport> transport,
                                           std::shared_ptr<BaseProtocol> protocol,
                                           ssl::SSLContext sslcontext,
                                           ssl::StartTLSOptions options);
Task<std::shared_ptr<Transport>> start_tls(std::shared_ptr<Transport> transport,
                                           std::shared_ptr<BaseProtocol> protocol,
                                           ssl::SSLContext sslcontext);

namespace detail {
// Resolves host for a stream connection, in the order the options ask for (interleave).
Task<std::vector<SocketAddress>> resolve_stream(std::string host, std::uint16_t port,
                                                ConnectOptions options);
// asyncio's _interleave_addrinfos: `first_family_count` addresses of the first family, then
// one of each family in turn.
std::vector<SocketAddress> interleave_addresses(std::vector<SocketAddress> addresses,
                                                int first_family_count);
// Connects to the addresses (in turn, or staggered with Happy Eyeballs) until one answers;
// asyncio's error rules when none does.
Task<Socket> connect_any(std::vector<SocketAddress> addresses, ConnectOptions options);
Task<Socket> connect_any(std::vector<SocketAddress> addresses);
}  // namespace detail

}  // namespace aio
