// Transports and protocols (asyncio.transports / asyncio.protocols), on every backend: the
// callbacks' order, flow control both ways, half-close, errors, pipes and Unix sockets.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>
#include <system_error>

#include "aio/testing.hpp"
#include "helpers.hpp"

using namespace std::chrono_literals;
using aio_test::error_code;
using aio_test::eventually;
using aio_test::factory_of;

namespace {

// Records what the transport tells it.
struct Recorder : aio::Protocol {
    aio::Transport* transport = nullptr;
    std::string data;
    std::vector<std::string> events;
    std::exception_ptr lost_with;
    int lost = 0;
    bool keep_open_on_eof = false;

    void connection_made(aio::Transport& t) override {
        transport = &t;
        events.push_back("made");
    }
    void data_received(std::string_view d) override { data.append(d); }
    bool eof_received() override {
        events.push_back("eof");
        return keep_open_on_eof;
    }
    void connection_lost(std::exception_ptr e) override {
        events.push_back("lost");
        ++lost;
        lost_with = e;
    }
    void pause_writing() override { events.push_back("pause"); }
    void resume_writing() override { events.push_back("resume"); }
};

// Writes back what it receives; closes on EOF.
struct Echo : aio::Protocol {
    aio::Transport* transport = nullptr;
    void connection_made(aio::Transport& t) override { transport = &t; }
    void data_received(std::string_view d) override { transport->write(d); }
};

}  // namespace

AIO_TEST(Transports, ProtocolEchoInAsyncioOrder) {
    auto server =
        co_await aio::create_server([] { return std::make_shared<Echo>(); }, "127.0.0.1", 0);
    auto client = std::make_shared<Recorder>();
    auto [transport, protocol] = co_await aio::create_connection(factory_of(client), "127.0.0.1",
                                                                 server.sockets()[0].port());
    EXPECT_EQ(protocol.get(), client.get());
    EXPECT_EQ(client->transport, transport.get());
    transport->write("hello, ");
    std::vector<std::string> pieces{"proto", "cols"};
    transport->writelines(pieces);
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->data.size() == 16; }));
    EXPECT_EQ(client->data, "hello, protocols");
    transport->write_eof();  // the echo closes on EOF: we hear EOF, then the loss
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost == 1; }));
    EXPECT_EQ(client->events, (std::vector<std::string>{"made", "eof", "lost"}));
    EXPECT_FALSE(client->lost_with);
    EXPECT_TRUE(transport->is_closing());
    EXPECT_THROW(transport->write("more"), aio::RuntimeError);  // after write_eof, as asyncio
    EXPECT_EQ(transport->get_write_buffer_size(), 0u);
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, LargeTransferIsExact) {
    auto server =
        co_await aio::create_server([] { return std::make_shared<Echo>(); }, "127.0.0.1", 0);
    auto client = std::make_shared<Recorder>();
    auto conn = co_await aio::create_connection(factory_of(client), "127.0.0.1",
                                                server.sockets()[0].port());
    std::string payload(4 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>('a' + (i * 7919) % 26);
    conn.transport->write(payload);
    AIO_ASSERT_TRUE(
        co_await eventually([&] { return client->data.size() >= payload.size(); }, 20000));
    EXPECT_TRUE(client->data == payload);
    conn.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost == 1; }));
    server.close();
    co_await server.wait_closed();
}

// Reads straight into the protocol's memory, in pieces as small as the protocol lends.
struct SmallBuffers : aio::BufferedProtocol {
    char buf[100];
    std::string got;
    int updates = 0;
    bool eof = false;
    std::span<char> get_buffer(std::size_t) override { return std::span<char>(buf, sizeof buf); }
    void buffer_updated(std::size_t n) override {
        got.append(buf, n);
        ++updates;
    }
    bool eof_received() override {
        eof = true;
        return false;
    }
};

AIO_TEST(Transports, BufferedProtocolReadsIntoItsOwnMemory) {
    auto receiver = std::make_shared<SmallBuffers>();
    auto server = co_await aio::create_server(factory_of(receiver), "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    const std::string payload(10000, 'q');
    writer.write(payload);
    writer.write_eof();
    AIO_ASSERT_TRUE(co_await eventually([&] { return receiver->eof; }));
    EXPECT_EQ(receiver->got, payload);
    EXPECT_GE(receiver->updates, 100);      // 100 bytes at most each time
    EXPECT_EQ(co_await reader.read(), "");  // closed after its EOF
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, PauseReadingStopsDataAndBoundsMemory) {
    auto server_side = std::make_shared<Recorder>();
    auto server = co_await aio::create_server(factory_of(server_side), "127.0.0.1", 0);
    auto client = std::make_shared<Recorder>();
    auto conn = co_await aio::create_connection(factory_of(client), "127.0.0.1",
                                                server.sockets()[0].port());
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->transport != nullptr; }));
    conn.transport->pause_reading();
    EXPECT_FALSE(conn.transport->is_reading());
    const std::string chunk(1 << 20, 'p');
    for (int i = 0; i < 16; ++i)
        server_side->transport->write(chunk);  // 16 MiB at a reader that does not read
    co_await aio::sleep(50ms);
    EXPECT_EQ(client->data.size(), 0u);
    // The kernel's buffers filled and the sender holds the rest: paused at its high-water mark.
    EXPECT_GT(server_side->transport->get_write_buffer_size(), 8u << 20);
    EXPECT_EQ(server_side->events, (std::vector<std::string>{"made", "pause"}));
    conn.transport->resume_reading();
    EXPECT_TRUE(conn.transport->is_reading());
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->data.size() == (16u << 20); }, 20000));
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->events.size() == 3; }));
    EXPECT_EQ(server_side->events.back(), "resume");
    EXPECT_EQ(server_side->transport->get_write_buffer_size(), 0u);
    conn.transport->close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, WriteBufferLimitsFollowAsyncioRules) {
    auto server =
        co_await aio::create_server([] { return std::make_shared<Echo>(); }, "127.0.0.1", 0);
    auto client = std::make_shared<Recorder>();
    auto conn = co_await aio::create_connection(factory_of(client), "127.0.0.1",
                                                server.sockets()[0].port());
    aio::Transport& t = *conn.transport;
    EXPECT_EQ(t.get_write_buffer_limits(), std::make_pair(std::size_t{16384}, std::size_t{65536}));
    t.set_write_buffer_limits(std::nullopt, 1000);  // high = 4 x low
    EXPECT_EQ(t.get_write_buffer_limits(), std::make_pair(std::size_t{1000}, std::size_t{4000}));
    t.set_write_buffer_limits(800);  // low = high / 4
    EXPECT_EQ(t.get_write_buffer_limits(), std::make_pair(std::size_t{200}, std::size_t{800}));
    EXPECT_THROW(t.set_write_buffer_limits(10, 20), std::invalid_argument);
    t.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, HalfCloseKeepsTheOtherDirection) {
    auto server_side = std::make_shared<Recorder>();
    server_side->keep_open_on_eof = true;
    auto server = co_await aio::create_server(factory_of(server_side), "127.0.0.1", 0);
    auto client = std::make_shared<Recorder>();
    client->keep_open_on_eof = true;
    auto conn = co_await aio::create_connection(factory_of(client), "127.0.0.1",
                                                server.sockets()[0].port());
    EXPECT_TRUE(conn.transport->can_write_eof());
    conn.transport->write("question");
    conn.transport->write_eof();
    EXPECT_THROW(conn.transport->write("more"), aio::RuntimeError);
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->events.size() == 2; }));
    EXPECT_EQ(server_side->data, "question");
    EXPECT_EQ(server_side->events.back(), "eof");
    server_side->transport->write("answer");  // still open the other way
    server_side->transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->events.size() == 2; }));
    EXPECT_EQ(client->data, "answer");
    conn.transport->close();
    AIO_ASSERT_TRUE(
        co_await eventually([&] { return client->lost == 1 && server_side->lost == 1; }));
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, AbortDropsTheWriteBuffer) {
    auto server_side = std::make_shared<Recorder>();
    auto server = co_await aio::create_server(factory_of(server_side), "127.0.0.1", 0);
    auto client = std::make_shared<Recorder>();
    auto conn = co_await aio::create_connection(factory_of(client), "127.0.0.1",
                                                server.sockets()[0].port());
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->transport != nullptr; }));
    server_side->transport->pause_reading();
    conn.transport->write(std::string(32 << 20, 'a'));  // more than the kernel holds
    co_await aio::sleep(10ms);
    EXPECT_GT(conn.transport->get_write_buffer_size(), 0u);
    conn.transport->abort();
    EXPECT_TRUE(conn.transport->is_closing());
    EXPECT_EQ(conn.transport->get_write_buffer_size(), 0u);
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost == 1; }));
    EXPECT_FALSE(client->lost_with);
    conn.transport->abort();  // again: nothing more happens
    co_await aio::sleep(5ms);
    EXPECT_EQ(client->lost, 1);
    server_side->transport->resume_reading();
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->lost == 1; }));
    EXPECT_LT(server_side->data.size(), 32u << 20);
    server.close();
    co_await server.wait_closed();
}

// A peer that resets (SO_LINGER 0) while we write: connection_lost once, with the errno.
AIO_TEST(Transports, PeerResetReachesConnectionLostOnce) {
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(aio::SocketAddress::parse("127.0.0.1", 0));
    listener.listen();
    auto client = std::make_shared<Recorder>();
    auto connecting = aio::create_task(
        aio::create_connection(factory_of(client), "127.0.0.1", listener.getsockname().port()));
    auto [peer, addr] = co_await aio::sock_accept(listener);
    auto conn = co_await connecting;
    ::linger lg{1, 0};
    ::setsockopt(peer.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    peer.close();  // RST
    for (int i = 0; i < 50 && client->lost == 0; ++i) {
        conn.transport->write(std::string(65536, 'w'));
        co_await aio::sleep(1ms);
    }
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->lost == 1; }));
    const int err = error_code(client->lost_with);
    EXPECT_TRUE(err == ECONNRESET || err == EPIPE) << err;
    co_await aio::sleep(5ms);
    EXPECT_EQ(client->lost, 1);
}

struct Throws : Recorder {
    void data_received(std::string_view) override { throw std::logic_error("bad bytes"); }
};

AIO_TEST(Transports, AProtocolThatThrowsLosesItsConnectionAndIsReported) {
    auto server_side = std::make_shared<Throws>();
    auto server = co_await aio::create_server(factory_of(server_side), "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write("boom");
    AIO_ASSERT_TRUE(co_await eventually([&] { return server_side->lost == 1; }));
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Fatal error: protocol.data_received() call failed.");
    EXPECT_EQ(error_code(server_side->lost_with), -1);  // the protocol's own exception
    EXPECT_EQ(co_await reader.read(), "");              // the peer sees the close
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, ExtraInfo) {
    auto server = co_await aio::create_server([] { return std::make_shared<Echo>(); }, "::1", 0);
    auto client = std::make_shared<Recorder>();
    const auto port = server.sockets()[0].port();
    auto conn = co_await aio::create_connection(factory_of(client), "::1", port);
    auto peer = conn.transport->get_extra_info<aio::SocketAddress>("peername");
    AIO_ASSERT_TRUE(peer.has_value());
    EXPECT_EQ(peer->to_string(), "[::1]:" + std::to_string(port));
    EXPECT_TRUE(conn.transport->get_extra_info<aio::SocketAddress>("sockname").has_value());
    EXPECT_TRUE(conn.transport->get_extra_info<int>("socket").has_value());
    EXPECT_FALSE(conn.transport->get_extra_info("no such thing").has_value());
    conn.transport->close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Transports, PipesBothWays) {
    int fds[2];
    AIO_ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    auto reading = std::make_shared<Recorder>();
    auto writing = std::make_shared<Recorder>();
    auto in = co_await aio::connect_read_pipe(factory_of(reading), fds[0]);
    auto out = co_await aio::connect_write_pipe(factory_of(writing), fds[1]);
    EXPECT_FALSE(out.transport->can_write_eof());
    EXPECT_THROW(in.transport->write("x"), aio::RuntimeError);
    const std::string payload(300000, 'z');  // more than a pipe holds
    out.transport->write(payload);
    out.transport->close();  // after the flush: the reader sees EOF
    AIO_ASSERT_TRUE(co_await eventually([&] { return reading->lost == 1; }));
    EXPECT_EQ(reading->data.size(), payload.size());
    EXPECT_EQ(reading->events, (std::vector<std::string>{"made", "eof", "lost"}));
    AIO_ASSERT_TRUE(co_await eventually([&] { return writing->lost == 1; }));
    EXPECT_FALSE(writing->lost_with);
}

AIO_TEST(Transports, UnixAndAcceptedSockets) {
    char dir[] = "/tmp/aio-transport-XXXXXX";
    AIO_ASSERT_TRUE(::mkdtemp(dir) != nullptr);
    const std::string path = std::string(dir) + "/t.sock";
    auto server = co_await aio::create_unix_server([] { return std::make_shared<Echo>(); }, path);
    auto client = std::make_shared<Recorder>();
    auto conn = co_await aio::create_unix_connection(factory_of(client), path);
    conn.transport->write("over unix");
    AIO_ASSERT_TRUE(co_await eventually([&] { return client->data == "over unix"; }));
    conn.transport->close();
    server.close();
    co_await server.wait_closed();
    EXPECT_NE(::access(path.c_str(), F_OK), 0);  // removed on close
    ::rmdir(dir);

    int sv[2];
    AIO_ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    auto left = std::make_shared<Recorder>();
    auto right = std::make_shared<Echo>();
    auto a = co_await aio::connect_accepted_socket(factory_of(left), aio::Socket(sv[0]));
    auto b = co_await aio::connect_accepted_socket(factory_of(right), aio::Socket(sv[1]));
    a.transport->write("pair");
    AIO_ASSERT_TRUE(co_await eventually([&] { return left->data == "pair"; }));
    a.transport->close();
    b.transport->close();
    AIO_ASSERT_TRUE(co_await eventually([&] { return left->lost == 1; }));
}

AIO_TEST(Transports, ServerCloseClientsEndsEveryConnection) {
    auto server =
        co_await aio::create_server([] { return std::make_shared<Recorder>(); }, "127.0.0.1", 0);
    std::vector<std::shared_ptr<Recorder>> clients;
    std::vector<aio::Connection> conns;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_shared<Recorder>());
        conns.push_back(co_await aio::create_connection(factory_of(clients.back()), "127.0.0.1",
                                                        server.sockets()[0].port()));
    }
    co_await aio::sleep(5ms);
    server.close();
    server.close_clients();
    co_await server.wait_closed();
    for (auto& c : clients)
        AIO_ASSERT_TRUE(co_await eventually([&] { return c->lost == 1; }));
}

// A loop closed with transports open: fds closed, nothing leaked (ASan), no callback made.
TEST(Transports, LoopCloseWithOpenTransports) {
    auto client = std::make_shared<Recorder>();
    {
        aio::EventLoop loop;
        loop.run_until_complete([](std::shared_ptr<Recorder> c) -> aio::Task<> {
            auto server = co_await aio::create_server([] { return std::make_shared<Echo>(); },
                                                      "127.0.0.1", 0);
            auto conn = co_await aio::create_connection(factory_of(c), "127.0.0.1",
                                                        server.sockets()[0].port());
            conn.transport->write("x");
            co_await aio::sleep(5ms);
            server.close();
        }(client));
        loop.close();
    }
    EXPECT_EQ(client->lost, 0);
    EXPECT_EQ(client->data, "x");
}
