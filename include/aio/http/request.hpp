// A request as a handler sees it (aiohttp's web.Request): method, target, version, fields, the
// path parameters its route matched, and the body, read whole or as it arrives.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aio/http/headers.hpp"
#include "aio/http/response.hpp"
#include "aio/http/websocket.hpp"
#include "aio/sockets.hpp"
#include "aio/task.hpp"

namespace aio::http {

namespace detail {
class Body;
}

// A request's body as it arrives (aiohttp's request.content). Reading it is what sends the
// "100 Continue" a client that asked for one waits for; reads past the server's body limit
// raise HTTPException(413); a body cut short by the client raises ConnectionResetError.
class BodyReader {
  public:
    explicit BodyReader(std::shared_ptr<detail::Body> body) noexcept : body_(std::move(body)) {}
    // Up to n bytes, as many as have arrived (waiting when none have); "" at the end.
    // n < 0: everything to the end.
    Task<std::string> read(long n = -1);
    // Whatever has arrived (waiting for some); "" at the end.
    Task<std::string> readany() { return read(1L << 30); }
    // True once the whole body has been read.
    bool at_eof() const noexcept;

  private:
    std::shared_ptr<detail::Body> body_;
};

class Request {
  public:
    std::string method;  // "GET", as sent
    std::string target;  // the request-target, as sent ("/a/b?x=1", or absolute-form)
    int version_major = 1;
    int version_minor = 1;
    Headers headers;
    // The route's path parameters ("/users/{id}" matched by "/users/7": {"id", "7"}).
    std::vector<std::pair<std::string, std::string>> match_info;

    // The target's path ("/a/b"; of an absolute-form target, its path), still percent-encoded.
    std::string_view path() const noexcept;
    // What follows '?' ("" without one).
    std::string_view query_string() const noexcept;
    // The first value of a query parameter, percent-decoded ('+' as a space); nullopt if absent.
    std::optional<std::string> query(std::string_view name) const;
    // A path parameter's value; "" if the route has none of that name.
    std::string_view param(std::string_view name) const noexcept;
    // Content-Length, when the request has one.
    std::optional<std::uint64_t> content_length() const noexcept;
    // Whether the connection may serve another request after this one.
    bool keep_alive() const noexcept { return keep_alive_; }
    // The client's address.
    const SocketAddress& remote() const noexcept;

    // The body as it arrives; read() / text(): all of it (aiohttp's request.read()/text()).
    BodyReader content() const noexcept { return BodyReader(body_); }
    Task<std::string> read() const { return content().read(); }
    Task<std::string> text() const { return content().read(); }

    // Sends the head of a streamed response (aiohttp's StreamResponse.prepare(request)): the
    // handler then writes the body with the returned stream and returns it.
    Task<StreamResponse> prepare(Response head);
    // Accepts a WebSocket upgrade (aiohttp's WebSocketResponse().prepare(request)): checks the
    // handshake (HTTPException 400, or 426 for a version other than 13), answers 101, and the
    // connection speaks WebSocket from then on. The handler returns the WebSocket when it is
    // done with it (it is closed then, with 1000, if still open).
    Task<WebSocket> websocket();
    Task<WebSocket> websocket(WebSocketOptions options);

  private:
    friend class detail::ServerConnection;
    std::shared_ptr<detail::Body> body_;
    detail::ServerConnection* connection_ = nullptr;  // (it outlives the handler's run)
    bool keep_alive_ = true;
};

}  // namespace aio::http
