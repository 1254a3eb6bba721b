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
#include <string>

#include "aio/protocols.hpp"
#include "aio/servers.hpp"
#include "aio/sockets.hpp"
#include "aio/task.hpp"
#include "aio/transports.hpp"

namespace aio {

using ProtocolFactory = std::function<std::shared_ptr<BaseProtocol>()>;

struct Connection {
    std::shared_ptr<Transport> transport;
    std::shared_ptr<BaseProtocol> protocol;
    // The protocol as the type the factory made (null if it is not one).
    template <class P>
    std::shared_ptr<P> protocol_as() const {
        return std::dynamic_pointer_cast<P>(protocol);
    }
};

// loop.create_connection(factory, host, port): resolves host (without blocking the loop) and
// tries each address in turn; std::system_error if none answers (their common error, or
// "Multiple exceptions: ..."), GaiError if the name does not resolve.
Task<Connection> create_connection(ProtocolFactory factory, std::string host, std::uint16_t port);
// loop.create_unix_connection(factory, path).
Task<Connection> create_unix_connection(ProtocolFactory factory, std::string path);
// loop.connect_accepted_socket(factory, sock): a socket connected some other way.
Task<Connection> connect_accepted_socket(ProtocolFactory factory, Socket sock);
// loop.connect_read_pipe / connect_write_pipe: the transport adopts fd (made non-blocking) and
// closes it when it closes.
Task<Connection> connect_read_pipe(ProtocolFactory factory, int fd);
Task<Connection> connect_write_pipe(ProtocolFactory factory, int fd);

// loop.create_server(factory, host, port): listens on every address host resolves to ("": all
// interfaces; port 0: any free port); each accepted connection gets a protocol from factory.
Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port);
Task<Server> create_server(ProtocolFactory factory, std::string host, std::uint16_t port,
                           ServerOptions options);
// loop.create_unix_server(factory, path): a stale socket file at path is replaced; the file is
// removed when the server closes.
Task<Server> create_unix_server(ProtocolFactory factory, std::string path);
Task<Server> create_unix_server(ProtocolFactory factory, std::string path, ServerOptions options);

namespace detail {
// Connects to each address in turn until one answers (asyncio's error rules).
Task<Socket> connect_any(std::vector<SocketAddress> addresses);
}  // namespace detail

}  // namespace aio
