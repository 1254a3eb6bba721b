// Streams: StreamReader's asyncio semantics (fed directly), and reader/writer/server over
// loopback: echo with many clients, back-pressure, limits, refused and broken connections.
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <system_error>
#include <vector>

#include "helpers.hpp"

using namespace std::chrono_literals;

namespace {

using aio_test::echo_lines;

AIO_TEST(StreamReader, ReadlineAndFriends) {
    aio::StreamReader r;
    r.feed_data("first line\nsecond");
    EXPECT_EQ(co_await r.readline(), "first line\n");
    EXPECT_EQ(co_await r.readexactly(3), "sec");
    r.feed_data("|rest");
    EXPECT_EQ(co_await r.readuntil("|"), "ond|");
    EXPECT_EQ(co_await r.read(2), "re");
    r.feed_eof();
    EXPECT_EQ(co_await r.read(), "st");
    EXPECT_TRUE(r.at_eof());
    EXPECT_EQ(co_await r.readline(), "");
    EXPECT_EQ(co_await r.read(10), "");
}

AIO_TEST(StreamReader, WaitsForData) {
    aio::StreamReader r;
    auto line = aio::create_task(r.readline());
    co_await aio::sleep(1s);
    EXPECT_FALSE(line.done());
    r.feed_data("par");
    co_await aio::sleep(0s);
    r.feed_data("tial\n");
    EXPECT_EQ(co_await line, "partial\n");
}

// async for line in reader: every line as it arrives, the partial last one, then the end.
AIO_TEST(StreamReader, LinesCanBeIterated) {
    std::vector<std::string> got;
    {
        aio::StreamReader r;
        r.feed_data("one\ntwo\nthr");
        auto feeding = aio::create_task([](aio::StreamReader r) -> aio::Task<> {
            co_await aio::sleep(1s);
            r.feed_data("ee\nlast");
            r.feed_eof();
        }(r));
        auto lines = r.lines();
        while (auto line = co_await lines.next())
            got.push_back(*line);
        co_await feeding;
        EXPECT_FALSE(co_await lines.next());  // stays at its end
    }
    EXPECT_EQ(got, (std::vector<std::string>{"one\n", "two\n", "three\n", "last"}));
}

AIO_TEST(StreamReader, PartialLineAtEof) {
    aio::StreamReader r;
    r.feed_data("no newline");
    r.feed_eof();
    EXPECT_EQ(co_await r.readline(), "no newline");
}

AIO_TEST(StreamReader, IncompleteRead) {
    aio::StreamReader r;
    r.feed_data("abc");
    r.feed_eof();
    try {
        co_await r.readexactly(5);
        ADD_FAILURE() << "no IncompleteReadError";
    } catch (const aio::IncompleteReadError& e) {
        EXPECT_EQ(e.partial(), "abc");
        EXPECT_EQ(e.expected(), 5u);
    }
    aio::StreamReader r2;
    r2.feed_data("x");
    r2.feed_eof();
    EXPECT_THROW(co_await r2.readuntil("\n"), aio::IncompleteReadError);
}

AIO_TEST(StreamReader, LimitOverrun) {
    aio::StreamReader r(16);
    r.feed_data(std::string(40, 'x'));
    EXPECT_THROW(co_await r.readuntil("\n"), aio::LimitOverrunError);  // data kept
    EXPECT_THROW(co_await r.readline(), std::invalid_argument);        // data dropped (ValueError)
    r.feed_data("ok\n");
    EXPECT_EQ(co_await r.readline(), "ok\n");
    r.feed_data(std::string(20, 'y') + "\nnext\n");
    EXPECT_THROW(co_await r.readline(), std::invalid_argument);  // the long line and its \n go
    EXPECT_EQ(co_await r.readline(), "next\n");
    EXPECT_THROW(aio::StreamReader(0), std::invalid_argument);
    EXPECT_THROW(co_await r.readuntil(""), std::invalid_argument);
}

aio::Task<std::vector<std::string>> echo_client(std::uint16_t port, std::string message) {
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", port);
    std::vector<std::string> got;
    for (int i = 0; i < 4; ++i) {
        writer.write(message + "\n");
        got.push_back(co_await reader.readline());
    }
    writer.close();
    co_await writer.wait_closed();
    co_return got;
}

AIO_TEST(Streams, EchoServerWithManyClients) {
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
    AIO_ASSERT_EQ(server.sockets().size(), 1u);
    const auto port = server.sockets()[0].port();
    std::vector<std::string> names{"oxford",  "stilton",   "kikorangi", "danish",
                                   "cheddar", "roquefort", "gorgonzola"};
    std::vector<aio::Task<std::vector<std::string>>> clients;
    for (const auto& n : names)
        clients.push_back(echo_client(port, n));
    auto results = co_await aio::gather(std::move(clients));
    for (std::size_t i = 0; i < names.size(); ++i)
        EXPECT_EQ(results[i], std::vector<std::string>(4, names[i] + "\n"));
    EXPECT_TRUE(server.is_serving());
    server.close();
    co_await server.wait_closed();
    EXPECT_FALSE(server.is_serving());
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port), std::system_error);  // refused
}

// Out of file descriptors, the server backs off instead of failing or spinning, and serves the
// waiting connections once descriptors are available again. (The limit is lowered before the
// server starts accepting: io_uring's multishot accept keeps the limit it was armed under.)
AIO_TEST(Streams, ServerSurvivesRunningOutOfDescriptors) {
    auto& loop = aio::get_running_loop();
    std::vector<std::string> reports;
    loop.set_exception_handler(
        [&](aio::EventLoop&, const aio::ExceptionContext& c) { reports.push_back(c.message); });
    {  // One connection first: UBSan checks a type's vptr through a pipe the first time it
       // meets it, which would fail (and be reported) once descriptors are gone.
        auto warm = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
        auto [reader, writer] =
            co_await aio::open_connection("127.0.0.1", warm.sockets()[0].port());
        writer.write("warm\n");
        EXPECT_EQ(co_await reader.readline(), "warm\n");
        writer.close();
        co_await writer.wait_closed();
        warm.close();
        co_await warm.wait_closed();
        try {  // and the error the server will meet
            throw std::system_error(EMFILE, std::generic_category(), "accept");
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code().value(), EMFILE);
        }
    }
    constexpr int kClients = 6;
    std::vector<aio::Socket> clients;
    for (int i = 0; i < kClients; ++i)
        clients.push_back(aio::Socket::create(AF_INET));
    // Every number below the lowest free one is taken: allow the listener and two connections.
    const int lowest_free = ::dup(0);
    ::close(lowest_free);
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(lowest_free + 3);
    AIO_ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
    const auto address = server.sockets()[0];
    for (auto& c : clients) {
        co_await aio::sock_connect(c, address);  // completes in the kernel's backlog
        co_await aio::sock_sendall(c, "hi\n");
    }
    co_await aio::sleep(50ms);  // two accepted; the third accept fails with EMFILE
    ::setrlimit(RLIMIT_NOFILE, &saved);
    AIO_ASSERT_TRUE(!reports.empty());
    EXPECT_EQ(reports[0], "accept failed, backing off");
    for (auto& c : clients)  // and every connection is served in the end
        EXPECT_EQ(co_await aio::sock_recv(c, 16), "hi\n");
    clients.clear();
    server.close();
    co_await server.wait_closed();
    loop.set_exception_handler(nullptr);
}

// read(n) in every form: from the buffer, by a recv awaited in place, as a task, cancelled while
// its recv is in flight (nothing lost), and at EOF.
AIO_TEST(Streams, ReadInAllItsForms) {
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write("hello world\n");
    EXPECT_EQ(co_await reader.read(5), "hello");  // waits for the echo
    EXPECT_EQ(co_await reader.read(0), "");
    EXPECT_EQ(co_await reader.read(100), " world\n");  // what the buffer holds
    auto as_task = aio::create_task(reader.read(10));  // nothing to read yet
    co_await aio::sleep(10ms);
    EXPECT_FALSE(as_task.done());
    as_task.cancel();
    EXPECT_THROW(co_await as_task, aio::CancelledError);
    auto in_place = aio::create_task(  // the recv awaited inside the calling coroutine's frame
        [](aio::StreamReader r) -> aio::Task<std::string> {
            co_return co_await r.read(10);
        }(reader));
    co_await aio::sleep(10ms);
    in_place.cancel();
    EXPECT_THROW(co_await in_place, aio::CancelledError);
    writer.write("again\n");
    EXPECT_EQ(co_await reader.read(10), "again\n");  // nothing was lost to the cancelled read
    writer.write_eof();
    EXPECT_EQ(co_await reader.read(10), "");  // the server saw EOF and closed
    EXPECT_TRUE(reader.at_eof());
    writer.close();
    server.close();
    co_await server.wait_closed();
}

// An echo of read(n) -> write(std::move) -> drain, as examples/echo_server: the string a read
// returned comes back to the next read as memory to receive into (on epoll), so messages of
// changing sizes land partly in it and partly beyond it; every byte must arrive, in order.
aio::Task<> echo_chunks(aio::StreamReader reader, aio::StreamWriter writer) {
    while (true) {
        std::string data = co_await reader.read(64 * 1024);
        if (data.empty()) break;
        writer.write(std::move(data));
        co_await writer.drain();
    }
    writer.close();
}

AIO_TEST(Streams, MessagesOfChangingSizesEchoWhole) {
    auto server = co_await aio::start_server(echo_chunks, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    const std::size_t sizes[] = {100, 5000, 10, 70000, 3, 1024, 1024, 200000, 1};
    for (std::size_t i = 0; i < std::size(sizes); ++i) {
        std::string message(sizes[i], '\0');
        for (std::size_t k = 0; k < message.size(); ++k)
            message[k] = static_cast<char>('a' + (k * 7 + i) % 26);
        writer.write(message);
        AIO_ASSERT_EQ(co_await reader.readexactly(message.size()), message);
    }
    writer.write_eof();
    EXPECT_EQ(co_await reader.read(), "");  // the server read EOF (after a read into its room)
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Streams, DrainWaitsForASlowReader) {
    auto accepted =
        std::make_shared<aio::Future<std::pair<aio::StreamReader, aio::StreamWriter>>>();
    auto handler = [accepted](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
        accepted->set_result(std::pair(r, w));
        co_await w.wait_closed();
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    auto [peer_reader, peer_writer] = co_await *accepted;
    const std::string chunk(1 << 20, 'z');
    auto writing = aio::create_task([](aio::StreamWriter w, std::string chunk) -> aio::Task<> {
        for (int i = 0; i < 16; ++i) {
            w.write(chunk);
            co_await w.drain();
        }
    }(writer, chunk));
    co_await aio::sleep(50ms);
    EXPECT_FALSE(writing.done());  // nobody reads: drain() holds the writer back
    EXPECT_GT(writer.get_write_buffer_size(), 64u * 1024);
    EXPECT_LE(writer.get_write_buffer_size(), 2u << 20);  // bounded, not 16 MiB
    std::string got = co_await peer_reader.readexactly(16u << 20);
    co_await writing;
    EXPECT_EQ(got.size(), 16u << 20);
    writer.close();
    peer_writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Streams, EndlessLineFromAPeerIsALimitOverrun) {
    auto handler = [](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
        try {
            co_await r.readline();
            w.write("no error\n");
        } catch (const std::invalid_argument&) {  // asyncio's ValueError
            w.write("overrun\n");
        }
        co_await w.drain();
    };
    const aio::ServerOptions options{.backlog = 10, .reuse_port = false, .limit = 1024};
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0, options);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write(std::string(100000, 'a'));  // no newline, far past the limit
    EXPECT_EQ(co_await reader.readline(), "overrun\n");
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Streams, BrokenConnectionReachesTheWriter) {
    auto handler = [](aio::StreamReader, aio::StreamWriter w) -> aio::Task<> {
        w.close();  // hang up at once
        co_return;
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    EXPECT_EQ(co_await reader.read(), "");  // EOF
    bool failed = false;
    try {
        for (int i = 0; i < 100; ++i) {
            writer.write(std::string(65536, 'b'));
            co_await writer.drain();
            co_await aio::sleep(1ms);
        }
    } catch (const std::system_error& e) {
        failed = e.code().value() == EPIPE || e.code().value() == ECONNRESET;
    }
    EXPECT_TRUE(failed);
    writer.close();
    server.close();
    co_await server.wait_closed();
}

AIO_TEST(Streams, ExtraInfo) {
    auto server = co_await aio::start_server(echo_lines, "::1", 0);
    auto [reader, writer] = co_await aio::open_connection("::1", server.sockets()[0].port());
    auto peer = writer.get_extra_info("peername");
    AIO_ASSERT_TRUE(peer.has_value());
    EXPECT_EQ(peer->port(), server.sockets()[0].port());
    EXPECT_EQ(writer.get_extra_info("sockname")->host(), "::1");
    EXPECT_FALSE(writer.get_extra_info("cipher").has_value());
    writer.close();
    server.close();
    co_await server.wait_closed();
}

}  // namespace

// ---- streams on the transport (issue: reliability, defects 1 and 3) ----

// A reader whose own writer was closed sees EOF, as asyncio's does, whether it reads after the
// close or was already waiting in another task.
AIO_TEST(Streams, ClosingTheWriterEndsTheReader) {
    auto server = co_await aio::start_server(aio_test::echo_lines, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    auto waiting = aio::create_task([](aio::StreamReader r) -> aio::Task<std::string> {
        co_return co_await r.readline();
    }(reader));
    co_await aio::sleep(1ms);
    writer.close();
    EXPECT_EQ(co_await waiting, "");
    EXPECT_EQ(co_await reader.readline(), "");
    EXPECT_TRUE(reader.at_eof());
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
}

// close_clients() then wait_closed() finishes while a handler is between two reads.
AIO_TEST(Streams, CloseClientsEndsHandlersBetweenReads) {
    auto handler = [](aio::StreamReader r, aio::StreamWriter) -> aio::Task<> {
        while (true) {
            co_await aio::sleep(10ms);  // not in a read when the close comes
            if ((co_await r.readline()).empty()) break;
        }
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write("one\n");
    co_await aio::sleep(15ms);
    server.close();
    server.close_clients();
    co_await server.wait_closed();
    EXPECT_EQ(co_await reader.read(), "");
    writer.close();
}

// A reset after a write is an error for the reader (ConnectionResetError), not a clean EOF.
AIO_TEST(Streams, APeersResetReachesTheReader) {
    auto listener = aio::Socket::create(AF_INET);
    listener.bind(aio::SocketAddress::parse("127.0.0.1", 0));
    listener.listen();
    auto connecting =
        aio::create_task(aio::open_connection("127.0.0.1", listener.getsockname().port()));
    auto [peer, addr] = co_await aio::sock_accept(listener);
    auto [reader, writer] = co_await connecting;
    co_await aio::sock_sendall(peer, "partial");
    ::linger lg{1, 0};
    ::setsockopt(peer.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    peer.close();  // RST
    co_await aio::sleep(1ms);
    writer.write("after the reset");
    int code = 0;
    try {
        while (true) {
            std::string got = co_await reader.read(100);
            if (got.empty()) break;
        }
    } catch (const std::system_error& e) {
        code = e.code().value();
    }
    EXPECT_EQ(code, ECONNRESET);
    EXPECT_TRUE(reader.exception() != nullptr);
    EXPECT_THROW(co_await writer.drain(), std::system_error);
    writer.close();
}

// ---- asyncio's reader semantics on the transport ----

aio::Task<> returns_at_once() {
    co_return;
}

// Defect 2 of the reliability issue: a feed_data/feed_eof that lands while the reading task is
// between "nothing buffered" and its wait must still wake it, however many immediate awaits
// (the coop budget's yields) come before the read.
AIO_TEST(StreamReader, AFeedNextToImmediateAwaitsIsNeverLost) {
    for (int awaits : {0, 1, 62, 63, 64, 127, 128, 129, 300}) {
        for (int feeder_yields = 0; feeder_yields < 3; ++feeder_yields) {
            aio::StreamReader r;
            auto reading =
                aio::create_task([](aio::StreamReader r, int n) -> aio::Task<std::string> {
                    for (int i = 0; i < n; ++i)
                        co_await returns_at_once();
                    std::string first = co_await r.read(10);
                    std::string rest = co_await r.read();
                    co_return first + "|" + rest;
                }(r, awaits));
            for (int i = 0; i < feeder_yields; ++i)
                co_await aio::sleep(aio::Duration::zero());
            r.feed_data("data");
            r.feed_eof();
            EXPECT_EQ(co_await reading, "data|") << awaits << " awaits, " << feeder_yields;
        }
    }
}

// read(n) gives what is buffered, up to n, not one read's worth; readuntil takes several
// separators (3.13) and the one that ends first wins.
AIO_TEST(StreamReader, ReadGivesWhatIsBufferedAndReaduntilTakesSeveralSeparators) {
    aio::StreamReader r;
    r.feed_data("abc");
    r.feed_data("def");
    EXPECT_EQ(co_await r.read(4), "abcd");
    EXPECT_EQ(co_await r.read(100), "ef");
    r.feed_data("one\r\ntwo;three\n");
    std::vector<std::string> seps;
    seps.push_back("\n");
    seps.push_back(";");
    seps.push_back("\r\n");
    EXPECT_EQ(co_await r.readuntil(seps), "one\r\n");
    EXPECT_EQ(co_await r.readuntil(seps), "two;");
    EXPECT_EQ(co_await r.readuntil(seps), "three\n");
    r.feed_eof();
    EXPECT_TRUE(r.at_eof());
    std::vector<std::string> none;
    EXPECT_THROW(co_await r.readuntil(none), std::invalid_argument);
}

// Of separators that end at the same place ("\n" and "\r\n"), asyncio takes the shortest as
// the match (it tries them shortest first): the limit is checked against the data before it.
// (Found by fuzz/stream_reader_fuzz.cpp.)
AIO_TEST(StreamReader, OfSeparatorsEndingTogetherTheShortestIsTheMatch) {
    aio::StreamReader r(4);
    r.feed_data("abcd\r\n");
    std::vector<std::string> seps;
    seps.push_back("\r\n");
    seps.push_back("\n");
    try {
        co_await r.readuntil(seps);
        ADD_FAILURE() << "no LimitOverrunError";
    } catch (const aio::LimitOverrunError& e) {
        EXPECT_EQ(e.consumed(), 5u);  // before "\n", not before "\r\n"
    }
    aio::StreamReader roomy(5);
    roomy.feed_data("abcd\r\n");
    EXPECT_EQ(co_await roomy.readuntil(seps), "abcd\r\n");
}

// The transport reads as data arrives: a reader that does not read pauses its transport once
// twice its limit is buffered, the sender is held back, and reading resumes as the buffer drains.
// (On io_uring what the kernel had already received into the loop's provided buffers when the
// pause came is kept too: at most the buffer ring, 4 MiB.)
AIO_TEST(Streams, AReaderThatDoesNotReadPausesItsTransport) {
    auto accepted =
        std::make_shared<aio::Future<std::pair<aio::StreamReader, aio::StreamWriter>>>();
    auto handler = [accepted](aio::StreamReader r, aio::StreamWriter w) -> aio::Task<> {
        accepted->set_result(std::pair(r, w));
        co_await w.wait_closed();
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] =
        co_await aio::open_connection("127.0.0.1", server.sockets()[0].port(), 4096);
    auto [peer_reader, peer_writer] = co_await *accepted;
    peer_writer.write(std::string(32 << 20, 's'));
    co_await aio::sleep(50ms);
    EXPECT_FALSE(writer.transport()->is_reading());             // paused above 2 x 4 KiB
    EXPECT_GT(peer_writer.get_write_buffer_size(), 16u << 20);  // the sender is held back
    std::size_t got = 0;
    while (got < (32u << 20)) {
        std::string part = co_await reader.read(32 << 20);
        AIO_ASSERT_TRUE(!part.empty());
        EXPECT_LE(part.size(), (4u << 20) + 2 * 4096 + 64 * 1024);  // bounded
        got += part.size();
    }
    EXPECT_EQ(got, 32u << 20);
    writer.close();
    peer_writer.close();
    server.close();
    co_await server.wait_closed();
}

// ---- the server's side of a handler (asyncio's client_connected_cb task) ----

// A handler that throws is reported (as asyncio's done callback does), its connection closed,
// and the server's wait_closed() still finishes.
AIO_TEST(Streams, AHandlerThatThrowsIsReportedAndItsConnectionClosed) {
    auto handler = [](aio::StreamReader r, aio::StreamWriter) -> aio::Task<> {
        co_await r.readline();
        throw std::runtime_error("boom");
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    writer.write("hello\n");
    EXPECT_EQ(co_await reader.read(), "");  // closed by the server
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Unhandled exception in client_connected_cb");
    EXPECT_THROW(std::rethrow_exception(reports[0].exception), std::runtime_error);
    writer.close();
    server.close();
    co_await server.wait_closed();
}

// So is a handler that throws before it is even a coroutine (a plain function returning a Task).
AIO_TEST(Streams, AHandlerThatCannotStartIsReportedAndItsConnectionClosed) {
    aio::StreamHandler handler = [](aio::StreamReader, aio::StreamWriter) -> aio::Task<> {
        throw std::invalid_argument("no handler today");
    };
    auto server = co_await aio::start_server(handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    EXPECT_EQ(co_await reader.read(), "");
    auto reports = aio::testing::take_reports();
    AIO_ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].message, "Unhandled exception in client_connected_cb");
    EXPECT_THROW(std::rethrow_exception(reports[0].exception), std::invalid_argument);
    writer.close();
    server.close();
    co_await server.wait_closed();
}

// wait_closed() from two tasks at once, and again once the connection is gone.
AIO_TEST(Streams, WaitClosedFromSeveralTasksAndAfterTheEnd) {
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", server.sockets()[0].port());
    auto waits = [](aio::StreamWriter w) -> aio::Task<int> {
        co_await w.wait_closed();
        co_return 1;
    };
    auto first = aio::create_task(waits(writer));
    auto second = aio::create_task(waits(writer));
    co_await aio::sleep(1ms);
    EXPECT_FALSE(first.done());
    writer.close();
    const int a = co_await first;
    const int b = co_await second;
    EXPECT_EQ(a + b, 2);
    co_await writer.wait_closed();  // at once
    server.close();
    co_await server.wait_closed();
}

// One reader at a time: a second one waiting on the same stream is refused with asyncio's
// message, naming its call; the first still gets its data.
AIO_TEST(StreamReader, ASecondWaitingReaderIsRefused) {
    aio::StreamReader r;
    auto first = aio::create_task(r.read(10));
    co_await aio::sleep(0s);
    try {
        co_await r.readline();
        ADD_FAILURE() << "a second reader was let wait";
    } catch (const aio::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "readuntil() called while another coroutine is already waiting");
    }
    r.feed_data("data\n");
    EXPECT_EQ(co_await first, "data\n");
}

// ---- accepting (io_uring: one multishot accept for all of a listener's connections) ----

// A burst of connections at once: every one is accepted and served, in one or many reports.
AIO_TEST(Streams, ABurstOfConnectionsIsAcceptedWhole) {
    auto server = co_await aio::start_server(echo_lines, "127.0.0.1", 0);
    const auto port = server.sockets()[0].port();
    constexpr int kClients = 200;
    std::vector<aio::Task<std::vector<std::string>>> clients;
    for (int i = 0; i < kClients; ++i)
        clients.push_back(echo_client(port, "client " + std::to_string(i)));
    auto results = co_await aio::gather(std::move(clients));
    for (int i = 0; i < kClients; ++i)
        EXPECT_EQ(results[static_cast<std::size_t>(i)],
                  std::vector<std::string>(4, "client " + std::to_string(i) + "\n"));
    server.close();
    co_await server.wait_closed();
}

// Servers opened and closed in turn, with and without a connection: closing stops the accept
// (its last report awaited) every time, and the port is free again.
AIO_TEST(Streams, ServersOpenAndCloseInTurn) {
    std::uint16_t port = 0;
    for (int round = 0; round < 20; ++round) {
        auto server = co_await aio::start_server(echo_lines, "127.0.0.1", port);
        port = server.sockets()[0].port();
        if (round % 2 == 1) {
            auto got = co_await echo_client(port, "round");
            EXPECT_EQ(got.back(), "round\n");
        }
        server.close();
        co_await server.wait_closed();
    }
    EXPECT_THROW(co_await aio::open_connection("127.0.0.1", port), std::system_error);
}

// A loop closed while its server still accepts (its accept loop's frame destroyed, never
// resumed) lets go of the accept without touching freed memory (checked under ASan), and again
// the next time.
TEST(Streams, ALoopClosedWhileItsServerAcceptsEndsTheAccept) {
    for (int round = 0; round < 3; ++round) {
        aio::EventLoop loop;
        auto server = loop.run_until_complete(aio::start_server(echo_lines, "127.0.0.1", 0));
        loop.run_until_complete([]() -> aio::Task<> {  // the accept is armed meanwhile
            co_await aio::sleep(std::chrono::milliseconds(1));
        }());
        EXPECT_TRUE(server.is_serving());
        loop.close();
    }
}
