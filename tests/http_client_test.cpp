// aio::http's client against aio's server, over loopback (on each backend, in virtual time):
// the pool, redirects, decoding, streaming, limits, timeouts, https and WebSocket; and URLs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "aio/aio.hpp"
#include "aio/http.hpp"
#include "aio/testing.hpp"
#include "http_test_app.hpp"
#include "tls_certificates.hpp"

namespace http = aio::http;
using aio_test::test_app;
using namespace std::chrono_literals;

namespace {

std::string base_of(const http::Server& server) {
    return "http://127.0.0.1:" + std::to_string(server.sockets()[0].port());
}

aio::Task<std::string> fetch_text(http::ClientSession& session, std::string url) {
    auto response = co_await session.get(std::move(url));
    co_return co_await response.text();
}

}  // namespace

TEST(URL, Parse) {
    auto u = http::URL::parse("HTTP://Example.com:8080/a/b?x=1#frag");
    EXPECT_EQ(u.scheme, "http");
    EXPECT_EQ(u.host, "Example.com");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.target, "/a/b?x=1");
    EXPECT_EQ(u.authority(), "Example.com:8080");
    u = http::URL::parse("https://[::1]/");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 443);
    EXPECT_EQ(u.authority(), "[::1]");
    EXPECT_EQ(http::URL::parse("ws://h?q").target, "/?q");
    EXPECT_EQ(http::URL::parse("http://h/a/b").resolve("c").to_string(), "http://h/a/c");
    EXPECT_EQ(http::URL::parse("http://h/a/b").resolve("/d").to_string(), "http://h/d");
    EXPECT_EQ(http::URL::parse("http://h/a").resolve("https://k:1/e").to_string(), "https://k:1/e");
    for (const char* bad : {"ftp://h/", "http://", "http://h:0/", "http://h:70000/", "http://h /",
                            "no scheme", "http://[::1/"})
        EXPECT_THROW(http::URL::parse(bad), http::InvalidURL) << bad;
}

AIO_TEST(HttpClient, RequestsReuseAPooledConnection) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    http::ClientSession session;
    const std::string base = base_of(server);
    auto response = co_await session.get(base + "/hello/pool");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.reason, "OK");
    EXPECT_EQ(response.headers.get("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(co_await response.text(), "Hello, pool");
    EXPECT_EQ(session.idle_connections(), 1u);  // back in the pool once the body was read
    EXPECT_EQ(co_await fetch_text(session, base + "/hello/again"), "Hello, again");
    // A body larger than the client buffers before pausing (256 KiB), read whole.
    auto posted = co_await session.post(base + "/echo", std::string(900000, 'p'));
    EXPECT_EQ((co_await posted.read()).size(), 900000u);
    EXPECT_EQ(server.connection_count(), 1u);  // all on one connection
    auto missing = co_await session.get(base + "/nowhere");
    EXPECT_EQ(missing.status, 404);
    EXPECT_THROW(missing.raise_for_status(), http::ClientResponseError);
    // A body the caller does not read: its connection (the pooled one) is closed, not pooled.
    {
        auto unread = co_await session.get(base + "/stream/300");
        EXPECT_EQ(unread.status, 200);
    }
    EXPECT_EQ(session.idle_connections(), 0u);
    http::RequestOptions plain;  // (named: g++ 12 destroys a braced temporary in a co_await twice)
    auto head = co_await session.request("HEAD", base + "/hello/head", plain);
    EXPECT_EQ(head.headers.get("Content-Length"), "11");
    EXPECT_EQ(co_await head.read(), "");
    co_await session.close();
    co_await server.shutdown();
}

AIO_TEST(HttpClient, RedirectsAreFollowed) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    const std::string base = base_of(server);
    http::ClientSession session;
    auto response = co_await session.get(base + "/redirect/4");
    EXPECT_EQ(co_await response.text(), "arrived");
    EXPECT_EQ(response.redirects, 4);
    EXPECT_EQ(response.url.target, "/redirect/0");
    // 303 after a POST: a GET without the body.
    auto other = co_await session.post(base + "/see-other", std::string("body"));
    EXPECT_EQ(co_await other.text(), "GET POST 0");
    http::RequestOptions no_follow;
    no_follow.allow_redirects = false;
    auto first = co_await session.get(base + "/redirect/2", no_follow);
    EXPECT_EQ(first.status, 302);
    http::ClientOptions few;
    few.max_redirects = 3;
    http::ClientSession strict(few);
    EXPECT_THROW(co_await strict.get(base + "/loop"), http::TooManyRedirects);
    co_await session.close();
    co_await strict.close();
    co_await server.shutdown();
}

AIO_TEST(HttpClient, CompressedAndStreamedBodies) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    const std::string base = base_of(server);
    http::ClientSession session;
    for (const char* coding : {"gzip", "zlib", "raw"})
        EXPECT_EQ(co_await fetch_text(session, base + "/compressed?coding=" + coding),
                  std::string(50000, 'c'))
            << coding;
    auto response = co_await session.get(base + "/stream/300");
    auto content = response.content();
    std::size_t total = 0, pieces = 0;
    while (true) {
        std::string piece = co_await content.readany();
        if (piece.empty()) break;
        total += piece.size();
        ++pieces;
    }
    EXPECT_EQ(total, 300000u);
    EXPECT_GT(pieces, 1u);
    co_await session.close();
    co_await server.shutdown();
}

// At most limit_per_host connections to one host at once: the rest wait for one to be free.
AIO_TEST(HttpClient, ConnectionLimitsHold) {
    int in_flight = 0, most = 0;
    http::Application counting;
    struct Counter {
        int* in_flight;
        int* most;
    };
    static Counter counter;
    counter = {&in_flight, &most};
    counting.get("/busy", [](http::Request&) -> aio::Task<http::Response> {
        ++*counter.in_flight;
        *counter.most = std::max(*counter.most, *counter.in_flight);
        co_await aio::sleep(10ms);
        --*counter.in_flight;
        co_return http::Response("done");
    });
    auto server = co_await http::serve(std::move(counting), "127.0.0.1", 0);
    http::ClientOptions options;
    options.limit_per_host = 3;
    http::ClientSession session(options);
    std::vector<aio::Task<std::string>> fetches;
    for (int i = 0; i < 12; ++i)
        fetches.push_back(fetch_text(session, base_of(server) + "/busy"));
    auto bodies = co_await aio::gather(std::move(fetches));
    EXPECT_EQ(bodies, std::vector<std::string>(12, "done"));
    EXPECT_EQ(most, 3);
    EXPECT_LE(server.connection_count(), 3u);
    co_await session.close();
    co_await server.shutdown();
}

AIO_TEST(HttpClient, TimeoutsAndFailures) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    const std::string base = base_of(server);
    http::ClientOptions options;
    options.timeout.sock_read = 1s;
    http::ClientSession session(options);
    EXPECT_THROW(co_await session.get(base + "/slow/5000"), aio::TimeoutError);
    http::ClientOptions total;
    total.timeout.total = 2s;
    http::ClientSession hurried(total);
    EXPECT_THROW(co_await hurried.get(base + "/slow/3000"), aio::TimeoutError);
    EXPECT_EQ(co_await fetch_text(hurried, base + "/slow/1000"), "slept 1000");
    // The total covers the body too: a head in time does not stop the clock.
    auto trickling = co_await hurried.get(base + "/trickle/3000");
    EXPECT_EQ(trickling.status, 200);
    EXPECT_THROW(co_await trickling.read(), aio::TimeoutError);
    trickling.release();
    EXPECT_EQ(co_await fetch_text(hurried, base + "/trickle/1000"), "ab");
    const auto port = server.sockets()[0].port();
    co_await server.shutdown();
    EXPECT_THROW(co_await session.get("http://127.0.0.1:" + std::to_string(port) + "/"),
                 http::ClientConnectorError);
    EXPECT_THROW(co_await session.get("gopher://x/"), http::InvalidURL);
    co_await session.close();
    co_await hurried.close();
}

// (On the real clock: the TLS handshakes take longer than virtual time lets I/O land under
// ASan.)
aio::Task<> https_checks() {
    http::ServerOptions tls;
    tls.ssl = &aio_test::server_ctx();
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0, tls);
    const std::string url =
        "https://127.0.0.1:" + std::to_string(server.sockets()[0].port()) + "/hello/tls";
    http::ClientOptions trusting;
    trusting.ssl = aio_test::client_ctx();
    http::ClientSession session(trusting);
    EXPECT_EQ(co_await fetch_text(session, url), "Hello, tls");
    http::ClientSession defaults;  // the system's CAs: the test CA is not one of them
    EXPECT_THROW(co_await defaults.get(url), http::ClientConnectorError);
    co_await session.close();
    co_await defaults.close();
    co_await server.shutdown(1s);
}

TEST(HttpClient, HttpsIsVerified) {
    aio::run(https_checks());
}

AIO_TEST(HttpClient, WebSocketClient) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    http::ClientSession session;
    http::WebSocketOptions options;
    options.protocols = {"echo"};
    auto ws = co_await session.ws_connect(
        "ws://127.0.0.1:" + std::to_string(server.sockets()[0].port()) + "/ws", options);
    EXPECT_EQ(ws.protocol(), "echo");
    co_await ws.send_str("hi there");
    auto reply = co_await ws.receive();
    AIO_ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->data, "hi there");
    co_await ws.send_bytes(std::string(100000, 'w'));  // over the server's 64 KiB: 1009
    EXPECT_FALSE((co_await ws.receive()).has_value());
    EXPECT_EQ(ws.close_code(), 1009);
    auto again = co_await session.ws_connect(
        "ws://127.0.0.1:" + std::to_string(server.sockets()[0].port()) + "/ws");
    co_await again.send_str("bye");
    EXPECT_EQ((co_await again.receive())->data, "bye");
    EXPECT_FALSE((co_await again.receive()).has_value());
    EXPECT_EQ(again.close_code(), 4000);
    EXPECT_THROW(co_await session.ws_connect(
                     "ws://127.0.0.1:" + std::to_string(server.sockets()[0].port()) + "/hello/x"),
                 http::WSServerHandshakeError);
    co_await session.close();
    co_await server.shutdown();
}
