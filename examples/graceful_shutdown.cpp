// Graceful shutdown: a server that, on SIGINT or SIGTERM, stops accepting connections, lets the
// handlers already running finish their work and reply, and exits 0.
//   graceful_shutdown [PORT]   (default 8890; 0 picks a free port, printed on the first line)
// Each connection sends one line; the handler "works" on it for 200 ms and answers in upper
// case.
#include <aio/aio.hpp>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

int in_flight = 0;

aio::Task<> handle(aio::StreamReader reader, aio::StreamWriter writer) {
    ++in_flight;
    std::string line = co_await reader.readline();
    std::printf("working on %s", line.c_str());
    std::fflush(stdout);
    co_await aio::sleep(std::chrono::milliseconds(200));  // the work a shutdown must not cut
    for (char& c : line)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    writer.write(line);
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
    --in_flight;
    std::printf("answered %s", line.c_str());
    std::fflush(stdout);
}

aio::Task<int> amain(std::uint16_t port) {
    auto server = co_await aio::start_server(handle, "127.0.0.1", port);
    std::printf("serving on %s\n", server.sockets().at(0).to_string().c_str());
    std::fflush(stdout);

    const int sig = co_await aio::wait_for_signal(SIGINT, SIGTERM);
    server.close();
    std::printf("%s: no new connections; %d in flight\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
                in_flight);
    std::fflush(stdout);
    co_await server.wait_closed();  // every handler has finished
    std::printf("all handlers done, exiting\n");
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 8890;
    return aio::run(amain(static_cast<std::uint16_t>(port)));
}
