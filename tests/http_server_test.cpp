// aio::http's server, driven by raw bytes over loopback (on each backend, in virtual time):
// routing, keep-alive, pipelining, bodies both ways, the limits and timeouts with their
// statuses, the request-smuggling defences, graceful shutdown.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "aio/aio.hpp"
#include "aio/http.hpp"
#include "aio/testing.hpp"
#include "http_client_helpers.hpp"
#include "http_test_app.hpp"
#include "tls_certificates.hpp"

namespace http = aio::http;
using aio_test::get_request;
using aio_test::RawResponse;
using aio_test::read_response;
using aio_test::test_app;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

struct Client {
    aio::StreamReader reader;
    aio::StreamWriter writer;
};

aio::Task<Client> connect(const http::Server& server) {
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    co_return Client{std::move(reader), std::move(writer)};
}

// Sends raw bytes on a new connection; the response, and whether the server closed after it.
struct Answer {
    RawResponse response;
    bool closed = false;
};
aio::Task<Answer> ask(const http::Server& server, std::string raw) {
    Client c = co_await connect(server);
    c.writer.write(raw);
    Answer a;
    a.response = co_await read_response(c.reader);
    a.closed = (co_await c.reader.read()).empty();
    c.writer.close();
    co_return a;
}

aio::Task<int> status_of(const http::Server& server, std::string raw) {
    Answer a = co_await ask(server, std::move(raw));
    EXPECT_TRUE(a.closed) << raw;
    co_return a.response.status;
}

}  // namespace

AIO_TEST(HttpServer, RoutesWithParametersOverOneKeptAliveConnection) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    for (const char* name : {"ann", "bob", "cy"}) {
        c.writer.write(get_request(std::string("/hello/") + name));
        RawResponse r = co_await read_response(c.reader);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, std::string("Hello, ") + name);
        EXPECT_EQ(r.headers.get("Content-Type"), "text/plain; charset=utf-8");
        EXPECT_EQ(r.headers.get("Server"), "aio");
        AIO_ASSERT_TRUE(r.headers.get("Date").has_value());
        EXPECT_EQ(r.headers.get("Date")->size(), 29u);  // "Mon, 07 Dec 2026 16:43:53 GMT"
        EXPECT_FALSE(r.headers.contains("Connection"));
    }
    EXPECT_EQ(server.connection_count(), 1u);
    c.writer.write(get_request("/nowhere"));
    EXPECT_EQ((co_await read_response(c.reader)).status, 404);
    c.writer.write("POST /hello/x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    RawResponse r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.get("Allow"), "GET");
    c.writer.write(get_request("/query?a=1&q=two+words%21#frag"));
    EXPECT_EQ((co_await read_response(c.reader)).body, "two words!|/query");
    c.writer.write("GET http://example.com/query?q=abs HTTP/1.1\r\nHost: example.com\r\n\r\n");
    EXPECT_EQ((co_await read_response(c.reader)).body, "abs|/query");  // absolute-form
    c.writer.close();
    co_await server.shutdown();
}

AIO_TEST(HttpServer, HeadAnswersWithTheLengthAndNoBody) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write("HEAD /hello/there HTTP/1.1\r\nHost: t\r\n\r\n" + get_request("/hello/again"));
    RawResponse head = co_await read_response(c.reader, true);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers.get("Content-Length"), "12");
    RawResponse next = co_await read_response(c.reader);  // nothing of a body came in between
    EXPECT_EQ(next.body, "Hello, again");
    c.writer.close();
    co_await server.shutdown();
}

// Pipelined requests are answered in their order even when an earlier handler takes longer,
// and a burst of 1,000 (more than the server queues) is answered whole.
AIO_TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write(get_request("/slow/30") + get_request("/hello/1") + get_request("/slow/10") +
                   get_request("/hello/2"));
    EXPECT_EQ((co_await read_response(c.reader)).body, "slept 30");
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, 1");
    EXPECT_EQ((co_await read_response(c.reader)).body, "slept 10");
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, 2");
    std::string burst;
    for (int i = 0; i < 1000; ++i)
        burst += get_request("/hello/" + std::to_string(i));
    c.writer.write(burst);
    for (int i = 0; i < 1000; ++i) {
        RawResponse r = co_await read_response(c.reader);
        if (r.body != "Hello, " + std::to_string(i)) {
            ADD_FAILURE() << "response " << i << ": " << r.body;
            break;
        }
    }
    c.writer.close();
    co_await server.shutdown();
}

AIO_TEST(HttpServer, BodiesWithALengthOrChunkedAreRead) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
    EXPECT_EQ((co_await read_response(c.reader)).body, "hello world");
    c.writer.write(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n");
    EXPECT_EQ((co_await read_response(c.reader)).body, "hello world");
    // A large body read as it arrives: the server pauses reading while the handler is behind.
    const std::size_t size = 900 * 1000;
    c.writer.write("POST /count HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(size) +
                   "\r\n\r\n");
    for (int i = 0; i < 900; ++i) {
        c.writer.write(std::string(1000, 'x'));
        co_await c.writer.drain();
    }
    EXPECT_EQ((co_await read_response(c.reader)).body, std::to_string(size));
    c.writer.close();
    co_await server.shutdown();
}

AIO_TEST(HttpServer, ExpectContinueIsAnsweredWhenTheHandlerReads) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(co_await c.reader.readuntil("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    c.writer.write("ping");
    EXPECT_EQ((co_await read_response(c.reader)).body, "ping");
    // Too large to be accepted: 413 at once, without 100 Continue.
    EXPECT_EQ(co_await status_of(server,
                                 "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: "
                                 "99999999\r\nExpect: 100-continue\r\n\r\n"),
              413);
    EXPECT_EQ(co_await status_of(server,
                                 "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: "
                                 "1\r\nExpect: teapot\r\n\r\nx"),
              417);
    c.writer.close();
    co_await server.shutdown();
}

AIO_TEST(HttpServer, LimitsAreAnsweredWithTheirStatus) {
    http::ServerOptions options;
    options.max_body_size = 1000;
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0, options);
    EXPECT_EQ(co_await status_of(server, get_request("/" + std::string(1 << 20, 'a'))), 414);
    EXPECT_EQ(co_await status_of(
                  server, get_request("/hello/x", "X-Big: " + std::string(9000, 'b') + "\r\n")),
              431);
    std::string many;
    for (int i = 0; i < 10000; ++i)
        many += "X-" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(co_await status_of(server, get_request("/hello/x", many)), 431);
    EXPECT_EQ(co_await status_of(server,
                                 "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n"),
              413);
    // Chunked: the limit is found as the bytes come.
    std::string chunked = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 20; ++i)
        chunked += "64\r\n" + std::string(100, 'c') + "\r\n";
    EXPECT_EQ(co_await status_of(server, chunked + "0\r\n\r\n"), 413);
    co_await server.shutdown();
}

// RFC 9112's framing rules, and the defences production servers have against request
// smuggling: ambiguous framing is refused and the connection closed.
AIO_TEST(HttpServer, AmbiguousOrInvalidRequestsAreRefused) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    const std::string post = "POST /echo HTTP/1.1\r\nHost: t\r\n";
    struct Case {
        std::string raw;
        int status;
    };
    const std::vector<Case> cases = {
        {post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        {post + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        {post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400},  // chunked not last
        {post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},  // unknown coding
        {post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400},           // bad chunk size
        {"GET /hello/x HTTP/1.1\r\nHost : t\r\n\r\n", 400},  // whitespace before the colon
        {"GET /hello/x HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n"s, 400},
        {"GET /hello/x HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400},  // bare CR
        {"GET /hello/x HTTP/1.1\r\n\r\n", 400},                        // no Host
        {"GET /hello/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},  // two
        {"GET /hello/x HTTP/2.0\r\nHost: t\r\n\r\n", 505},
        {"GET /hello/x HTTP/3.7\r\nHost: t\r\n\r\n", 505},
        {"FROB /hello/x HTTP/1.1\r\nHost: t\r\n\r\n", 501},  // a method this server lacks
        {"G(T /hello/x HTTP/1.1\r\nHost: t\r\n\r\n", 400},   // not a method at all
        {"GET /hello/x HTTX/1.1\r\nHost: t\r\n\r\n", 400},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(co_await status_of(server, c.raw), c.status) << c.raw;
    }
    // The request before a bad one is still answered, in order, then the connection closes.
    Client c = co_await connect(server);
    c.writer.write(get_request("/hello/first") + "BAD\r\n\r\n");
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, first");
    EXPECT_EQ((co_await read_response(c.reader)).status, 400);
    EXPECT_EQ(co_await c.reader.read(), "");
    c.writer.close();
    co_await server.shutdown();
}

// HTTP/1.0 closes unless asked to keep alive; Connection: close is honoured on 1.1.
AIO_TEST(HttpServer, ConnectionPersistenceFollowsTheVersionAndTheClient) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Answer a = co_await ask(server, "GET /hello/old HTTP/1.0\r\n\r\n");
    EXPECT_EQ(a.response.body, "Hello, old");
    EXPECT_EQ(a.response.headers.get("Connection"), "close");
    EXPECT_TRUE(a.closed);
    a = co_await ask(server, get_request("/hello/done", "Connection: close\r\n"));
    EXPECT_EQ(a.response.headers.get("Connection"), "close");
    EXPECT_TRUE(a.closed);
    Client c = co_await connect(server);
    c.writer.write("GET /hello/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    RawResponse r = co_await read_response(c.reader);
    EXPECT_EQ(r.headers.get("Connection"), "keep-alive");
    c.writer.write("GET /hello/b HTTP/1.0\r\n\r\n");
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, b");
    EXPECT_EQ(co_await c.reader.read(), "");
    c.writer.close();
    co_await server.shutdown();
}

// A client that half-closes after its request still gets the response.
AIO_TEST(HttpServer, HalfClosedClientGetsItsResponse) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write(get_request("/slow/20") + get_request("/hello/too"));
    c.writer.write_eof();
    EXPECT_EQ((co_await read_response(c.reader)).body, "slept 20");
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, too");
    EXPECT_EQ(co_await c.reader.read(), "");
    c.writer.close();
    co_await server.shutdown();
}

AIO_TEST(HttpServer, HandlerErrorsBecomeStatuses) {
    auto& loop = aio::get_running_loop();
    std::vector<std::string> reports;
    loop.set_exception_handler(
        [&](aio::EventLoop&, const aio::ExceptionContext& c) { reports.push_back(c.message); });
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write(get_request("/fail"));
    EXPECT_EQ((co_await read_response(c.reader)).status, 500);
    c.writer.write(get_request("/forbidden"));
    RawResponse r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body, "not you");
    c.writer.write(get_request("/inject"));  // a field that would inject another
    r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 500);
    EXPECT_FALSE(r.headers.contains("Set-Cookie"));
    c.writer.write(get_request("/hello/still"));  // the connection goes on
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, still");
    EXPECT_EQ(reports,
              (std::vector<std::string>{"Error handling request", "Error handling request"}));
    c.writer.close();
    co_await server.shutdown();
}

AIO_TEST(HttpServer, StreamedResponses) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write(get_request("/stream/300"));  // 300 KB: more than the send buffer's water marks
    RawResponse r = co_await read_response(c.reader);
    EXPECT_EQ(r.headers.get("Transfer-Encoding"), "chunked");
    AIO_ASSERT_EQ(r.body.size(), 300000u);
    EXPECT_EQ(r.body[0], 'a');
    EXPECT_EQ(r.body[299999], static_cast<char>('a' + 299 % 26));
    c.writer.write(get_request("/sized"));
    r = co_await read_response(c.reader);
    EXPECT_EQ(r.body, "0123456789");
    {  // HTTP/1.0 has no chunks: the body ends with the connection.
        Client old = co_await connect(server);
        old.writer.write("GET /stream/3 HTTP/1.0\r\n\r\n");
        RawResponse streamed = co_await read_response(old.reader);
        EXPECT_FALSE(streamed.headers.contains("Transfer-Encoding"));
        EXPECT_EQ(streamed.body.size(), 3000u);
        old.writer.close();
    }
    // Fewer bytes than the Content-Length announced: only closing can tell the client.
    c.writer.write(get_request("/sized?short=1"));
    EXPECT_EQ(co_await c.reader.readuntil("\r\n\r\n") != "", true);
    EXPECT_EQ(co_await c.reader.read(), "01234");
    EXPECT_EQ(co_await c.reader.read(), "");
    c.writer.close();
    co_await server.shutdown();
}

// Slowloris: the head of a request must come within header_timeout (408); an idle kept-alive
// connection closes quietly after keep_alive_timeout; a stalled body gives the handler 408.
AIO_TEST(HttpServer, SlowClientsTimeOut) {
    http::ServerOptions options;
    options.header_timeout = 5s;
    options.keep_alive_timeout = 20s;
    options.body_timeout = 7s;
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0, options);
    auto& loop = aio::get_running_loop();

    Client slow = co_await connect(server);
    const auto start = loop.time();
    slow.writer.write("GET /hello/x HTTP/1.1\r\nHo");
    RawResponse r = co_await read_response(slow.reader);
    EXPECT_EQ(r.status, 408);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(loop.time() - start), 5s);
    EXPECT_EQ(co_await slow.reader.read(), "");
    slow.writer.close();

    Client idle = co_await connect(server);
    idle.writer.write(get_request("/hello/x"));
    co_await read_response(idle.reader);
    const auto answered = loop.time();
    EXPECT_EQ(co_await idle.reader.read(), "");  // closed, without a response
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(loop.time() - answered), 20s);
    idle.writer.close();

    Client stalled = co_await connect(server);
    stalled.writer.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    r = co_await read_response(stalled.reader);
    EXPECT_EQ(r.status, 408);
    EXPECT_EQ(co_await stalled.reader.read(), "");
    stalled.writer.close();
    co_await server.shutdown();
}

// Shutdown: no new connections, idle ones closed at once, a request in progress finishes and
// its connection then closes.
AIO_TEST(HttpServer, GracefulShutdownFinishesRequestsInProgress) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    const auto port = server.sockets()[0].port();
    Client idle = co_await connect(server);
    Client busy = co_await connect(server);
    busy.writer.write(get_request("/slow/500"));
    co_await aio::sleep(10ms);
    EXPECT_EQ(server.connection_count(), 2u);
    auto shutdown = aio::create_task(server.shutdown(10s));
    EXPECT_EQ(co_await idle.reader.read(), "");
    RawResponse r = co_await read_response(busy.reader);
    EXPECT_EQ(r.body, "slept 500");
    EXPECT_EQ(r.headers.get("Connection"), "close");
    EXPECT_EQ(co_await busy.reader.read(), "");
    co_await shutdown;
    EXPECT_EQ(server.connection_count(), 0u);
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port), std::system_error);
    idle.writer.close();
    busy.writer.close();
}

// Past the grace period, what is still running is cancelled and its connection aborted.
AIO_TEST(HttpServer, ShutdownGraceEnds) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client busy = co_await connect(server);
    busy.writer.write(get_request("/slow/60000"));
    co_await aio::sleep(10ms);
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await server.shutdown(2s);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(loop.time() - start), 2s);
    EXPECT_EQ(server.connection_count(), 0u);
    bool ended = false;
    try {
        ended = (co_await busy.reader.read()).empty();
    } catch (const std::system_error&) {
        ended = true;  // a reset
    }
    EXPECT_TRUE(ended);
    busy.writer.close();
}

// https: the same server through the TLS context, against aio's own TLS client.
AIO_TEST(HttpServer, ServesHttpsThroughTheTlsContext) {
    http::ServerOptions options;
    options.ssl = &aio_test::server_ctx();
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0, options);
    aio::ConnectOptions tls;
    tls.ssl = &aio_test::client_ctx();
    tls.server_hostname = "localhost";
    auto [reader, writer] =
        co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), tls);
    writer.write(get_request("/hello/tls") + get_request("/stream/100"));
    EXPECT_EQ((co_await read_response(reader)).body, "Hello, tls");
    EXPECT_EQ((co_await read_response(reader)).body.size(), 100000u);
    writer.close();
    co_await server.shutdown();
}

namespace {

// A directory of files for the static tests, removed with the object.
struct StaticDir {
    std::string path;
    StaticDir() {
        char tmpl[] = "/tmp/aio-static-XXXXXX";
        path = mkdtemp(tmpl);
        write("hello.txt", "0123456789");
        write("page.html", "<p>hi</p>");
        std::filesystem::create_directory(path + "/sub");
        write("sub/index.html", "<h1>index</h1>");
        std::filesystem::create_directory(path + "/empty dir");
        write("empty dir/a&b.bin", std::string(1 << 20, 'z'));  // 1 MiB, through sendfile
        write("../aio-static-secret", "secret");
    }
    ~StaticDir() {
        std::filesystem::remove_all(path);
        std::filesystem::remove(std::filesystem::path(path).parent_path() / "aio-static-secret");
    }
    void write(const std::string& name, const std::string& text) const {
        std::FILE* f = std::fopen((path + "/" + name).c_str(), "wb");
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
};

}  // namespace

AIO_TEST(HttpServer, StaticFiles) {
    StaticDir dir;
    http::Application app;
    app.add_static("/static", dir.path);
    auto server = co_await http::serve(std::move(app), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write(get_request("/static/hello.txt"));
    RawResponse r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "0123456789");
    EXPECT_EQ(r.headers.get("Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(r.headers.get("Accept-Ranges"), "bytes");
    const std::string etag(r.headers.get("ETag").value_or(""));
    const std::string modified(r.headers.get("Last-Modified").value_or(""));
    EXPECT_EQ(etag.size() > 2 && etag.front() == '"', true);
    EXPECT_EQ(modified.size(), 29u);
    c.writer.write("HEAD /static/page.html HTTP/1.1\r\nHost: t\r\n\r\n");
    r = co_await read_response(c.reader, true);
    EXPECT_EQ(r.headers.get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.headers.get("Content-Length"), "9");
    // Ranges: a span, an open end, a suffix; past the end is 416; several ranges get it all.
    const std::vector<std::pair<std::string, std::string>> ranges = {
        {"bytes=2-5", "2345"}, {"bytes=7-", "789"}, {"bytes=-3", "789"}, {"bytes=8-100", "89"}};
    for (const auto& [range, body] : ranges) {
        c.writer.write(get_request("/static/hello.txt", "Range: " + range + "\r\n"));
        r = co_await read_response(c.reader);
        EXPECT_EQ(r.status, 206) << range;
        EXPECT_EQ(r.body, body) << range;
    }
    c.writer.write(get_request("/static/hello.txt", "Range: bytes=2-5\r\n"));
    EXPECT_EQ((co_await read_response(c.reader)).headers.get("Content-Range"), "bytes 2-5/10");
    c.writer.write(get_request("/static/hello.txt", "Range: bytes=10-\r\n"));
    r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 416);
    EXPECT_EQ(r.headers.get("Content-Range"), "bytes */10");
    c.writer.write(get_request("/static/hello.txt", "Range: bytes=0-1,4-5\r\n"));
    EXPECT_EQ((co_await read_response(c.reader)).body, "0123456789");
    // Conditional requests.
    c.writer.write(get_request("/static/hello.txt", "If-None-Match: " + etag + "\r\n"));
    r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 304);
    EXPECT_EQ(r.headers.get("ETag"), etag);
    c.writer.write(get_request("/static/hello.txt", "If-None-Match: \"other\"\r\n"));
    EXPECT_EQ((co_await read_response(c.reader)).status, 200);
    c.writer.write(get_request("/static/hello.txt", "If-Modified-Since: " + modified + "\r\n"));
    EXPECT_EQ((co_await read_response(c.reader)).status, 304);
    c.writer.write(
        get_request("/static/hello.txt", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n"));
    EXPECT_EQ((co_await read_response(c.reader)).status, 200);
    // Directories: a redirect to the slash, then the index, or a listing.
    c.writer.write(get_request("/static/sub"));
    r = co_await read_response(c.reader);
    EXPECT_EQ(r.status, 301);
    EXPECT_EQ(r.headers.get("Location"), "/static/sub/");
    c.writer.write(get_request("/static/sub/"));
    EXPECT_EQ((co_await read_response(c.reader)).body, "<h1>index</h1>");
    c.writer.write(get_request("/static/empty%20dir/"));
    r = co_await read_response(c.reader);
    EXPECT_NE(r.body.find("<a href=\"a&amp;b.bin\">a&amp;b.bin</a>"), std::string::npos) << r.body;
    c.writer.write(get_request("/static/empty%20dir/a%26b.bin"));
    r = co_await read_response(c.reader);
    EXPECT_EQ(r.headers.get("Content-Type"), "application/octet-stream");
    EXPECT_TRUE(r.body == std::string(1 << 20, 'z')) << r.body.size();
    // Out of the directory, or missing: 404.
    for (const char* path : {"/static/%2e%2e/aio-static-secret", "/static/..%2Faio-static-secret",
                             "/static/nothing.txt", "/static/hello.txt%00"}) {
        c.writer.write(get_request(path));
        EXPECT_EQ((co_await read_response(c.reader)).status, 404) << path;
    }
    c.writer.close();
    co_await server.shutdown();
}

namespace {

// A client frame: FIN set unless `more`, masked unless `unmasked`; `length` overrides the
// length field (to lie about it).
std::string ws_frame(int opcode, const std::string& payload, bool unmasked = false,
                     bool more = false, std::optional<std::uint64_t> length = std::nullopt) {
    std::string f;
    f += static_cast<char>((more ? 0 : 0x80) | opcode);
    const std::uint64_t n = length.value_or(payload.size());
    const char mask_bit = unmasked ? 0 : static_cast<char>(0x80);
    if (n < 126) {
        f += static_cast<char>(mask_bit | static_cast<char>(n));
    } else if (n < 65536) {
        f += static_cast<char>(mask_bit | 126);
        f += static_cast<char>(n >> 8);
        f += static_cast<char>(n & 0xFF);
    } else {
        f += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i)
            f += static_cast<char>((n >> (8 * i)) & 0xFF);
    }
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (!unmasked) f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f += unmasked ? payload[i] : static_cast<char>(payload[i] ^ key[i % 4]);
    return f;
}

struct ServerFrame {
    int opcode = -1;  // -1: the connection ended instead
    std::string payload;
};
aio::Task<ServerFrame> read_frame(aio::StreamReader& reader) {
    ServerFrame frame;
    std::string head = co_await reader.read(2);
    if (head.size() < 2) co_return frame;
    if (head.size() == 1) head += co_await reader.readexactly(1);
    frame.opcode = head[0] & 0x0F;
    std::uint64_t n = static_cast<unsigned char>(head[1]) & 0x7F;
    if (n >= 126) {
        const std::string ext = co_await reader.readexactly(n == 126 ? 2 : 8);
        n = 0;
        for (char c : ext)
            n = n << 8 | static_cast<unsigned char>(c);
    }
    frame.payload = co_await reader.readexactly(n);
    co_return frame;
}

int close_code_of(const ServerFrame& f) {
    return f.opcode == 8 && f.payload.size() >= 2 ? static_cast<unsigned char>(f.payload[0]) << 8 |
                                                        static_cast<unsigned char>(f.payload[1])
                                                  : -1;
}

std::string upgrade_request(const std::string& path, const std::string& extra = {}) {
    return get_request(path,
                       "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n" +
                           extra);
}

}  // namespace

AIO_TEST(HttpServer, WebSocketHandshakeAndMessages) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    // A frame right behind the request, in the same write, is the WebSocket's.
    c.writer.write(upgrade_request("/ws", "Sec-WebSocket-Protocol: echo, chat\r\n") +
                   ws_frame(1, "early"));
    RawResponse r = co_await read_response(c.reader, true);
    EXPECT_EQ(r.status, 101);
    EXPECT_EQ(r.headers.get("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455's
    EXPECT_EQ(r.headers.get("Sec-WebSocket-Protocol"), "chat");  // the server's preference
    ServerFrame f = co_await read_frame(c.reader);
    EXPECT_EQ(f.opcode, 1);
    EXPECT_EQ(f.payload, "early");
    c.writer.write(ws_frame(9, "are you there"));  // ping
    f = co_await read_frame(c.reader);
    EXPECT_EQ(f.opcode, 10);
    EXPECT_EQ(f.payload, "are you there");
    c.writer.write(ws_frame(2, "\x01\x02", false, true) + ws_frame(9, "mid") +
                   ws_frame(0, "\x03", false, false));  // fragments around a ping
    f = co_await read_frame(c.reader);
    EXPECT_EQ(f.opcode, 10);
    f = co_await read_frame(c.reader);
    EXPECT_EQ(f.opcode, 2);
    EXPECT_EQ(f.payload, "\x01\x02\x03");
    c.writer.write(ws_frame(1, std::string(60000, 'm')));
    f = co_await read_frame(c.reader);
    EXPECT_EQ(f.payload.size(), 60000u);
    c.writer.write(ws_frame(8, std::string("\x03\xe8", 2) + "done"));  // close, 1000
    f = co_await read_frame(c.reader);
    EXPECT_EQ(close_code_of(f), 1000);
    EXPECT_EQ((co_await read_frame(c.reader)).opcode, -1);  // and the server closes
    c.writer.close();
    co_await server.shutdown();
}

// A peer that breaks the protocol gets the close code for what it did, then the connection ends.
AIO_TEST(HttpServer, WebSocketProtocolErrorsGetTheirCloseCodes) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    struct Case {
        std::string frames;
        int code;
    };
    const std::vector<Case> cases = {
        {ws_frame(1, "unmasked", true), 1002},
        {ws_frame(1, "\xff\xfe not UTF-8"), 1007},
        {ws_frame(2, "", false, false, std::uint64_t{1} << 63), 1002},  // a 2^63 length
        {ws_frame(2, std::string(70000, 'b')), 1009},                   // past max_msg_size
        {ws_frame(0, "continuation of nothing"), 1002},
        {ws_frame(5, "reserved opcode"), 1002},
    };
    for (const auto& test : cases) {
        Client c = co_await connect(server);
        c.writer.write(upgrade_request("/ws"));
        EXPECT_EQ((co_await read_response(c.reader, true)).status, 101);
        c.writer.write(test.frames);
        ServerFrame f = co_await read_frame(c.reader);
        EXPECT_EQ(close_code_of(f), test.code)
            << "answer: opcode " << f.opcode << ", " << f.payload.size() << " bytes";
        c.writer.close();
    }
    co_await server.shutdown();
}

AIO_TEST(HttpServer, WebSocketHandshakesRefusedOrDeclined) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    EXPECT_EQ((co_await ask(server, get_request("/ws",
                                                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                                "Sec-WebSocket-Version: 13\r\n")))
                  .response.status,
              400);                                                              // no key
    EXPECT_EQ((co_await ask(server, get_request("/ws"))).response.status, 400);  // not an upgrade
    const std::string v8 = get_request("/ws",
                                       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                       "Sec-WebSocket-Version: 8\r\n");
    EXPECT_EQ((co_await ask(server, v8)).response.status, 426);
    // A handler that does not take the upgrade answers as HTTP, and HTTP goes on.
    Client c = co_await connect(server);
    c.writer.write(upgrade_request("/plain-upgrade") + get_request("/hello/after"));
    EXPECT_EQ((co_await read_response(c.reader)).body, "no upgrade here");
    EXPECT_EQ((co_await read_response(c.reader)).body, "Hello, after");
    c.writer.close();
    co_await server.shutdown();
}

namespace {

// Sends the request a byte a second, as a slowloris client does; how many bytes went.
aio::Task<std::size_t> dribble(aio::StreamWriter writer, std::string request) {
    std::size_t sent = 0;
    for (char c : request) {
        if (writer.is_closing()) break;
        writer.write(std::string(1, c));
        ++sent;
        co_await aio::sleep(1s);
    }
    co_return sent;
}

}  // namespace

// One byte a second: the head is not whole within header_timeout, so 408 and the connection is
// dropped, while another client is served all along.
AIO_TEST(HttpServer, OneBytePerSecondIsDroppedWhileOthersAreServed) {
    http::ServerOptions options;
    options.header_timeout = 10s;
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0, options);
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    Client slow = co_await connect(server);
    auto sending = aio::create_task(dribble(slow.writer, get_request("/hello/slow")));
    Client other = co_await connect(server);
    for (int i = 0; i < 5; ++i) {
        co_await aio::sleep(1500ms);
        other.writer.write(get_request("/hello/" + std::to_string(i)));
        EXPECT_EQ((co_await read_response(other.reader)).body, "Hello, " + std::to_string(i));
    }
    RawResponse r = co_await read_response(slow.reader);
    EXPECT_EQ(r.status, 408);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(loop.time() - start), 10s);
    EXPECT_EQ(co_await slow.reader.read(), "");
    const std::size_t sent = co_await sending;
    EXPECT_LT(sent, get_request("/hello/slow").size());
    slow.writer.close();
    other.writer.close();
    co_await server.shutdown();
}

// A client that stops sending in the middle of its body: the handler's read raises
// ConnectionResetError, which is the client's business (not reported, as aiohttp does not),
// and the connection ends.
AIO_TEST(HttpServer, ABodyCutShortIsNotReported) {
    auto server = co_await http::serve(test_app(), "127.0.0.1", 0);
    Client c = co_await connect(server);
    c.writer.write("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    c.writer.write_eof();
    EXPECT_EQ((co_await read_response(c.reader)).status, 500);
    EXPECT_EQ(co_await c.reader.read(), "");
    c.writer.close();
    co_await server.shutdown();
}
