// The HTTP client (aiohttp's ClientSession): requests over a pool of kept-alive connections
// (at most `limit` in use at once, `limit_per_host` to one host), redirects followed, bodies
// read whole or as they arrive, gzip and deflate undone, https verified by default, and
// WebSocket connections (ws_connect).
//
//   aio::http::ClientSession session;
//   auto response = co_await session.get("http://127.0.0.1:8080/json");
//   std::string body = co_await response.text();
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "aio/http/headers.hpp"
#include "aio/http/request.hpp"
#include "aio/http/url.hpp"
#include "aio/http/websocket.hpp"
#include "aio/ssl.hpp"
#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio::http {

class ClientResponse;
namespace detail {
class Body;
struct SessionState;
struct PoolLease;
void attach(ClientResponse& response, std::shared_ptr<Body> body,
            std::shared_ptr<PoolLease> lease) noexcept;
}  // namespace detail

// aiohttp's exceptions.
class ClientError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};
class ClientConnectorError : public ClientError {  // the connection could not be made
    using ClientError::ClientError;
};
class ServerDisconnectedError : public ClientError {  // it closed before the response was whole
    using ClientError::ClientError;
};
class ClientPayloadError : public ClientError {  // a body that cannot be read or decoded
    using ClientError::ClientError;
};
class TooManyRedirects : public ClientError {
    using ClientError::ClientError;
};
class WSServerHandshakeError : public ClientError {  // the server did not accept the WebSocket
    using ClientError::ClientError;
};

// aiohttp's ClientTimeout: total (the whole request: waiting for a connection, connecting,
// redirects, and reading the response to its last byte), connect, and sock_read (each wait for
// data, head or body). Past one: aio::TimeoutError. None: no limit.
struct ClientTimeout {
    std::optional<Duration> total = std::chrono::seconds(300);
    std::optional<Duration> connect{};
    std::optional<Duration> sock_read{};
};

struct ClientOptions {
    ClientTimeout timeout{};
    std::size_t limit = 100;         // connections in use at once (0: no limit)
    std::size_t limit_per_host = 0;  // to one (scheme, host, port) (0: no limit)
    int max_redirects = 10;
    bool auto_decompress = true;  // gzip / deflate bodies decoded (Accept-Encoding sent)
    // https: this context (a copy is kept); none: ssl::create_default_context(), which
    // verifies the server's certificate and name.
    std::optional<ssl::SSLContext> ssl{};
    Headers headers{};  // sent with every request
};

// One request's options (named first: g++ 12 and braced temporaries inside co_await).
struct RequestOptions {
    Headers headers{};
    std::string body{};  // sent with Content-Length
    bool allow_redirects = true;
};

// aiohttp's ClientResponse: the head at once, the body when read. The connection goes back to
// the pool once the body has been read to its end; a response dropped before that closes it.
class ClientResponse {
  public:
    int status = 0;
    std::string reason;
    Headers headers;
    URL url;                // the last one, after redirects
    int version_minor = 1;  // HTTP/1.x
    int redirects = 0;      // how many were followed

    ClientResponse();
    ClientResponse(ClientResponse&&) noexcept;
    ClientResponse& operator=(ClientResponse&&) noexcept;
    ~ClientResponse();

    // The whole body, decoded (aiohttp's read() / text()).
    Task<std::string> read();
    Task<std::string> text() { return read(); }
    // The body as it arrives (aiohttp's response.content).
    BodyReader content() const noexcept { return BodyReader(body_); }
    // ClientResponseError (a ClientError with the status) for a 4xx or 5xx status.
    void raise_for_status() const;
    // Lets the connection go now (closed if the body was not read to its end).
    void release();

  private:
    friend void detail::attach(ClientResponse&, std::shared_ptr<detail::Body>,
                               std::shared_ptr<detail::PoolLease>) noexcept;
    std::shared_ptr<detail::Body> body_;
    std::shared_ptr<detail::PoolLease> lease_;
};

class ClientResponseError : public ClientError {
  public:
    ClientResponseError(int status, const std::string& message)
        : ClientError(message), status_(status) {}
    int status() const noexcept { return status_; }

  private:
    int status_;
};

class ClientSession {
  public:
    ClientSession();
    explicit ClientSession(ClientOptions options);
    ClientSession(ClientSession&&) noexcept;
    ClientSession& operator=(ClientSession&&) noexcept;
    // Closes the idle connections (close() first to wait for nothing else).
    ~ClientSession();

    Task<ClientResponse> get(std::string url);
    Task<ClientResponse> get(std::string url, RequestOptions options);
    Task<ClientResponse> post(std::string url, std::string body);
    Task<ClientResponse> post(std::string url, RequestOptions options);
    Task<ClientResponse> request(std::string method, std::string url, RequestOptions options);
    // A WebSocket to a ws:// or wss:// URL (its own connection, not pooled).
    Task<WebSocket> ws_connect(std::string url);
    Task<WebSocket> ws_connect(std::string url, WebSocketOptions options);
    // Closes the idle connections; later requests raise RuntimeError.
    Task<> close();
    // Connections idle in the pool now.
    std::size_t idle_connections() const noexcept;

  private:
    std::shared_ptr<detail::SessionState> state_;
};

}  // namespace aio::http
