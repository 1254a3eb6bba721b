// The TechEmpower plaintext and JSON endpoints (the web's usual yardstick) on aio::http:
//   GET /plaintext -> "Hello, World!"           GET /json -> {"message":"Hello, World!"}
// and GET /hello/{name} to show a path parameter. Prints "Serving on HOST:PORT"; SIGINT or
// SIGTERM shut it down gracefully (requests in progress finish first).
//   http_server [--host 127.0.0.1] [--port 8080] [--backend io_uring|epoll]
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

aio::Task<aio::http::Response> plaintext(aio::http::Request&) {
    co_return aio::http::Response("Hello, World!", 200, "text/plain");
}

aio::Task<aio::http::Response> json(aio::http::Request&) {
    co_return aio::http::Response::json(R"({"message":"Hello, World!"})");
}

aio::Task<aio::http::Response> hello(aio::http::Request& request) {
    co_return aio::http::Response("Hello, " + std::string(request.param("name")) + "!\n");
}

aio::Task<> amain(std::string host, std::uint16_t port) {
    aio::interrupt_on(SIGTERM);  // as Ctrl-C: cancels this task, and aio::run ends
    aio::http::Application app;
    app.get("/plaintext", plaintext).get("/json", json).get("/hello/{name}", hello);
    auto server = co_await aio::http::serve(std::move(app), host, port);
    std::printf("Serving on %s\n", server.sockets()[0].to_string().c_str());
    std::fflush(stdout);
    co_await server.serve_forever();
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 8080;
    aio::LoopOptions options;
    const char* usage = "usage: http_server [--host H] [--port P] [--backend io_uring|epoll]\n";
    if (argc % 2 == 0) {
        std::fputs(usage, stderr);
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--host") {
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
        aio::run(amain(host, static_cast<std::uint16_t>(port)), options);
    } catch (const aio::KeyboardInterrupt&) {
    }
}
