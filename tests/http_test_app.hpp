// The application the HTTP server's tests serve: a route for each behaviour they check.
#pragma once
#include <zlib.h>
#include <cstdlib>

#include <string>

#include "aio/aio.hpp"
#include "aio/http.hpp"

namespace aio_test {

namespace http = aio::http;

inline aio::Task<http::Response> hello(http::Request& request) {
    co_return http::Response("Hello, " + std::string(request.param("name")));
}

inline aio::Task<http::Response> echo_body(http::Request& request) {
    std::string body = co_await request.read();
    co_return http::Response(std::move(body));
}

// Reads the body as it arrives, counting.
inline aio::Task<http::Response> count_body(http::Request& request) {
    std::size_t n = 0, pieces = 0;
    auto content = request.content();
    while (true) {
        std::string piece = co_await content.readany();
        if (piece.empty()) break;
        n += piece.size();
        ++pieces;
    }
    co_return http::Response(std::to_string(n));
}

inline aio::Task<http::Response> slow(http::Request& request) {
    const int ms = std::atoi(std::string(request.param("ms")).c_str());
    co_await aio::sleep(std::chrono::milliseconds(ms));
    co_return http::Response("slept " + std::to_string(ms));
}

inline aio::Task<http::Response> fail(http::Request&) {
    throw std::runtime_error("handler bug");
    co_return http::Response();
}

inline aio::Task<http::Response> forbidden(http::Request&) {
    throw http::HTTPException(403, "not you");
    co_return http::Response();
}

inline aio::Task<http::Response> inject(http::Request&) {
    http::Response r("x");
    r.headers.add("X-Evil", "a\r\nSet-Cookie: stolen=1");
    co_return r;
}

inline aio::Task<http::Response> query(http::Request& request) {
    co_return http::Response(request.query("q").value_or("<none>") + "|" +
                             std::string(request.path()));
}

// n pieces of 1,000 bytes, chunked.
inline aio::Task<http::Response> stream(http::Request& request) {
    const int n = std::atoi(std::string(request.param("n")).c_str());
    auto out = co_await request.prepare(http::Response());
    for (int i = 0; i < n; ++i)
        co_await out.write(std::string(1000, static_cast<char>('a' + i % 26)));
    co_await out.write_eof();
    co_return out;
}

// The same with a Content-Length, and one byte short when asked to be.
inline aio::Task<http::Response> stream_sized(http::Request& request) {
    http::Response head;
    head.headers.add("Content-Length", "10");
    auto out = co_await request.prepare(std::move(head));
    co_await out.write("01234");
    if (request.query("short")) co_return out;
    co_await out.write("56789");
    co_return out;
}

// The head and "a" at once, "b" MS milliseconds later.
inline aio::Task<http::Response> trickle(http::Request& request) {
    http::Response head;
    head.headers.add("Content-Length", "2");
    auto out = co_await request.prepare(std::move(head));
    co_await out.write("a");
    co_await aio::sleep(
        std::chrono::milliseconds(std::atoi(std::string(request.param("ms")).c_str())));
    co_await out.write("b");
    co_return out;
}

// Echoes each message; "bye" is echoed, then the server closes with 4000.
inline aio::Task<http::Response> ws_echo(http::Request& request) {
    http::WebSocketOptions options;
    options.max_msg_size = 64 * 1024;
    options.protocols = {"chat", "echo"};
    auto ws = co_await request.websocket(std::move(options));
    while (auto message = co_await ws.receive()) {
        if (message->type == http::WSMsgType::text)
            co_await ws.send_str(message->data);
        else
            co_await ws.send_bytes(message->data);
        if (message->data == "bye") co_await ws.close(4000, "bye");
    }
    co_return ws;
}

// Looks at the upgrade and declines it, answering as plain HTTP.
inline aio::Task<http::Response> no_upgrade(http::Request&) {
    co_return http::Response("no upgrade here");
}

// /redirect/N redirects N times (302), then answers "arrived"; /loop redirects to itself.
inline aio::Task<http::Response> redirect(http::Request& request) {
    const int n = std::atoi(std::string(request.param("n")).c_str());
    if (n == 0) co_return http::Response("arrived");
    http::Response r("", 302, "");
    r.headers.add("Location", n == 1 ? "/redirect/0" : std::to_string(n - 1));  // relative too
    co_return r;
}

inline aio::Task<http::Response> see_other(http::Request& request) {
    http::Response r("", 303, "");
    r.headers.add("Location", "/method?from=" + request.method);
    co_return r;
}

inline aio::Task<http::Response> method(http::Request& request) {
    co_return http::Response(request.method + " " + request.query("from").value_or("") + " " +
                             std::to_string((co_await request.read()).size()));
}

// The same text, compressed as the query asks (gzip, zlib-wrapped deflate, raw deflate).
inline aio::Task<http::Response> compressed(http::Request& request) {
    const std::string coding = request.query("coding").value_or("gzip");
    const std::string text(50000, 'c');
    z_stream z{};
    const int bits = coding == "gzip" ? 16 + MAX_WBITS : coding == "raw" ? -MAX_WBITS : MAX_WBITS;
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, text.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(out.size() - z.avail_out);
    deflateEnd(&z);
    http::Response r(std::move(out));
    r.headers.add("Content-Encoding", coding == "gzip" ? "gzip" : "deflate");
    co_return r;
}

inline http::Application test_app() {
    http::Application app;
    app.get("/hello/{name}", hello)
        .post("/echo", echo_body)
        .put("/echo", echo_body)
        .post("/count", count_body)
        .get("/slow/{ms}", slow)
        .get("/fail", fail)
        .get("/forbidden", forbidden)
        .get("/inject", inject)
        .get("/query", query)
        .get("/stream/{n}", stream)
        .get("/sized", stream_sized)
        .get("/trickle/{ms}", trickle)
        .get("/ws", ws_echo)
        .get("/plain-upgrade", no_upgrade)
        .get("/redirect/{n}", redirect)
        .get("/loop",
             [](http::Request&) -> aio::Task<http::Response> {
                 http::Response r("", 307, "");
                 r.headers.add("Location", "/loop");
                 co_return r;
             })
        .post("/see-other", see_other)
        .get("/method", method)
        .get("/compressed", compressed);
    return app;
}

}  // namespace aio_test
