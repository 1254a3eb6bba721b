// asyncio.Server: what start_server() (streams) and create_server() (protocols) return. It
// listens on its sockets and serves each connection until it is closed.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio {

inline constexpr std::size_t kDefaultStreamLimit = 64 * 1024;  // asyncio's _DEFAULT_LIMIT

struct ServerOptions {
    int backlog = 100;
    bool reuse_port = false;
    std::size_t limit = kDefaultStreamLimit;  // streams only: the readers' limit
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
