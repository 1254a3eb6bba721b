// One set of checks run against every kind of byte-stream transport (as trio's
// check_two_way_stream does): TCP, a Unix socket, a socketpair adopted on both ends, and a pipe
// (one way). Each check makes a fresh pair of connected transports, A and B, on every backend.
// (TLS will join when it is a transport.)
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "aio/testing.hpp"
#include "helpers.hpp"

using namespace std::chrono_literals;
using aio_test::eventually;
using aio_test::factory_of;

namespace {

// Records what its transport tells it.
struct Peer : aio::Protocol {
    aio::Transport* transport = nullptr;
    std::string data;
    std::vector<std::string> events;
    std::exception_ptr lost_with;
    int lost = 0;
    bool keep_open_on_eof = false;
    void connection_made(aio::Transport& t) override { transport = &t; }
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

enum class Kind { tcp, unix_socket, socketpair, pipe };

// A writes, B reads (and, unless a pipe, the other way too).
struct Pair {
    std::shared_ptr<Peer> a = std::make_shared<Peer>(), b = std::make_shared<Peer>();
    std::shared_ptr<aio::Transport> ta, tb;
    bool two_way = true;
    bool half_close = true;  // A can write_eof and go on reading

    aio::Task<> finish() {
        ta->abort();
        tb->abort();
        co_await eventually([&] { return a->lost + b->lost == 2; });
    }
};

aio::Task<Pair> make_pair(Kind kind) {
    Pair p;
    switch (kind) {
        case Kind::tcp:
        case Kind::unix_socket: {
            // A connects with create_connection; B adopts the accepted socket (so that the test
            // holds both transports).
            // (Per process: the suite runs on both backends at once.)
            const std::string path =
                ::testing::TempDir() + "aio_conformance_" + std::to_string(::getpid()) + ".sock";
            auto listener = aio::Socket::create(kind == Kind::tcp ? AF_INET : AF_UNIX);
            ::unlink(path.c_str());
            listener.bind(kind == Kind::tcp ? aio::SocketAddress::parse("127.0.0.1", 0)
                                            : aio::SocketAddress::from_path(path));
            listener.listen();
            // (No co_await inside ?: - g++ 12 miscompiles it.)
            aio::Connection conn;
            if (kind == Kind::tcp)
                conn = co_await aio::create_connection(factory_of(p.a), "127.0.0.1",
                                                       listener.getsockname().port());
            else
                conn = co_await aio::create_unix_connection(factory_of(p.a), path);
            p.ta = conn.transport;
            // (The kernel completes the connection from its backlog before the accept.)
            auto accepted = co_await aio::sock_accept(listener);
            p.tb =
                (co_await aio::connect_accepted_socket(factory_of(p.b), std::move(accepted.first)))
                    .transport;
            ::unlink(path.c_str());
            break;
        }
        case Kind::socketpair: {
            int fds[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0)
                throw std::system_error(errno, std::generic_category(), "socketpair");
            p.ta = (co_await aio::connect_accepted_socket(factory_of(p.a), aio::Socket(fds[0])))
                       .transport;
            p.tb = (co_await aio::connect_accepted_socket(factory_of(p.b), aio::Socket(fds[1])))
                       .transport;
            break;
        }
        case Kind::pipe: {
            int fds[2];
            if (::pipe2(fds, O_CLOEXEC) != 0)
                throw std::system_error(errno, std::generic_category(), "pipe");
            p.tb = (co_await aio::connect_read_pipe(factory_of(p.b), fds[0])).transport;
            p.ta = (co_await aio::connect_write_pipe(factory_of(p.a), fds[1])).transport;
            p.two_way = false;
            p.half_close = false;
            break;
        }
    }
    co_return p;
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 7919 + i / 251) & 0xff);
    return s;
}

// Bytes arrive exactly and in order, small writes and large; both ways where there are two.
aio::Task<> send_and_receive(Kind kind) {
    Pair p = co_await make_pair(kind);
    const std::string big = pattern(3 << 20);
    p.ta->write("small ");
    std::vector<std::string> pieces{"write", "lines "};
    p.ta->writelines(pieces);
    p.ta->write(std::string(big));
    const std::size_t total = 17 + big.size();
    EXPECT_TRUE(co_await eventually([&] { return p.b->data.size() >= total; }, 20000));
    EXPECT_TRUE(p.b->data == "small writelines " + big);
    if (p.two_way) {
        p.tb->write("and back");
        EXPECT_TRUE(co_await eventually([&] { return p.a->data == "and back"; }));
    }
    EXPECT_EQ(p.ta->get_write_buffer_size(), 0u);
    co_await p.finish();
}

// close() flushes first: B gets every byte, then EOF, then the loss; A's loss is clean.
aio::Task<> close_flushes_then_ends(Kind kind) {
    Pair p = co_await make_pair(kind);
    const std::string big = pattern(8 << 20);
    p.tb->pause_reading();  // so that A is still flushing when it closes
    p.ta->write(big);
    EXPECT_GT(p.ta->get_write_buffer_size(), 0u);
    p.ta->close();
    EXPECT_TRUE(p.ta->is_closing());
    p.ta->write("|written while flushing");  // joins the buffer, as in asyncio
    p.tb->resume_reading();
    EXPECT_TRUE(co_await eventually([&] { return p.b->lost == 1 && p.a->lost == 1; }, 20000));
    EXPECT_TRUE(p.b->data == big + "|written while flushing");
    p.ta->write("ignored once lost");
    EXPECT_EQ(p.b->events, (std::vector<std::string>{"eof", "lost"}));
    EXPECT_FALSE(p.b->lost_with);
    EXPECT_FALSE(p.a->lost_with);
    // (A was paused and resumed on the way.)
    const auto& ea = p.a->events;
    EXPECT_EQ(ea.back(), "lost");
    EXPECT_EQ(std::count(ea.begin(), ea.end(), "pause"),
              std::count(ea.begin(), ea.end(), "resume"));
    EXPECT_EQ(p.a->lost, 1);
    co_await p.finish();
}

// abort() drops what is queued and ends at once; connection_lost comes once on each side.
aio::Task<> abort_drops_the_queue(Kind kind) {
    Pair p = co_await make_pair(kind);
    p.tb->pause_reading();
    for (int i = 0; i < 64; ++i)
        p.ta->write(pattern(1 << 16));
    EXPECT_GT(p.ta->get_write_buffer_size(), 0u);
    p.ta->abort();
    EXPECT_EQ(p.ta->get_write_buffer_size(), 0u);
    p.tb->resume_reading();
    EXPECT_TRUE(co_await eventually([&] { return p.a->lost == 1 && p.b->lost == 1; }, 20000));
    EXPECT_LT(p.b->data.size(), 64u << 16);  // the queue did not go out
    co_await aio::sleep(5ms);
    EXPECT_EQ(p.a->lost, 1);
    EXPECT_EQ(p.b->lost, 1);
    co_await p.finish();
}

// Back-pressure end to end: B pauses reading, A's buffer grows past its high-water mark
// (pause_writing), B resumes, everything arrives, and A hears resume_writing.
aio::Task<> flow_control_both_ends(Kind kind) {
    Pair p = co_await make_pair(kind);
    p.tb->pause_reading();
    EXPECT_FALSE(p.tb->is_reading());
    const std::string chunk = pattern(1 << 20);
    for (int i = 0; i < 8; ++i)
        p.ta->write(chunk);
    co_await aio::sleep(20ms);
    EXPECT_EQ(p.b->data.size(), 0u);
    EXPECT_EQ(p.a->events, (std::vector<std::string>{"pause"}));
    p.tb->resume_reading();
    EXPECT_TRUE(co_await eventually([&] { return p.b->data.size() == (8u << 20); }, 20000));
    EXPECT_TRUE(co_await eventually([&] { return p.a->events.size() == 2; }));
    EXPECT_EQ(p.a->events, (std::vector<std::string>{"pause", "resume"}));
    co_await p.finish();
}

// write_eof: B sees EOF and, keeping its side open, still writes to A (where the transport can
// half-close; elsewhere can_write_eof() says no and write_eof closes).
aio::Task<> half_close(Kind kind) {
    Pair p = co_await make_pair(kind);
    EXPECT_EQ(p.ta->can_write_eof(), p.half_close);
    p.b->keep_open_on_eof = true;
    p.ta->write("last words");
    p.ta->write_eof();
    EXPECT_THROW(p.ta->write("more"), aio::RuntimeError);
    EXPECT_TRUE(co_await eventually([&] { return !p.b->events.empty(); }));
    EXPECT_EQ(p.b->data, "last words");
    EXPECT_EQ(p.b->events.front(), "eof");
    if (p.half_close) {
        p.tb->write("still here");
        EXPECT_TRUE(co_await eventually([&] { return p.a->data == "still here"; }));
        p.tb->close();
        EXPECT_TRUE(co_await eventually([&] { return p.a->lost == 1; }));
        EXPECT_EQ(p.a->events, (std::vector<std::string>{"eof", "lost"}));
    }
    co_await p.finish();
}

// The peer going away is seen: A's close reaches B as EOF then the loss, with no error.
aio::Task<> peer_loss_is_seen(Kind kind) {
    Pair p = co_await make_pair(kind);
    p.ta->abort();
    EXPECT_TRUE(co_await eventually([&] { return p.b->lost == 1; }));
    EXPECT_EQ(p.b->events.back(), "lost");
    EXPECT_TRUE(p.tb->is_closing());
    co_await p.finish();
}

}  // namespace

#define AIO_CONFORMANCE(check)                           \
    AIO_TEST(TransportConformance, check##_tcp) {        \
        co_await check(Kind::tcp);                       \
    }                                                    \
    AIO_TEST(TransportConformance, check##_unix) {       \
        co_await check(Kind::unix_socket);               \
    }                                                    \
    AIO_TEST(TransportConformance, check##_socketpair) { \
        co_await check(Kind::socketpair);                \
    }                                                    \
    AIO_TEST(TransportConformance, check##_pipe) {       \
        co_await check(Kind::pipe);                      \
    }

AIO_CONFORMANCE(send_and_receive)
AIO_CONFORMANCE(close_flushes_then_ends)
AIO_CONFORMANCE(abort_drops_the_queue)
AIO_CONFORMANCE(flow_control_both_ends)
AIO_CONFORMANCE(half_close)
AIO_CONFORMANCE(peer_loss_is_seen)
