// The talks' echo client: several named clients at once, each sending its name four times and
// printing each echoed line. Run it against examples/echo_server --lines (or any echo server).
//   echo_client [--host 127.0.0.1] [--port 8888]
#include <aio/aio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

aio::Task<> echo_client(std::string host, std::uint16_t port, std::string message) {
    auto [reader, writer] = co_await aio::open_connection(host, port);
    for (int i = 0; i < 4; ++i) {
        writer.write(message + "\n");
        std::string line = co_await reader.readline();
        if (!line.empty() && line.back() == '\n') line.pop_back();
        std::printf("'%s' [%d]\n", line.c_str(), i);
    }
    writer.close();
    co_await writer.wait_closed();
}

aio::Task<> run_clients(std::string host, std::uint16_t port) {
    std::vector<aio::Task<>> clients;
    for (const char* name :
         {"oxford", "stilton", "kikorangi", "danish", "cheddar", "roquefort", "gorgonzola"})
        clients.push_back(echo_client(host, port, name));
    co_await aio::wait(std::move(clients));
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 8888;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string arg = argv[i];
        if (arg == "--host")
            host = argv[i + 1];
        else if (arg == "--port")
            port = std::atoi(argv[i + 1]);
    }
    aio::run(run_clients(host, static_cast<std::uint16_t>(port)));
}
