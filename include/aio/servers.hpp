// asyncio.Server: what start_server() (streams) and create_server() (protocols) return. It
// listens on its sockets and serves each connection until it is closed.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "aio/sockets.hpp"
#include "aio/ssl.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio {

inline constexpr std::size_t kDefaultStreamLimit = 64 * 1024;  // asyncio's _DEFAULT_LIMIT

// Trivially destructible, to be written in place (see aio::ConnectOptions).
struct ServerOptions {
    int backlog = 100;
    bool reuse_port = false;
    std::size_t limit = kDefaultStreamLimit;  // streams only: the readers' limit
    // TLS: each connection is a server-side handshake with this context first; a handler (or
    // the protocol's connection_made) starts once it has succeeded. A handshake that fails or
    // takes longer than ssl_handshake_timeout ends the connection quietly, as asyncio does.
    // `.ssl = &ctx`; the server keeps its own copy of the handle.
    const ssl::SSLContext* ssl = nullptr;
    Duration ssl_handshake_timeout = std::chrono::seconds(60);
    // How long close() waits for the close_notify and the rest to be taken before aborting.
    Duration ssl_shutdown_timeout = std::chrono::seconds(30);
};

class Server {
  public:
    struct State;
    explicit Server(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}

    // Serves until cancelled (closing the server then).
    Task<> serve_forever();
    // Stops listening; connections already accepted go on.
    void close();
    // 3.13: closes every client connection too (close_clients after their buffers are flushed,
    // abort_clients at once).
    void close_clients();
    void abort_clients();
    // Waits until the server is closed, every connection is closed and every handler is done.
    Task<> wait_closed();
    bool is_serving() const noexcept;
    // The listening sockets' addresses.
    std::vector<SocketAddress> sockets() const;

  private:
    std::shared_ptr<State> state_;
};

}  // namespace aio
