// What a handler answers (aiohttp's web.Response and web.StreamResponse), and the exception that
// answers with a status (aiohttp's HTTPException family: raise it anywhere in a handler).
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "aio/http/headers.hpp"
#include "aio/task.hpp"

namespace aio::http {

namespace detail {
class ServerConnection;
}

// The reason phrase of a status code ("Not Found"); "Unknown" for codes without one.
std::string_view reason_phrase(int status) noexcept;

class StreamResponse;
class WebSocket;

// A whole response: status, fields and body. Content-Length, Date, Server and Connection are
// the server's to write (a handler's own Content-Length or Transfer-Encoding is ignored).
struct Response {
    int status = 200;
    std::string reason{};        // empty: reason_phrase(status); no CR or LF (else 500)
    std::string content_type{};  // the Content-Type field (empty: none), as aiohttp has it
    Headers headers{};
    std::string body{};

    Response() = default;
    // A text/plain body (type empty: no Content-Type field).
    explicit Response(std::string body_text, int status_code = 200,
                      std::string type = "text/plain; charset=utf-8");
    // application/json; the body is the caller's JSON text.
    static Response json(std::string json_text, int status_code = 200);
    // A handler that streamed its response (Request::prepare) returns the stream.
    Response(StreamResponse&& stream) noexcept;  // NOLINT: aiohttp returns the StreamResponse
    // A handler that took the connection over as a WebSocket returns that.
    Response(WebSocket&& websocket) noexcept;  // NOLINT: aiohttp returns the WebSocketResponse

    bool streamed() const noexcept { return streamed_; }

  private:
    bool streamed_ = false;
};

// aiohttp's StreamResponse, made by Request::prepare(head): the status line and fields are sent,
// then the body in pieces, chunked (unless the head set Content-Length: then exactly that many
// bytes, the connection being closed if fewer come). write() waits while the connection's send
// buffer is over its high-water mark, which is the back-pressure of a slow client; it raises
// ConnectionResetError once the client is gone.
class StreamResponse {
  public:
    StreamResponse(StreamResponse&&) noexcept = default;
    StreamResponse& operator=(StreamResponse&&) noexcept = default;
    ~StreamResponse();

    Task<> write(std::string data);
    // count bytes of the open file fd from offset, by sendfile(2) (a copy through memory on a
    // TLS connection); the head must have set a Content-Length.
    Task<> sendfile(int fd, std::uint64_t offset, std::uint64_t count);
    // The end of the body (the last chunk); idempotent. Done for the handler if it returns
    // without calling it.
    Task<> write_eof();

  private:
    friend class Request;
    friend class detail::ServerConnection;
    explicit StreamResponse(std::shared_ptr<detail::ServerConnection> connection) noexcept;
    std::shared_ptr<detail::ServerConnection> connection_;
};

// Thrown from a handler: the response is this status with the text as a text/plain body
// (empty: the reason phrase). aiohttp's web.HTTPException (HTTPNotFound is HTTPException(404)).
class HTTPException : public std::runtime_error {
  public:
    explicit HTTPException(int status, std::string text = {});
    int status() const noexcept { return status_; }
    const std::string& text() const noexcept { return text_; }

  private:
    int status_;
    std::string text_;
};

}  // namespace aio::http
