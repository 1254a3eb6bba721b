// The talks' echo client over TLS: several named clients at once, each sending its name four
// times and printing each echoed line. The server's certificate must check out against --cafile
// (and be valid for --server-hostname, by default the host); if not, the verification error is
// printed and the status is 1.
//   tls_echo_client --cafile FILE [--host 127.0.0.1] [--port 8443] [--server-hostname NAME]
#include <aio/aio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

aio::Task<> echo_client(std::string host, std::uint16_t port, aio::ConnectOptions options,
                        std::string message) {
    auto [reader, writer] = co_await aio::open_connection(host, port, options);
    for (int i = 0; i < 4; ++i) {
        writer.write(message + "\n");
        std::string line = co_await reader.readline();
        if (!line.empty() && line.back() == '\n') line.pop_back();
        std::printf("'%s' [%d]\n", line.c_str(), i);
    }
    writer.close();
    co_await writer.wait_closed();
}

aio::Task<> run_clients(std::string host, std::uint16_t port, aio::ConnectOptions options) {
    std::vector<aio::Task<>> clients;
    for (const char* name :
         {"oxford", "stilton", "kikorangi", "danish", "cheddar", "roquefort", "gorgonzola"})
        clients.push_back(echo_client(host, port, options, name));
    co_await aio::gather(std::move(clients));
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1", cafile, server_hostname;
    int port = 8443;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--host")
            host = value;
        else if (arg == "--port")
            port = std::atoi(value.c_str());
        else if (arg == "--cafile")
            cafile = value;
        else if (arg == "--server-hostname")
            server_hostname = value;
    }
    if (cafile.empty()) {
        std::fprintf(stderr,
                     "usage: tls_echo_client --cafile FILE [--host H] [--port P] "
                     "[--server-hostname NAME]\n");
        return 2;
    }
    try {
        const auto ctx = aio::ssl::create_default_context(aio::ssl::Purpose::SERVER_AUTH, cafile);
        aio::run(run_clients(host, static_cast<std::uint16_t>(port),
                             {.ssl = &ctx, .server_hostname = server_hostname}));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tls_echo_client: %s\n", e.what());
        return 1;
    }
}
