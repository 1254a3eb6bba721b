// A directory over HTTP, like `python3 -m http.server`: files with their Content-Type, ranges
// and conditional requests, directories as their index.html or a listing. SIGINT or SIGTERM end
// it.
//   static_server [--directory DIR] [--host 127.0.0.1] [--port 8000] [--backend io_uring|epoll]
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

aio::Task<> amain(std::string directory, std::string host, std::uint16_t port) {
    aio::interrupt_on(SIGTERM);
    aio::http::Application app;
    app.add_static("/", directory);
    auto server = co_await aio::http::serve(std::move(app), host, port);
    const auto where = server.sockets()[0];
    std::printf("Serving HTTP on %s port %u (http://%s/) ...\n", where.host().c_str(), where.port(),
                where.to_string().c_str());
    std::fflush(stdout);
    co_await server.serve_forever();
}

int main(int argc, char** argv) {
    std::string directory = ".", host = "127.0.0.1";
    int port = 8000;
    aio::LoopOptions options;
    const char* usage =
        "usage: static_server [--directory DIR] [--host H] [--port P] [--backend io_uring|epoll]\n";
    if (argc % 2 == 0) {
        std::fputs(usage, stderr);
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--directory") {
            directory = value;
        } else if (arg == "--host") {
            host = value;
        } else if (arg == "--port") {
            port = std::atoi(value.c_str());
        } else if (arg == "--backend" && (value == "io_uring" || value == "epoll")) {
            options.backend =
                value == "epoll" ? aio::BackendKind::epoll : aio::BackendKind::io_uring;
        } else {
            std::fputs(usage, stderr);
            return 2;
        }
    }
    try {
        aio::run(amain(directory, host, static_cast<std::uint16_t>(port)), options);
    } catch (const aio::KeyboardInterrupt&) {
    }
}
