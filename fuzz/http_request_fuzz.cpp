// Fuzz target: the HTTP server's request path (llhttp and aio's glue around it: fields, bodies by
// length and chunked, pipelining, limits, 100-continue). The input is the byte stream a client
// sends (after one byte that chooses where the stream is cut into reads); the server's
// connection runs over a memory transport with small limits. Whatever arrives, nothing may crash
// or leak (ASan, under make fuzz), every handler must see a request with a method and a target,
// whatever the server wrote must be HTTP/1.1 responses, and once the client's end has arrived
// the connection must end by itself (no hang).
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../src/http/server_connection.hpp"
#include "../tests/memory_transport.hpp"

namespace {

namespace http = aio::http;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "http_request_fuzz: %s\n", what);
    std::abort();
}

aio::Task<http::Response> check(http::Request& request) {
    if (request.method.empty() || request.target.empty())
        fail("a request without method or target");
    co_return http::Response("ok");
}

aio::Task<http::Response> echo(http::Request& request) {
    co_return http::Response(co_await request.read());
}

aio::Task<http::Response> stream(http::Request& request) {
    auto out = co_await request.prepare(http::Response());
    co_await out.write(std::string(request.target.size(), 's'));
    co_return out;
}

aio::Task<> run(const std::uint8_t* data, std::size_t size) {
    auto state = std::make_shared<http::Server::State>();
    state->app.get("/", check)
        .post("/", echo)
        .put("/", echo)
        .get("/s/{x}", stream)
        .route("PATCH", "/{a}/{b}", check);
    state->options.max_request_line = 64;
    state->options.max_field_size = 64;
    state->options.max_headers = 8;
    state->options.max_body_size = 256;
    auto transport = std::make_shared<aio_test::MemoryTransport>();
    auto connection = std::make_shared<http::detail::ServerConnection>(state);
    transport->protocol = connection;
    connection->connection_made(*transport);
    const std::size_t cut = size ? data[0] % 16 + 1 : 1;
    std::size_t at = size ? 1 : 0;
    while (at < size && !transport->closed) {
        const std::size_t n = std::min(cut, size - at);
        transport->receive(std::string_view(reinterpret_cast<const char*>(data + at), n));
        at += n;
        co_await aio::sleep(std::chrono::seconds(0));
    }
    if (!transport->closed) connection->eof_received();
    // Virtual time: the timeouts (seconds) pass at once if something waits on them.
    for (int i = 0; i < 1000 && !state->connections.empty(); ++i)
        co_await aio::sleep(std::chrono::seconds(1));
    if (!state->connections.empty()) fail("the connection did not end after the client's EOF");
    if (!transport->outbox.empty() && transport->outbox.rfind("HTTP/1.1 ", 0) != 0)
        fail("the server wrote something that is not a response");
    co_await aio::sleep(std::chrono::seconds(0));  // connection_lost
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* loop =
        new aio::EventLoop({.virtual_time = true, .backend = aio::BackendKind::epoll});
    loop->run_until_complete(run(data, size));
    return 0;
}
