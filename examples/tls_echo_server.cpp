// An echo server over TLS: every connection gets back whatever it sends, encrypted. Prints
// "Serving on HOST:PORT", then serves until SIGINT or SIGTERM, which end it with status 0.
//   tls_echo_server --cert FILE --key FILE [--host 127.0.0.1] [--port 8443]
//                   [--backend io_uring|epoll]
#include <aio/aio.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

aio::Task<> echo(aio::StreamReader reader, aio::StreamWriter writer) {
    try {
        while (true) {
            std::string data = co_await reader.read(64 * 1024);
            if (data.empty()) break;  // EOF (the client's close_notify)
            writer.write(std::move(data));
            co_await writer.drain();
        }
    } catch (const std::system_error&) {
        // a client that vanished or spoke something else than TLS: its connection ends
    }
}

aio::Task<> amain(std::string host, std::uint16_t port, std::string cert, std::string key) {
    aio::interrupt_on(SIGTERM);
    auto ctx = aio::ssl::create_default_context(aio::ssl::Purpose::CLIENT_AUTH);
    ctx.load_cert_chain(cert, key);
    auto server = co_await aio::start_server(echo, host, port, {.ssl = &ctx});
    std::printf("Serving on %s\n", server.sockets()[0].to_string().c_str());
    std::fflush(stdout);
    co_await server.serve_forever();
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1", cert, key;
    int port = 8443;
    aio::LoopOptions options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--host")
            host = value;
        else if (arg == "--port")
            port = std::atoi(value.c_str());
        else if (arg == "--cert")
            cert = value;
        else if (arg == "--key")
            key = value;
        else if (arg == "--backend" && (value == "io_uring" || value == "epoll"))
            options.backend =
                value == "epoll" ? aio::BackendKind::epoll : aio::BackendKind::io_uring;
        else
            cert.clear(), i = argc;  // (usage below)
    }
    if (cert.empty() || key.empty()) {
        std::fprintf(stderr,
                     "usage: tls_echo_server --cert FILE --key FILE [--host H] [--port P] "
                     "[--backend io_uring|epoll]\n");
        return 2;
    }
    try {
        aio::run(amain(host, static_cast<std::uint16_t>(port), cert, key), options);
    } catch (const aio::KeyboardInterrupt&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tls_echo_server: %s\n", e.what());
        return 1;
    }
}
