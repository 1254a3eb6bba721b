// The HTTP/1.1 server (aiohttp's web.AppRunner + TCPSite in one call): each connection is a
// protocol on its transport that parses requests with llhttp, runs the application's handlers
// one request after another, and writes the responses in the order the requests came
// (pipelining), keeping the connection alive between them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aio/http/application.hpp"
#include "aio/servers.hpp"
#include "aio/sockets.hpp"
#include "aio/ssl.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio::http {

// Trivially destructible, to be written in place (see aio::ConnectOptions).
struct ServerOptions {
    // Limits, each answered with its status and the connection closed: a request line longer
    // than this (414), a header field longer than this or more fields than this (431), a body
    // longer than this (413, as soon as Content-Length says so or the bytes pass it).
    std::size_t max_request_line = 8190;
    std::size_t max_field_size = 8190;
    std::size_t max_headers = 100;
    std::size_t max_body_size = 1024 * 1024;
    // The head of a request must have arrived this long after its first byte (else 408,
    // against slowloris); an idle kept-alive connection is closed after keep_alive_timeout; a
    // handler waiting this long for more of a body gets HTTPException(408).
    Duration header_timeout = std::chrono::seconds(10);
    Duration keep_alive_timeout = std::chrono::seconds(75);
    Duration body_timeout = std::chrono::seconds(60);
    int backlog = 1024;
    bool reuse_port = false;
    // https: `.ssl = &ctx` (aio/ssl.hpp).
    const ssl::SSLContext* ssl = nullptr;
};

class Server {
  public:
    struct State;
    explicit Server(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}

    std::vector<SocketAddress> sockets() const;
    // Serves until cancelled; then shuts down as shutdown() does, with a 0 s grace.
    Task<> serve_forever();
    // Graceful shutdown: stops accepting, closes the idle connections, lets the requests in
    // progress finish (their connections close after the response) for up to `grace`, then
    // closes whatever is left.
    Task<> shutdown(Duration grace = std::chrono::seconds(10));
    // Connections open now.
    std::size_t connection_count() const noexcept;

  private:
    std::shared_ptr<State> state_;
};

// Listens on host:port ("" for every interface, port 0 for any free one) and serves `app`.
Task<Server> serve(Application app, std::string host, std::uint16_t port);
Task<Server> serve(Application app, std::string host, std::uint16_t port, ServerOptions options);

}  // namespace aio::http
