// The Boost.Beast peer of bench/http_compare, as Beast's C++20-coroutine examples write a
// server (beast/example/http/server/awaitable): one io_context on one thread, a coroutine per
// connection reading a request and writing its response, keeping the connection alive. The
// TechEmpower plaintext and json endpoints. Prints "Serving on 127.0.0.1:PORT"; SIGTERM ends it.
//   http_beast [PORT]
#include <utility>  // (Boost 1.74's awaitable.hpp uses std::exchange without it)

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

http::response<http::string_body> answer(const http::request<http::string_body>& request) {
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "beast");
    if (request.target() == "/plaintext") {
        response.set(http::field::content_type, "text/plain");
        response.body() = "Hello, World!";
    } else if (request.target() == "/json") {
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"message":"Hello, World!"})";
    } else {
        response.result(http::status::not_found);
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
}

awaitable<void> session(tcp::socket socket) {
    beast::flat_buffer buffer;
    try {
        for (;;) {
            http::request<http::string_body> request;
            co_await http::async_read(socket, buffer, request, use_awaitable);
            auto response = answer(request);
            co_await http::async_write(socket, response, use_awaitable);
            if (!response.keep_alive()) break;
        }
    } catch (const std::exception&) {
        // the client closed its connection
    }
}

awaitable<void> listener(tcp::acceptor acceptor) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
        socket.set_option(tcp::no_delay(true));
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
}

int main(int argc, char** argv) {
    asio::io_context io(1);
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
    std::printf("Serving on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    asio::signal_set signals(io, SIGTERM);
    signals.async_wait([&](auto, auto) { io.stop(); });
    asio::co_spawn(io, listener(std::move(acceptor)), asio::detached);
    io.run();
}
