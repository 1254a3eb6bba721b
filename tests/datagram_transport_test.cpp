// Datagram transports and protocols (asyncio's create_datagram_endpoint), on every backend:
// UDP both ways, connected and not, errors that reach error_received, the send queue's flow
// control, closing, and Unix datagram sockets.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "aio/testing.hpp"
#include "helpers.hpp"

using namespace std::chrono_literals;
using aio_test::error_code;
using aio_test::eventually;
using aio_test::factory_of;

namespace {

// Records what its transport tells it.
struct Datagrams : aio::DatagramProtocol {
    aio::DatagramTransport* transport = nullptr;
    std::vector<std::pair<std::string, std::string>> received;  // (data, sender)
    std::vector<int> errors;
    std::vector<std::string> events;
    std::exception_ptr lost_with;
    int lost = 0;
    bool echo = false;

    void connection_made(aio::DatagramTransport& t) override {
        transport = &t;
        events.push_back("made");
    }
    void datagram_received(std::string_view data, const aio::SocketAddress& from) override {
        received.emplace_back(std::string(data), from.to_string());
        if (echo) transport->sendto(data, from);
    }
    void error_received(std::exception_ptr e) override { errors.push_back(error_code(e)); }
    void pause_writing() override { events.push_back("pause"); }
    void resume_writing() override { events.push_back("resume"); }
    void connection_lost(std::exception_ptr e) override {
        events.push_back("lost");
        ++lost;
        lost_with = e;
    }
};

aio::Task<aio::DatagramConnection> echo_server(std::shared_ptr<Datagrams> p,
                                               std::string host = "127.0.0.1") {
    p->echo = true;
    aio::DatagramOptions options{.local_addr = aio::HostPort{host, 0}};
    co_return co_await aio::create_datagram_endpoint(factory_of(p), options);
}

std::uint16_t port_of(const aio::DatagramConnection& c) {
    return c.transport->get_extra_info<aio::SocketAddress>("sockname")->port();
}

}  // namespace

AIO_TEST(DatagramTransports, ConnectedClientTalksToAnEchoServer) {
    auto server = std::make_shared<Datagrams>();
    auto s = co_await echo_server(server);
    auto client = std::make_shared<Datagrams>();
    aio::DatagramOptions to_server{.remote_addr = aio::HostPort{"127.0.0.1", port_of(s)}};
    auto [transport, protocol] =
        co_await aio::create_datagram_endpoint(factory_of(client), to_server);
    EXPECT_EQ(protocol.get(), client.get());
    EXPECT_EQ(client->transport, transport.get());
    EXPECT_EQ(transport->get_extra_info<aio::SocketAddress>("peername")->port(), port_of(s));
    EXPECT_TRUE(transport->get_extra_info<int>("socket").has_value());
    transport->sendto("one");
    transport->sendto("");  // an empty datagram is a datagram
    transport->sendto("three");
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->received.size() == 3; }));
    EXPECT_EQ(client->received[0].first, "one");
    EXPECT_EQ(client->received[1].first, "");
    EXPECT_EQ(client->received[2].first, "three");
    EXPECT_EQ(client->received[0].second, "127.0.0.1:" + std::to_string(port_of(s)));
    const auto client_name = transport->get_extra_info<aio::SocketAddress>("sockname");
    EXPECT_EQ(server->received[0].second, client_name->to_string());
    EXPECT_TRUE(client->errors.empty());
    transport->close();
    EXPECT_TRUE(transport->is_closing());
    transport->sendto("ignored once closing");
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost == 1; }));
    EXPECT_EQ(client->events, (std::vector<std::string>{"made", "lost"}));
    EXPECT_FALSE(client->lost_with);
    EXPECT_FALSE(transport->get_extra_info<int>("socket").has_value());  // closed
    s.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return server->lost == 1; }));
    EXPECT_EQ(server->received.size(), 3u);
}

AIO_TEST(DatagramTransports, UnconnectedEndpointsTalkOverIPv6) {
    auto server = std::make_shared<Datagrams>();
    auto s = co_await echo_server(server, "::1");
    auto client = std::make_shared<Datagrams>();
    aio::DatagramOptions local{.local_addr = aio::HostPort{"::1", 0}};
    auto c = co_await aio::create_datagram_endpoint(factory_of(client), local);
    EXPECT_FALSE(c.transport->get_extra_info<aio::SocketAddress>("peername").has_value());
    const auto to = aio::SocketAddress::parse("::1", port_of(s));
    EXPECT_THROW(c.transport->sendto("no address"), std::invalid_argument);
    c.transport->sendto("hello", to);
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->received.size() == 1; }));
    EXPECT_EQ(client->received[0], std::make_pair(std::string("hello"), to.to_string()));
    c.transport->abort();
    s.transport->abort();
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost + server->lost == 2; }));
}

AIO_TEST(DatagramTransports, ConnectedTransportRefusesOtherAddresses) {
    auto server = std::make_shared<Datagrams>();
    auto s = co_await echo_server(server);
    auto client = std::make_shared<Datagrams>();
    aio::DatagramOptions to_server{.remote_addr = aio::HostPort{"127.0.0.1", port_of(s)}};
    auto c = co_await aio::create_datagram_endpoint(factory_of(client), to_server);
    const auto other = aio::SocketAddress::parse("127.0.0.1", 9);
    EXPECT_THROW(c.transport->sendto("x", other), std::invalid_argument);
    c.transport->sendto("same", aio::SocketAddress::parse("127.0.0.1", port_of(s)));
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->received.size() == 1; }));
    c.transport->close();
    s.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost + server->lost == 2; }));
}

// ICMP port unreachable comes back to a connected socket as ECONNREFUSED: reported to
// error_received, and the transport goes on working.
AIO_TEST(DatagramTransports, RefusedPortReachesErrorReceived) {
    auto nobody = aio::Socket::create(AF_INET, SOCK_DGRAM);
    nobody.bind(aio::SocketAddress::parse("127.0.0.1", 0));
    const auto closed_port = nobody.getsockname().port();
    nobody.close();
    auto client = std::make_shared<Datagrams>();
    aio::DatagramOptions to_closed{.remote_addr = aio::HostPort{"127.0.0.1", closed_port}};
    auto c = co_await aio::create_datagram_endpoint(factory_of(client), to_closed);
    c.transport->sendto("anyone?");
    AIO_ASSERT_TRUE(co_await eventually([&] { return !client->errors.empty(); }));
    EXPECT_EQ(client->errors[0], ECONNREFUSED);
    EXPECT_FALSE(c.transport->is_closing());
    c.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost == 1; }));
    EXPECT_FALSE(client->lost_with);
}

AIO_TEST(DatagramTransports, OptionsReachTheSocket) {
    auto a = std::make_shared<Datagrams>();
    aio::DatagramOptions first_options{
        .local_addr = aio::HostPort{"127.0.0.1", 0}, .reuse_port = true, .allow_broadcast = true};
    auto first = co_await aio::create_datagram_endpoint(factory_of(a), first_options);
    auto b = std::make_shared<Datagrams>();
    aio::DatagramOptions second_options{.local_addr = aio::HostPort{"127.0.0.1", port_of(first)},
                                        .reuse_port = true};
    // SO_REUSEPORT on both: the second binds the same port.
    auto second = co_await aio::create_datagram_endpoint(factory_of(b), second_options);
    EXPECT_EQ(port_of(second), port_of(first));
    aio::Socket probe(*first.transport->get_extra_info<int>("socket"));
    EXPECT_EQ(probe.get_option(SOL_SOCKET, SO_BROADCAST), 1);
    EXPECT_EQ(probe.get_option(SOL_SOCKET, SO_REUSEPORT), 1);
    probe.release();
    // Without SO_REUSEPORT the port is taken.
    auto c = std::make_shared<Datagrams>();
    aio::DatagramOptions taken{.local_addr = aio::HostPort{"127.0.0.1", port_of(first)}};
    EXPECT_TRUE(co_await aio_test::raises<std::system_error>(
        aio::create_datagram_endpoint(factory_of(c), taken)));
    first.transport->close();
    second.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return a->lost + b->lost == 2; }));
}

AIO_TEST(DatagramTransports, BadArgumentsAreClearErrors) {
    auto p = std::make_shared<Datagrams>();
    const aio::DatagramOptions nothing{};  // no address, no family
    EXPECT_TRUE(co_await aio_test::raises<std::invalid_argument>(
        aio::create_datagram_endpoint(factory_of(p), nothing)));
    // An IPv4 local address and an IPv6 remote one share no family.
    const aio::DatagramOptions mixed{.local_addr = aio::HostPort{"127.0.0.1", 0},
                                     .remote_addr = aio::HostPort{"::1", 9}};
    EXPECT_TRUE(co_await aio_test::raises<std::invalid_argument>(
        aio::create_datagram_endpoint(factory_of(p), mixed)));
    EXPECT_TRUE(co_await aio_test::raises<std::invalid_argument>(
        aio::create_datagram_endpoint(factory_of(p), aio::Socket::create(AF_INET))));  // stream
    // A protocol of the wrong kind.
    auto stream_protocol = std::make_shared<aio::Protocol>();
    const aio::DatagramOptions local{.local_addr = aio::HostPort{"127.0.0.1", 0}};
    EXPECT_TRUE(co_await aio_test::raises<aio::RuntimeError>(
        aio::create_datagram_endpoint(factory_of(stream_protocol), local)));
    // Family alone: an unbound socket of that family, which can send.
    const aio::DatagramOptions family_only{.family = AF_INET};
    auto unbound = co_await aio::create_datagram_endpoint(factory_of(p), family_only);
    EXPECT_EQ(p->events, (std::vector<std::string>{"made"}));
    unbound.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return p->lost == 1; }));
}

// A Unix datagram socket pair: the kernel refuses sends once the peer's queue is full, so the
// transport queues whole datagrams, pauses its protocol above the high-water mark and resumes
// it as the queue drains; close() waits for the queue, abort() drops it.
AIO_TEST(DatagramTransports, SendQueueHasFlowControlAndCloseFlushesIt) {
    int fds[2];
    AIO_ASSERT_TRUE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    aio::Socket other(fds[1]);
    auto p = std::make_shared<Datagrams>();
    auto c = co_await aio::create_datagram_endpoint(factory_of(p), aio::Socket(fds[0]));
    EXPECT_TRUE(c.transport->get_extra_info<aio::SocketAddress>("peername").has_value());
    c.transport->set_write_buffer_limits(4000);
    const int count = 2000;
    for (int i = 0; i < count; ++i)
        c.transport->sendto(std::to_string(i) + std::string(100, '.'));
    EXPECT_GT(c.transport->get_write_buffer_size(), 4000u);  // the kernel took only some
    EXPECT_EQ(p->events, (std::vector<std::string>{"made", "pause"}));
    c.transport->close();  // after the queue is sent
    EXPECT_TRUE(c.transport->is_closing());
    c.transport->sendto("queued after close");  // joins the queue still draining (asyncio)
    // Read every datagram, in order, giving the loop a turn whenever the queue is empty.
    std::vector<std::string> got;
    char buf[256];
    while (static_cast<int>(got.size()) < count + 1) {
        const long n = ::recv(other.fileno(), buf, sizeof buf, 0);
        if (n < 0) {
            AIO_ASSERT_TRUE(errno == EAGAIN);
            co_await aio::sleep(1ms);
            continue;
        }
        got.emplace_back(buf, static_cast<std::size_t>(n));
    }
    for (int i = 0; i < count; ++i)
        EXPECT_EQ(got[i], std::to_string(i) + std::string(100, '.'));
    EXPECT_EQ(got.back(), "queued after close");
    AIO_ASSERT_TRUE(co_await eventually([&] { return p->lost == 1; }));
    EXPECT_EQ(p->events, (std::vector<std::string>{"made", "pause", "resume", "lost"}));
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
}

AIO_TEST(DatagramTransports, AbortDropsTheSendQueue) {
    int fds[2];
    AIO_ASSERT_TRUE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    aio::Socket other(fds[1]);
    auto p = std::make_shared<Datagrams>();
    auto c = co_await aio::create_datagram_endpoint(factory_of(p), aio::Socket(fds[0]));
    for (int i = 0; i < 2000; ++i)
        c.transport->sendto(std::string(100, 'x'));
    EXPECT_GT(c.transport->get_write_buffer_size(), 0u);
    c.transport->abort();
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
    AIO_ASSERT_TRUE(co_await eventually([&] { return p->lost == 1; }));
    int read = 0;
    char buf[256];
    while (::recv(other.fileno(), buf, sizeof buf, 0) > 0)
        ++read;
    EXPECT_GT(read, 0);
    EXPECT_LT(read, 2000);  // the queued ones were dropped
}

// A protocol that throws from datagram_received: the transport closes, the loop's exception
// handler hears of it, and connection_lost gets the error.
namespace {
struct ThrowingDatagrams : Datagrams {
    void datagram_received(std::string_view, const aio::SocketAddress&) override {
        throw std::logic_error("bad datagram");
    }
};
}  // namespace

AIO_TEST(DatagramTransports, ThrowingProtocolClosesItsTransport) {
    auto p = std::make_shared<ThrowingDatagrams>();
    aio::DatagramOptions local{.local_addr = aio::HostPort{"127.0.0.1", 0}};
    auto c = co_await aio::create_datagram_endpoint(factory_of(p), local);
    auto sender = aio::Socket::create(AF_INET, SOCK_DGRAM);
    co_await aio::sock_sendto(sender, "boom",
                              *c.transport->get_extra_info<aio::SocketAddress>("sockname"));
    AIO_ASSERT_TRUE(co_await eventually([&] { return p->lost == 1; }));
    AIO_ASSERT_TRUE(p->lost_with != nullptr);
    EXPECT_THROW(std::rethrow_exception(p->lost_with), std::logic_error);
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Fatal error: protocol.datagram_received() call failed.");
}

AIO_TEST(DatagramTransports, UnixPathsReplaceAStaleSocket) {
    const std::string dir = ::testing::TempDir() + std::to_string(::getpid()) + "_";
    const std::string server_path = dir + "aio_dgram_server.sock";
    const std::string client_path = dir + "aio_dgram_client.sock";
    for (const auto& path : {server_path, client_path}) {  // stale sockets from an earlier run
        auto stale = aio::Socket::create(AF_UNIX, SOCK_DGRAM);
        ::unlink(path.c_str());
        stale.bind(aio::SocketAddress::from_path(path));
    }
    auto server = std::make_shared<Datagrams>();
    server->echo = true;
    aio::DatagramOptions server_options{.local_addr = aio::HostPort{server_path},
                                        .family = AF_UNIX};
    auto s = co_await aio::create_datagram_endpoint(factory_of(server), server_options);
    auto client = std::make_shared<Datagrams>();
    aio::DatagramOptions client_options{.local_addr = aio::HostPort{client_path},
                                        .remote_addr = aio::HostPort{server_path},
                                        .family = AF_UNIX};
    auto c = co_await aio::create_datagram_endpoint(factory_of(client), client_options);
    c.transport->sendto("over a path");
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->received.size() == 1; }));
    EXPECT_EQ(client->received[0], std::make_pair(std::string("over a path"), server_path));
    EXPECT_EQ(server->received[0].second, client_path);
    aio::DatagramOptions with_port{.local_addr = aio::HostPort{client_path, 80}, .family = AF_UNIX};
    EXPECT_TRUE(co_await aio_test::raises<std::invalid_argument>(
        aio::create_datagram_endpoint(factory_of(client), with_port)));
    c.transport->close();
    s.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost + server->lost == 2; }));
    ::unlink(server_path.c_str());
    ::unlink(client_path.c_str());
}
