// Fault injection: aio's streams (client and server) talking through tests/fault_proxy.py, a
// Python proxy that cuts every write into random pieces with random pauses, stalls, drops the
// connection or resets it in mid-stream. Every byte arrives as it was sent, or the reader is
// told with an error (IncompleteReadError, a reset): never a silent truncation.
#include <random>
#include <string>
#include <system_error>

#include "helpers.hpp"

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

aio::Task<Proxy> start_proxy(std::string mode, int seed, std::uint16_t upstream,
                             long after = -1) {
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

// Sends each message and reads its echo through the proxy in `mode`; the echoes must be exact.
aio::Task<> echo_through(std::string mode, int seed) {
    auto server = co_await aio::start_server(echo, "127.0.0.1", 0);
    auto proxy = co_await start_proxy(mode, seed, server.sockets()[0].port());
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", proxy.port);
    std::size_t bytes = 0;
    for (const auto& m : messages(60, static_cast<unsigned>(seed))) {
        writer.write(m);
        co_await writer.drain();
        const std::string back = co_await reader.readexactly(m.size());
        EXPECT_TRUE(back == m) << "a message of " << m.size() << " bytes came back changed";
        bytes += m.size();
    }
    writer.write_eof();
    EXPECT_EQ(co_await reader.read(), "");  // the server's EOF, passed on by the proxy
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
aio::Task<> cut_through(std::string mode, int seed, long after) {
    auto server = co_await aio::start_server(echo, "127.0.0.1", 0);
    auto proxy = co_await start_proxy(mode, seed, server.sockets()[0].port(), after);
    auto [reader, writer] = co_await aio::open_connection("127.0.0.1", proxy.port);
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
