// Fault injection: aio's streams (client and server) talking through tests/fault_proxy.py, a
// Python proxy that cuts every write into random pieces with random pauses, stalls, drops the
// connection or resets it in mid-stream. Every byte arrives as it was sent, or the reader is
// told with an error (IncompleteReadError, a reset): never a silent truncation.
#include <random>
#include <string>
#include <system_error>

#include "helpers.hpp"
#include "tls_certificates.hpp"

namespace {

// The talks' echo handler for arbitrary bytes: whatever comes goes back, until EOF or an error.
aio::Task<> echo(aio::StreamReader reader, aio::StreamWriter writer) {
    try {
        while (true) {
            std::string data = co_await reader.read(64 * 1024);
            if (data.empty()) break;
            writer.write(std::move(data));
            co_await writer.drain();
        }
    } catch (const std::system_error&) {  // the proxy's reset reaches this side too
    }
    writer.close();
}

struct Proxy {
    aio::Process process;
    std::uint16_t port;
    // Closing its stdin ends it.
    aio::Task<> stop() {
        process.in().close();
        co_await process.wait();
    }
};

aio::Task<Proxy> start_proxy(std::string mode, int seed, std::uint16_t upstream, long after = -1) {
    aio::ProcessOptions pipes;
    pipes.in = aio::PIPE;
    pipes.out = aio::PIPE;
    std::vector<std::string> args{std::string(AIO_TESTS_DIR) + "/fault_proxy.py", mode,
                                  std::to_string(seed), std::to_string(upstream)};
    if (after >= 0) args.push_back(std::to_string(after));
    auto process = co_await aio::create_subprocess_exec("python3", args, pipes);
    const std::string line = co_await process.out().readline();
    const auto colon = line.rfind(':');
    if (line.rfind("Proxy on ", 0) != 0 || colon == std::string::npos)
        throw std::runtime_error("fault_proxy.py said: " + line);
    co_return Proxy{process, static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)))};
}

// Random messages of 1 B to 64 KiB, seeded.
std::vector<std::string> messages(int count, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> size(1, 64 * 1024), byte(0, 255);
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
        std::string m(static_cast<std::size_t>(size(rng)), '\0');
        for (auto& c : m)
            c = static_cast<char>(byte(rng));
        out.push_back(std::move(m));
    }
    return out;
}

// Plain TCP, or TLS end to end (the proxy relays the records, cut as it likes).
struct Security {
    aio::ServerOptions server;
    aio::ConnectOptions client;
};
const Security plain{};
const Security& tls() {
    static const Security security = [] {
        Security s;
        s.server.ssl = &aio_test::server_ctx();
        s.client.ssl = &aio_test::client_ctx();
        s.client.server_hostname = "localhost";
        return s;
    }();
    return security;
}

// Sends each message and reads its echo through the proxy in `mode`; the echoes must be exact.
aio::Task<> echo_through(std::string mode, int seed, const Security& security = plain) {
    auto server = co_await aio::start_server(echo, "127.0.0.1", 0, security.server);
    auto proxy = co_await start_proxy(mode, seed, server.sockets()[0].port());
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", proxy.port, security.client);
    std::size_t bytes = 0;
    for (const auto& m : messages(60, static_cast<unsigned>(seed))) {
        writer.write(m);
        co_await writer.drain();
        const std::string back = co_await reader.readexactly(m.size());
        EXPECT_TRUE(back == m) << "a message of " << m.size() << " bytes came back changed";
        bytes += m.size();
    }
    if (writer.can_write_eof()) {
        writer.write_eof();
        EXPECT_EQ(co_await reader.read(), "");  // the server's EOF, passed on by the proxy
    }
    writer.close();
    co_await writer.wait_closed();
    co_await proxy.stop();
    server.close();
    co_await server.wait_closed();
    EXPECT_GT(bytes, 0u);
}

// Through a proxy that cuts the connection after `after` bytes: every echo that does come back
// is exact, and the end is an error, not a short read that looks like success: a dropped
// connection (FIN) is an IncompleteReadError, a reset (RST) the reset itself (or a broken pipe,
// if a write meets it first), never an EOF.
aio::Task<> cut_through(std::string mode, int seed, long after, const Security& security = plain) {
    auto server = co_await aio::start_server(echo, "127.0.0.1", 0, security.server);
    auto proxy = co_await start_proxy(mode, seed, server.sockets()[0].port(), after);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", proxy.port, security.client);
    std::size_t echoed = 0;
    bool told = false;
    try {
        for (const auto& m : messages(60, static_cast<unsigned>(seed))) {
            writer.write(m);
            co_await writer.drain();
            const std::string back = co_await reader.readexactly(m.size());
            EXPECT_TRUE(back == m) << "a message of " << m.size() << " bytes came back changed";
            echoed += m.size();
        }
    } catch (const aio::IncompleteReadError& e) {
        told = true;
        EXPECT_EQ(mode, "drop") << "a reset was read as the end of the stream";
        EXPECT_LT(e.partial().size(), e.expected().value_or(0));
    } catch (const std::system_error& e) {
        told = true;
        EXPECT_TRUE(e.code() == std::errc::connection_reset || e.code() == std::errc::broken_pipe)
            << e.what();
    }
    EXPECT_TRUE(told) << "the connection was cut, and the client was not told";
    EXPECT_LE(echoed, static_cast<std::size_t>(after));
    writer.close();
    co_await proxy.stop();
    server.close();
    co_await server.wait_closed();  // the server's handler saw the cut too, and ended
}

}  // namespace

AIO_TEST(Faults, WritesSplitAtRandomArriveWhole) {
    for (int seed = 1; seed <= 2; ++seed)
        co_await echo_through("split", seed);
}

AIO_TEST(Faults, AStallInMidStreamLosesNothing) {
    co_await echo_through("stall", 7);
}

AIO_TEST(Faults, ADroppedConnectionIsAnIncompleteRead) {
    for (const long after : {1L, 1000L, 200'000L})
        co_await cut_through("drop", static_cast<int>(after), after);
}

AIO_TEST(Faults, AResetInMidStreamReachesTheReader) {
    for (const long after : {1L, 1000L, 200'000L})
        co_await cut_through("reset", static_cast<int>(after), after);
}

// TLS records cut anywhere still decrypt to the same bytes; a connection dropped or reset after
// the handshake is an error for the reader, as over plain TCP. (On the real clock: a virtual one
// would jump to the handshake's timeout while the proxy, another process, takes its time.)
aio::Task<> tls_through_faults() {
    co_await echo_through("split", 11, tls());
    co_await cut_through("drop", 12, 100'000, tls());
    co_await cut_through("reset", 13, 100'000, tls());
}

TEST(Faults, TlsThroughTheSameFaults) {
    aio::run(tls_through_faults());  // (the backend AIO_BACKEND names)
}

// ---- faults injected into aio's own system calls (aio::testing::inject_faults, epoll) ----

namespace {

// A client of the echo server that sends `count` random messages and checks their echoes: it
// ends with all of them right (completed) or with the error that cut it short (failed).
aio::Task<> checked_client(std::uint16_t port, unsigned seed, int count, int& completed,
                           int& failed) {
    try {
        auto [reader, writer] = co_await aio::open_connection("127.0.0.1", port);
        for (const auto& m : messages(count, seed)) {
            writer.write(m);
            co_await writer.drain();
            const std::string back = co_await reader.readexactly(m.size());
            EXPECT_TRUE(back == m) << "a message of " << m.size() << " bytes came back changed";
        }
        writer.close();
        ++completed;
    } catch (const aio::IncompleteReadError&) {  // the server's side was reset: its close
        ++failed;
    } catch (const std::system_error& e) {
        EXPECT_TRUE(e.code() == std::errc::connection_reset || e.code() == std::errc::broken_pipe)
            << e.what();
        ++failed;
    }
}

aio::Task<> clients_of_an_echo_server(int clients, int messages_each, int& completed, int& failed) {
    auto server = co_await aio::start_server(echo, "127.0.0.1", 0);
    const auto port = server.sockets()[0].port();
    std::vector<aio::Task<>> all;
    for (int i = 0; i < clients; ++i)
        all.push_back(
            checked_client(port, static_cast<unsigned>(i + 1), messages_each, completed, failed));
    co_await aio::gather(std::move(all));
    server.close();
    co_await server.wait_closed();  // every handler ended, whatever its connection met
}

}  // namespace

TEST(FaultInjection, InjectedResetsReachTheirReadersAndNothingElse) {
    aio::testing::inject_faults({.seed = 5, .reset_on_read = 0.02, .reset_on_write = 0.02});
    int completed = 0, failed = 0;
    aio::run(clients_of_an_echo_server(20, 20, completed, failed),
             {.backend = aio::BackendKind::epoll});
    aio::testing::stop_injecting_faults();
    EXPECT_EQ(completed + failed, 20);
    EXPECT_GT(failed, 0) << "no fault was met";
}

TEST(FaultInjection, AcceptsThatRunOutOfDescriptorsAreRetried) {
    aio::testing::inject_faults({.seed = 3, .out_of_fds_on_accept = 0.5});
    int completed = 0, failed = 0;
    aio::run(clients_of_an_echo_server(10, 2, completed, failed),
             {.backend = aio::BackendKind::epoll});
    aio::testing::stop_injecting_faults();
    EXPECT_EQ(completed, 10);
    EXPECT_EQ(failed, 0);
}
