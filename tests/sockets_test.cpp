// Sockets over loopback (127.0.0.1 and ::1 only): the sock_* coroutines, readiness waits,
// errors, cancellation. Each test is bounded and cleans up after itself.
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

aio::Socket listener(const char* host) {
    auto s =
        aio::Socket::create(std::string(host).find(':') != std::string::npos ? AF_INET6 : AF_INET);
    s.set_option(SOL_SOCKET, SO_REUSEADDR, 1);
    s.bind(aio::SocketAddress::parse(host, 0));
    s.listen();
    return s;
}

aio::Task<std::string> echo_once(aio::Socket& lsock) {
    auto [conn, peer] = co_await aio::sock_accept(lsock);
    EXPECT_EQ(peer.host(), conn.getpeername().host());
    std::string got;
    while (true) {
        std::string chunk = co_await aio::sock_recv(conn, 65536);
        if (chunk.empty()) break;  // the client shut down its side
        co_await aio::sock_sendall(conn, chunk);
        got += chunk;
    }
    co_return got;
}

aio::Task<> round_trip(const char* host, std::string payload) {
    auto lsock = listener(host);
    const auto address = lsock.getsockname();
    auto server = aio::create_task(echo_once(lsock));
    auto client = aio::Socket::create(address.family());
    co_await aio::sock_connect(client, address);
    auto reader = aio::create_task([](aio::Socket& c, std::size_t n) -> aio::Task<std::string> {
        std::string back;
        while (back.size() < n) {
            std::string chunk = co_await aio::sock_recv(c, 65536);
            if (chunk.empty()) break;
            back += chunk;
        }
        co_return back;
    }(client, payload.size()));
    co_await aio::sock_sendall(client, payload);
    client.shutdown(SHUT_WR);
    std::string back = co_await reader;
    std::string seen = co_await server;
    EXPECT_EQ(back.size(), payload.size());
    EXPECT_TRUE(back == payload);
    EXPECT_TRUE(seen == payload);
}

// A connected loopback pair: the client end and the server end.
aio::Task<std::pair<aio::Socket, aio::Socket>> connected_pair() {
    auto lsock = listener("127.0.0.1");
    auto client = aio::Socket::create(AF_INET);
    auto accepting = aio::create_task(aio::sock_accept(lsock));
    co_await aio::sock_connect(client, lsock.getsockname());
    auto [conn, peer] = co_await std::move(accepting);
    co_return std::pair(std::move(client), std::move(conn));
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>(i * 7 + i / 251);
    return s;
}

AIO_TEST(Sockets, EchoOverIPv4) {
    co_await round_trip("127.0.0.1", "hello, loopback\n");
}

AIO_TEST(Sockets, EchoOverIPv6) {
    co_await round_trip("::1", "hello, ipv6\n");
}

// Megabytes each way at once: sends fill the socket buffers and must wait for room.
AIO_TEST(Sockets, LargeTransfersWaitForRoom) {
    co_await round_trip("127.0.0.1", pattern(8 << 20));
}

AIO_TEST(Sockets, ConnectionRefusedIsASystemError) {
    aio::SocketAddress address;
    {
        auto probe = listener("127.0.0.1");
        address = probe.getsockname();
    }  // closed: nothing listens on that port now
    auto client = aio::Socket::create(AF_INET);
    try {
        co_await aio::sock_connect(client, address);
        ADD_FAILURE() << "connected to a closed port";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ECONNREFUSED);
    }
}

AIO_TEST(Sockets, PeerCloseGivesEofThenEpipeWithoutSignal) {
    auto [client, conn] = co_await connected_pair();
    conn.close();
    EXPECT_EQ(co_await aio::sock_recv(client, 100), "");  // end of stream
    bool failed = false;
    try {
        for (int i = 0; i < 100; ++i)
            co_await aio::sock_sendall(client, std::string(65536, 'x'));
    } catch (const std::system_error& e) {
        failed = e.code().value() == EPIPE || e.code().value() == ECONNRESET;
    }
    EXPECT_TRUE(failed);  // and the process is still here: no SIGPIPE
}

AIO_TEST(Sockets, CancellingARecvLeavesNoWaiterBehind) {
    auto [client, conn] = co_await connected_pair();
    auto pending = aio::create_task(aio::sock_recv(client, 100));
    co_await aio::sleep(10ms);
    pending.cancel();
    EXPECT_THROW(co_await pending, aio::CancelledError);
    // The fd is free for the next reader, and data is not lost.
    co_await aio::sock_sendall(conn, "after");
    EXPECT_EQ(co_await aio::sock_recv(client, 100), "after");
}

AIO_TEST(Sockets, ClosingASocketEndsARecvWaitingOnIt) {
    auto [client, conn] = co_await connected_pair();
    auto pending = aio::create_task(aio::sock_recv(client, 100));
    co_await aio::sleep(10ms);
    client.close();  // io_uring: the kernel still holds the recv; it must end, not hang
    try {
        co_await pending;
        ADD_FAILURE() << "recv on a closed socket returned";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EBADF);
    }
}

// Closing a loop destroys a frame whose recv the kernel still has (io_uring): the operation is
// cancelled and waited for first, so the kernel never writes into freed memory (ASan watches).
TEST(Sockets, LoopCloseWithARecvInFlight) {
    std::vector<std::string> reports;
    aio::Socket client, conn;
    {
        aio::EventLoop loop;
        loop.set_exception_handler(
            [&](aio::EventLoop&, const aio::ExceptionContext& c) { reports.push_back(c.message); });
        std::tie(client, conn) = loop.run_until_complete(connected_pair());
        loop.create_task(aio::sock_recv(client, 1 << 16));
        loop.run_until_complete([]() -> aio::Task<> { co_await aio::sleep(1ms); }());
        loop.close();
        ASSERT_EQ(reports.size(), 1u);
        EXPECT_EQ(reports[0], "Task was destroyed but it is pending!");
    }
    // The bytes sent now are still there for a later reader: nothing was consumed.
    ASSERT_EQ(::send(conn.fileno(), "late", 4, MSG_NOSIGNAL), 4);
    char buf[8];
    EXPECT_EQ(::recv(client.fileno(), buf, sizeof buf, 0), 4);
}

// With a coop budget, a socket that always has data does not let its reader starve the other
// tasks: awaits that complete at once (the call into sock_recv_into, and its IoOp) spend it.
AIO_TEST_WITH_OPTIONS(Sockets, AnAlwaysReadySocketDoesNotStarveOthers, .coop_budget = 128) {
    auto [client, conn] = co_await connected_pair();
    co_await aio::sock_sendall(conn, std::string(1000, 'x'));
    co_await aio::sleep(1ms);
    bool reader_done = false;
    int ticks_before_done = 0;
    auto ticker = aio::create_task([](bool& done, int& ticks) -> aio::Task<> {
        while (!done) {
            ++ticks;
            co_await aio::sleep(0s);
        }
    }(reader_done, ticks_before_done));
    std::byte one[1];
    for (int i = 0; i < 1000; ++i)  // 1000 reads, each ready at once
        AIO_ASSERT_EQ(co_await aio::sock_recv_into(client, one), 1u);
    reader_done = true;
    co_await ticker;
    EXPECT_GE(ticks_before_done, 3);
}

AIO_TEST(Sockets, TwoReadersOnOneFdIsAnError) {
    auto [client, conn] = co_await connected_pair();
    auto first = aio::create_task(aio::sock_recv(client, 100));
    co_await aio::sleep(0s);
    EXPECT_THROW(co_await aio::sock_recv(client, 100), aio::RuntimeError);
    co_await aio::sock_sendall(conn, "x");
    EXPECT_EQ(co_await first, "x");
}

AIO_TEST(Sockets, WaitReadableOnAForeignFd) {
    int fds[2];
    AIO_ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    auto waiter =
        aio::create_task([](int fd) -> aio::Task<> { co_await aio::wait_readable(fd); }(fds[0]));
    co_await aio::sleep(10ms);
    EXPECT_FALSE(waiter.done());
    AIO_ASSERT_EQ(::write(fds[1], "!", 1), 1);
    co_await waiter;
    co_await aio::wait_writable(fds[1]);  // writable already: returns after one yield
    aio::get_running_loop().forget_fd(fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
}

// A pipe for the fd-callback tests, closed (and forgotten by the loop) at the end.
struct Pipe {
    int r = -1, w = -1;
    Pipe() { EXPECT_EQ(::pipe2(&r, O_NONBLOCK | O_CLOEXEC), 0); }
    ~Pipe() {
        aio::get_running_loop().forget_fd(r);
        aio::get_running_loop().forget_fd(w);
        ::close(r);
        ::close(w);
    }
};

aio::Task<> iterations(int n) {
    for (int i = 0; i < n; ++i)
        co_await aio::sleep(0s);
}

AIO_TEST(Sockets, AddReaderIsLevelTriggeredUntilRemoved) {
    Pipe p;
    auto& loop = aio::get_running_loop();
    int calls = 0;
    loop.add_reader(p.r, [&] { ++calls; });
    co_await iterations(3);
    EXPECT_EQ(calls, 0);  // nothing to read yet
    AIO_ASSERT_EQ(::write(p.w, "ab", 2), 2);
    // A busy loop asks the backend every 61 iterations: the first call comes within that.
    for (int i = 0; i < 100 && calls == 0; ++i)
        co_await iterations(1);
    AIO_ASSERT_TRUE(calls > 0);
    const int first = calls;
    co_await iterations(3);
    EXPECT_GE(calls, first + 3);  // still unread: called again on every iteration
    char buf[4];
    AIO_ASSERT_EQ(::read(p.r, buf, sizeof buf), 2);
    co_await iterations(2);
    const int after_read = calls;
    co_await iterations(3);
    EXPECT_EQ(calls, after_read);  // drained: quiet again
    EXPECT_TRUE(loop.remove_reader(p.r));
    EXPECT_FALSE(loop.remove_reader(p.r));
    AIO_ASSERT_EQ(::write(p.w, "c", 1), 1);
    co_await iterations(3);
    EXPECT_EQ(calls, after_read);
}

AIO_TEST(Sockets, AddWriterCallbackCanRemoveItselfAndBeReplaced) {
    Pipe p;
    auto& loop = aio::get_running_loop();
    std::vector<std::string> seen;
    loop.add_writer(p.w, [&] { seen.push_back("first"); });
    loop.add_writer(p.w, [&] {  // replaces the first
        seen.push_back("second");
        loop.remove_writer(p.w);
    });
    co_await iterations(3);
    EXPECT_EQ(seen, std::vector<std::string>{"second"});
    // A callback that throws goes to the exception handler; the registration goes on.
    int throws = 0;
    loop.add_writer(p.w, [&] {
        if (++throws == 2) loop.remove_writer(p.w);
        throw std::runtime_error("callback failed");
    });
    std::vector<std::string> errors;
    loop.set_exception_handler(
        [&](aio::EventLoop&, const aio::ExceptionContext& c) { errors.push_back(c.message); });
    co_await iterations(4);
    loop.set_exception_handler(nullptr);
    EXPECT_EQ(throws, 2);
    EXPECT_EQ(errors.size(), 2u);
}

AIO_TEST(Sockets, ClosingAnFdEndsItsReader) {
    auto& loop = aio::get_running_loop();
    int fds[2];
    AIO_ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    loop.add_reader(fds[0], [] {});
    co_await iterations(2);
    loop.forget_fd(fds[0]);  // what aio::Socket::close does
    ::close(fds[0]);
    ::close(fds[1]);
    EXPECT_FALSE(loop.remove_reader(fds[0]));
    EXPECT_THROW(loop.add_reader(-1, [] {}), std::system_error);
}

AIO_TEST(Sockets, AnFdNumberReusedAfterRemoveReaderAndCloseIsWatchedAgain) {
    // As asyncio code does: remove_reader, close (no aio call), and a new file that gets the same
    // number. Its reader must be called when it has something to read.
    auto& loop = aio::get_running_loop();
    int old_fds[2];
    AIO_ASSERT_EQ(::pipe2(old_fds, O_NONBLOCK | O_CLOEXEC), 0);
    loop.add_reader(old_fds[0], [] {});
    co_await iterations(2);  // (watched by the backend now: nothing to read)
    EXPECT_TRUE(loop.remove_reader(old_fds[0]));
    ::close(old_fds[0]);
    ::close(old_fds[1]);
    int fds[2];
    AIO_ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    AIO_ASSERT_EQ(fds[0], old_fds[0]);  // the lowest free numbers come back
    int calls = 0;
    loop.add_reader(fds[0], [&] { ++calls; });
    co_await iterations(2);
    AIO_ASSERT_EQ(::write(fds[1], "x", 1), 1);
    // A busy loop asks the backend every 61 iterations: the call comes within that.
    for (int i = 0; i < 100 && calls == 0; ++i)
        co_await iterations(1);
    EXPECT_GT(calls, 0);
    loop.remove_reader(fds[0]);
    ::close(fds[0]);
    ::close(fds[1]);
}

AIO_TEST(Sockets, VirtualClockStillJumpsWhileIoWaits) {
    auto lsock = listener("127.0.0.1");
    auto accepting = aio::create_task(aio::sock_accept(lsock));  // waits for ever
    auto& loop = aio::get_running_loop();
    const auto start = loop.time();
    co_await aio::sleep(1h);
    EXPECT_EQ(loop.time() - start, 1h);
    accepting.cancel();
    EXPECT_THROW(co_await accepting, aio::CancelledError);
}

TEST(SocketAddress, ParseAndFormat) {
    EXPECT_EQ(aio::SocketAddress::parse("127.0.0.1", 8888).to_string(), "127.0.0.1:8888");
    EXPECT_EQ(aio::SocketAddress::parse("::1", 80).to_string(), "[::1]:80");
    EXPECT_EQ(aio::SocketAddress::parse("::1", 80).family(), AF_INET6);
    EXPECT_THROW(aio::SocketAddress::parse("localhost", 1), std::invalid_argument);
    EXPECT_THROW(aio::SocketAddress::parse("1.2.3", 1), std::invalid_argument);
}

}  // namespace
