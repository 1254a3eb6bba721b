// Connecting as asyncio's create_connection does: addresses in turn or staggered (Happy
// Eyeballs), the family order, a local address to connect from, and the errors when nothing
// answers. Loopback only; a listener with a full accept queue stands in for a host that does
// not answer.
#include <sys/socket.h>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "aio/testing.hpp"
#include "helpers.hpp"

using namespace std::chrono_literals;
using aio_test::error_code;

namespace {

aio::SocketAddress v4(std::uint16_t port, const char* host = "127.0.0.1") {
    return aio::SocketAddress::parse(host, port);
}

// A port nothing listens on (refused at once).
std::uint16_t closed_port() {
    auto s = aio::Socket::create(AF_INET);
    s.bind(v4(0));
    return s.getsockname().port();
}

// A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it
// waits (for the SYN retries, a second and more) - a host that does not answer.
struct Unanswering {
    aio::Socket listener = aio::Socket::create(AF_INET);
    std::vector<aio::Socket> fillers;
    Unanswering() {
        listener.bind(v4(0));
        listener.listen(0);
        for (int i = 0; i < 3; ++i) {  // one fills the queue; the others wait like ours will
            auto s = aio::Socket::create(AF_INET);
            (void)::connect(s.fileno(), listener.getsockname().data(),
                            listener.getsockname().size());
            fillers.push_back(std::move(s));
        }
    }
    std::uint16_t port() const { return listener.getsockname().port(); }
};

aio::Task<std::string> peer_of_first_accept(aio::Socket& listener) {
    auto [conn, peer] = co_await aio::sock_accept(listener);
    co_return peer.host();
}

}  // namespace

AIO_TEST(Connect, InterleaveAlternatesFamiliesAsAsyncio) {
    const auto a = v4(1), b = v4(2), c = v4(3);
    const auto x = aio::SocketAddress::parse("::1", 1), y = aio::SocketAddress::parse("::1", 2);
    auto names = [](const std::vector<aio::SocketAddress>& v) {
        std::string s;
        for (const auto& addr : v)
            s += addr.to_string() + " ";
        return s;
    };
    const std::vector<aio::SocketAddress> in{x, y, a, b, c};
    EXPECT_EQ(names(aio::detail::interleave_addresses(in, 1)),
              "[::1]:1 127.0.0.1:1 [::1]:2 127.0.0.1:2 127.0.0.1:3 ");
    EXPECT_EQ(names(aio::detail::interleave_addresses(in, 2)),
              "[::1]:1 [::1]:2 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 ");
    EXPECT_EQ(names(aio::detail::interleave_addresses({a, b}, 1)), "127.0.0.1:1 127.0.0.1:2 ");
    co_return;
}

AIO_TEST(Connect, AddressesInTurnUntilOneAnswers) {
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(v4(0));
    listener.listen();
    const auto port = listener.getsockname().port();
    const std::vector<aio::SocketAddress> addresses{v4(closed_port()), v4(port)};
    auto sock = co_await aio::detail::connect_any(addresses);
    EXPECT_EQ(sock.getpeername().port(), port);
}

AIO_TEST(Connect, HappyEyeballsStartsTheNextAttemptAfterTheDelay) {
    Unanswering silent;
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(v4(0));
    listener.listen();
    const auto port = listener.getsockname().port();
    const aio::ConnectOptions options{.happy_eyeballs_delay = 20ms};
    const std::vector<aio::SocketAddress> addresses{v4(silent.port()), v4(port)};
    auto sock = co_await aio::detail::connect_any(addresses, options);
    EXPECT_EQ(sock.getpeername().port(), port);
    // (The attempt at the silent host was cancelled and awaited: the test harness fails on
    // tasks left pending.)
}

AIO_TEST(Connect, HappyEyeballsMovesOnAtOnceWhenAnAttemptFails) {
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(v4(0));
    listener.listen();
    const auto port = listener.getsockname().port();
    // An hour's delay: only the refusal can start the second attempt.
    const aio::ConnectOptions options{.happy_eyeballs_delay = 3600s};
    const auto before = aio::get_running_loop().time();
    const std::vector<aio::SocketAddress> addresses{v4(closed_port()), v4(port)};
    auto sock = co_await aio::detail::connect_any(addresses, options);
    EXPECT_EQ(sock.getpeername().port(), port);
    EXPECT_LT(aio::get_running_loop().time() - before, aio::Duration(60s));
}

AIO_TEST(Connect, ErrorsFollowAsyncioRules) {
    const auto refused = v4(closed_port());
    // One error, or the same error every time: that error.
    try {
        const std::vector<aio::SocketAddress> addresses{refused, refused};
        co_await aio::detail::connect_any(addresses);
        ADD_FAILURE() << "connected to a closed port";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNREFUSED);
    }
    // Different errors: "Multiple exceptions: ...".
    const aio::ConnectOptions from_v6{.local_addr = aio::SocketAddress::parse("::1", 0)};
    try {
        const std::vector<aio::SocketAddress> addresses{refused,
                                                        aio::SocketAddress::parse("::1", 9)};
        co_await aio::detail::connect_any(addresses, from_v6);
        ADD_FAILURE() << "connected";
    } catch (const std::system_error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("Multiple exceptions: ", 0), 0u) << e.what();
        EXPECT_NE(std::string(e.what()).find("no matching local address"), std::string::npos);
    }
    // all_errors: every error, in an ExceptionGroup.
    const aio::ConnectOptions all{.all_errors = true};
    try {
        const std::vector<aio::SocketAddress> addresses{refused, refused};
        co_await aio::detail::connect_any(addresses, all);
        ADD_FAILURE() << "connected";
    } catch (const aio::ExceptionGroup& g) {
        EXPECT_EQ(g.message(), "create_connection failed");
        AIO_ASSERT_EQ(g.exceptions().size(), 2u);
        EXPECT_EQ(error_code(g.exceptions()[1]), ECONNREFUSED);
    }
    // With Happy Eyeballs too.
    const aio::ConnectOptions racing{.happy_eyeballs_delay = 10ms, .all_errors = true};
    try {
        const std::vector<aio::SocketAddress> addresses{refused, refused, refused};
        co_await aio::detail::connect_any(addresses, racing);
        ADD_FAILURE() << "connected";
    } catch (const aio::ExceptionGroup& g) {
        EXPECT_EQ(g.exceptions().size(), 3u);
    }
}

AIO_TEST(Connect, CancellingTheRaceCancelsEveryAttempt) {
    Unanswering silent;
    const aio::ConnectOptions options{.happy_eyeballs_delay = 5ms};
    const std::vector<aio::SocketAddress> addresses{v4(silent.port()), v4(silent.port())};
    auto racing = aio::create_task(aio::detail::connect_any(addresses, options));
    co_await aio::sleep(50ms);
    EXPECT_FALSE(racing.done());
    racing.cancel();
    try {
        co_await racing;
        ADD_FAILURE() << "connected to a host that does not answer";
    } catch (const aio::CancelledError&) {
    }
}

AIO_TEST(Connect, LocalAddressIsWhereTheConnectionComesFrom) {
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(v4(0));
    listener.listen();
    const aio::ConnectOptions options{.local_addr = v4(0, "127.0.0.2")};
    auto accepting = aio::create_task(peer_of_first_accept(listener));
    auto conn =
        co_await aio::create_connection([] { return std::make_shared<aio::Protocol>(); },
                                        "127.0.0.1", listener.getsockname().port(), options);
    EXPECT_EQ(co_await accepting, "127.0.0.2");
    EXPECT_EQ(conn.transport->get_extra_info<aio::SocketAddress>("sockname")->host(), "127.0.0.2");
    conn.transport->close();
}

AIO_TEST(Connect, OpenConnectionTakesTheOptions) {
    auto server = co_await aio::start_server(aio_test::echo_lines, "127.0.0.1", 0);
    const aio::ConnectOptions options{.family = AF_INET, .happy_eyeballs_delay = 250ms};
    auto [reader, writer] =
        co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), options);
    writer.write("over happy eyeballs\n");
    EXPECT_EQ(co_await reader.readline(), "over happy eyeballs\n");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Connect, CreateConnectionOverAConnectedSocket) {
    auto server = co_await aio::create_server([] { return std::make_shared<aio::Protocol>(); },
                                              "127.0.0.1", 0);
    auto sock = aio::Socket::create(AF_INET);
    co_await aio::sock_connect(sock, server.sockets()[0]);
    auto conn = co_await aio::create_connection([] { return std::make_shared<aio::Protocol>(); },
                                                std::move(sock));
    EXPECT_EQ(conn.transport->get_extra_info<aio::SocketAddress>("peername")->port(),
              server.sockets()[0].port());
    conn.transport->close();
    server.close();
    co_await server.wait_closed();
}
