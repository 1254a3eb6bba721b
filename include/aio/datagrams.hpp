// UDP with coroutines: an endpoint bound to a local address that sends and receives whole
// datagrams (asyncio offers this only through protocols, create_datagram_endpoint; the
// coroutine form follows its loop.sock_sendto/sock_recvfrom).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio {

class DatagramEndpoint {
  public:
    explicit DatagramEndpoint(Socket sock) noexcept : sock_(std::move(sock)) {}

    Task<> sendto(std::string_view data, const SocketAddress& to);
    // One datagram, cut to max_bytes, and who sent it.
    Task<std::pair<std::string, SocketAddress>> recvfrom(std::size_t max_bytes = 65536);
    SocketAddress local_address() const { return sock_.getsockname(); }
    Socket& socket() noexcept { return sock_; }
    void close() noexcept { sock_.close(); }

  private:
    Socket sock_;
};

// A UDP endpoint bound to host:port (resolved without blocking; port 0: any free port).
Task<DatagramEndpoint> open_datagram_endpoint(std::string host, std::uint16_t port);

}  // namespace aio
