// Name resolution, connecting by name, Unix-domain streams and UDP datagrams. Loopback and
// private temporary paths only; no test depends on a resolver being reachable.
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

using aio_test::echo_lines;

aio::Task<std::string> say(aio::StreamReader reader, aio::StreamWriter writer, std::string text) {
    writer.write(text);
    std::string back = co_await reader.readline();
    writer.close();
    co_await writer.wait_closed();
    co_return back;
}

// ---- DNS ----

AIO_TEST(Dns, NumericHostsNeedNoResolver) {
    auto infos = co_await aio::getaddrinfo("127.0.0.1", 80, {.type = SOCK_STREAM});
    AIO_ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].family, AF_INET);
    EXPECT_EQ(infos[0].address.to_string(), "127.0.0.1:80");
    auto both = co_await aio::getaddrinfo("::1", 53);  // stream and datagram
    EXPECT_EQ(both.size(), 2u);
}

// Through the C library's resolver on a worker thread (AI_CANONNAME skips the numeric shortcut;
// a numeric host keeps the test independent of the machine's /etc/hosts and DNS).
AIO_TEST(Dns, TheResolverRunsOffTheLoop) {
    auto infos =
        co_await aio::getaddrinfo("127.0.0.1", 8080, {.type = SOCK_STREAM, .flags = AI_CANONNAME});
    AIO_ASSERT_EQ(infos.size(), 1u);
    EXPECT_EQ(infos[0].canonical_name, "127.0.0.1");  // only the C library fills it in
    EXPECT_EQ(infos[0].address.to_string(), "127.0.0.1:8080");
}

AIO_TEST(Dns, FailuresAreGaiErrors) {
    try {
        co_await aio::getaddrinfo("not a host", 1, {.flags = AI_NUMERICHOST});
        ADD_FAILURE() << "resolved";
    } catch (const aio::GaiError& e) {
        EXPECT_EQ(e.code(), EAI_NONAME);
    }
}

AIO_TEST(Dns, GetnameinfoGivesHostAndService) {
    auto [host, service] = co_await aio::getnameinfo(aio::SocketAddress::parse("127.0.0.1", 80),
                                                     NI_NUMERICHOST | NI_NUMERICSERV);
    EXPECT_EQ(host, "127.0.0.1");
    EXPECT_EQ(service, "80");
}

AIO_TEST(Dns, OpenConnectionTriesEachAddressInTurn) {
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
    const auto open = server.sockets()[0];
    auto closed_sock = aio::Socket::create(AF_INET6);  // bound, never listening: refuses
    closed_sock.bind(aio::SocketAddress::parse("::1", 0));
    const auto refused = closed_sock.getsockname();
    // (vectors built by push_back: g++ 12 miscompiles initializer lists in coroutines)
    std::vector<aio::SocketAddress> first_refused;
    first_refused.push_back(refused);
    first_refused.push_back(open);
    std::vector<aio::SocketAddress> all_refused(2, refused);
    auto sock = co_await aio::detail::connect_any(first_refused);
    auto [reader, writer] = co_await aio::open_connection(std::move(sock));
    EXPECT_EQ(co_await say(reader, writer, "second\n"), "second\n");
    try {  // every one refused: that error, not a summary
        co_await aio::detail::connect_any(all_refused);
        ADD_FAILURE() << "connected";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNREFUSED);
    }
    server.close();
    co_await server.wait_closed();
}

// ---- Unix-domain streams ----

std::string temp_socket_path() {
    char dir[] = "/tmp/aio-test-XXXXXX";
    EXPECT_NE(::mkdtemp(dir), nullptr);
    return std::string(dir) + "/echo.sock";
}

AIO_TEST(UnixStreams, EchoOverAPathThenTheFileIsRemoved) {
    const std::string path = temp_socket_path();
    auto server = co_await aio::start_unix_server(echo_lines, path);
    EXPECT_EQ(server.sockets()[0].to_string(), path);
    auto [reader, writer] = co_await aio::open_unix_connection(path);
    EXPECT_EQ(co_await say(reader, writer, "over unix\n"), "over unix\n");
    server.close();
    co_await server.wait_closed();
    struct stat st {};
    EXPECT_NE(::stat(path.c_str(), &st), 0);  // cleaned up
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
}

AIO_TEST(UnixStreams, AStaleSocketFileIsReplaced) {
    const std::string path = temp_socket_path();
    {
        auto stale = aio::Socket::create(AF_UNIX);  // bound, then abandoned: the file stays
        stale.bind(aio::SocketAddress::from_path(path));
    }
    auto server = co_await aio::start_unix_server(echo_lines, path);
    auto [reader, writer] = co_await aio::open_unix_connection(path);
    EXPECT_EQ(co_await say(reader, writer, "fresh\n"), "fresh\n");
    server.close();
    co_await server.wait_closed();
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
}

AIO_TEST(UnixStreams, AbstractNamesAndBadPaths) {
    const std::string name = std::string(1, '\0') + "aio-test-" + std::to_string(::getpid());
    auto server = co_await aio::start_unix_server(echo_lines, name);
    auto [reader, writer] = co_await aio::open_unix_connection(name);
    EXPECT_EQ(co_await say(reader, writer, "abstract\n"), "abstract\n");
    server.close();
    co_await server.wait_closed();
    EXPECT_THROW(aio::SocketAddress::from_path(std::string(200, 'x')), std::invalid_argument);
    EXPECT_THROW(aio::SocketAddress::from_path(""), std::invalid_argument);
    try {
        co_await aio::open_unix_connection("/nonexistent-dir/aio.sock");
        ADD_FAILURE() << "connected";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
    }
}

// ---- Datagrams ----

aio::Task<> datagram_round_trip(const char* host) {
    auto a = co_await aio::open_datagram_endpoint(host, 0);
    auto b = co_await aio::open_datagram_endpoint(host, 0);
    co_await b.sendto("ping", a.local_address());
    auto [data, from] = co_await a.recvfrom();
    EXPECT_EQ(data, "ping");
    EXPECT_EQ(from.to_string(), b.local_address().to_string());
    co_await a.sendto("pong", from);
    auto [reply, replier] = co_await b.recvfrom();
    EXPECT_EQ(reply, "pong");
    EXPECT_EQ(replier.port(), a.local_address().port());
}

AIO_TEST(Datagrams, RoundTripOverIPv4) {
    co_await datagram_round_trip("127.0.0.1");
}

AIO_TEST(Datagrams, RoundTripOverIPv6) {
    co_await datagram_round_trip("::1");
}

AIO_TEST(Datagrams, CancelledRecvLosesNothingAndLongDatagramsAreCut) {
    auto a = co_await aio::open_datagram_endpoint("127.0.0.1", 0);
    auto b = co_await aio::open_datagram_endpoint("127.0.0.1", 0);
    auto pending = aio::create_task(a.recvfrom());
    co_await aio::sleep(10ms);
    pending.cancel();
    EXPECT_THROW(co_await pending, aio::CancelledError);
    co_await b.sendto(std::string(100, 'x'), a.local_address());
    co_await b.sendto("next", a.local_address());
    auto [cut, from1] = co_await a.recvfrom(10);
    EXPECT_EQ(cut, std::string(10, 'x'));  // the rest of that datagram is gone, as in Python
    auto [next, from2] = co_await a.recvfrom();
    EXPECT_EQ(next, "next");
}

}  // namespace
