// The Boost.Asio echo server of bench/compare, as Asio's C++20 coroutine example writes one
// (asio/example/cpp20/coroutines/echo_server.cpp), with a 64 KiB buffer as every server here
// has: one io_context on one thread, a coroutine per connection. Prints "Serving on
// 127.0.0.1:PORT"; SIGTERM ends it.
//   echo_asio [PORT]
#include <utility>  // (Boost 1.74's awaitable.hpp uses std::exchange without it)

#include <boost/asio.hpp>
#include <cstdio>
#include <cstdlib>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

awaitable<void> echo(tcp::socket socket) {
    try {
        char data[65536];
        for (;;) {
            std::size_t n = co_await socket.async_read_some(asio::buffer(data), use_awaitable);
            co_await asio::async_write(socket, asio::buffer(data, n), use_awaitable);
        }
    } catch (const std::exception&) {
        // the client closed its connection
    }
}

awaitable<void> listener(tcp::acceptor acceptor) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
        asio::co_spawn(acceptor.get_executor(), echo(std::move(socket)), asio::detached);
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
