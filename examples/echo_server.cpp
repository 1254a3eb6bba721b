// An echo server: every connection gets back whatever it sends. By default it reads up to
// 64 KiB at a time, writes it back and drains (binary payloads, benchmarks); with --lines it is
// the talks' readline version. Prints "Serving on HOST:PORT", then serves until SIGINT or
// SIGTERM, which end it with status 0. --backlog is listen()'s queue (asyncio's 100 by default:
// more clients connecting at once than that wait for SYN retries).
//   echo_server [--host 127.0.0.1] [--port 8888] [--backend io_uring|epoll] [--lines]
//               [--backlog N]
#include <aio/aio.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

// A client that vanishes mid-conversation (reset, broken pipe) ends its connection, quietly.
bool connection_lost(const std::system_error& e) {
    const int err = e.code().value();
    return err == ECONNRESET || err == EPIPE;
}

aio::Task<> echo_chunks(aio::StreamReader reader, aio::StreamWriter writer) {
    try {
        while (true) {
            std::string data = co_await reader.read(64 * 1024);
            if (data.empty()) break;  // EOF
            writer.write(std::move(data));
            co_await writer.drain();  // back-pressure
        }
    } catch (const std::system_error& e) {
        if (!connection_lost(e)) throw;
    }
}

aio::Task<> echo_lines(aio::StreamReader reader, aio::StreamWriter writer) {
    try {
        while (true) {
            std::string line = co_await reader.readline();
            if (line.empty()) break;  // EOF
            writer.write(line);
            co_await writer.drain();
        }
    } catch (const std::system_error& e) {
        if (!connection_lost(e)) throw;
    }
}

aio::Task<> amain(std::string host, std::uint16_t port, bool lines, int backlog) {
    aio::interrupt_on(SIGTERM);  // as Ctrl-C: cancels this task, and aio::run ends
    aio::ServerOptions server_options;
    server_options.backlog = backlog;
    auto server =
        co_await aio::start_server(lines ? echo_lines : echo_chunks, host, port, server_options);
    std::printf("Serving on %s\n", server.sockets()[0].to_string().c_str());
    std::fflush(stdout);
    co_await server.serve_forever();
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 8888, backlog = 100;
    bool lines = false;
    aio::LoopOptions options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--host" && i + 1 < argc)
            host = argv[++i];
        else if (arg == "--port" && i + 1 < argc)
            port = std::atoi(argv[++i]);
        else if (arg == "--backlog" && i + 1 < argc && std::atoi(argv[i + 1]) > 0)
            backlog = std::atoi(argv[++i]);
        else if (arg == "--lines")
            lines = true;
        else if (arg == "--backend" && i + 1 < argc && argv[i + 1] == std::string("io_uring"))
            options.backend = aio::BackendKind::io_uring, ++i;
        else if (arg == "--backend" && i + 1 < argc && argv[i + 1] == std::string("epoll"))
            options.backend = aio::BackendKind::epoll, ++i;
        else {
            std::fprintf(stderr,
                         "usage: echo_server [--host H] [--port P] [--backend io_uring|epoll] "
                         "[--lines] [--backlog N]\n");
            return 2;
        }
    }
    try {
        aio::run(amain(host, static_cast<std::uint16_t>(port), lines, backlog), options);
    } catch (const aio::KeyboardInterrupt&) {
        // SIGINT or SIGTERM: the server and its connections are closed by now
    }
}
