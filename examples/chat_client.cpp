// A terminal client for examples/chat_server: sends the nickname, then each line typed on stdin,
// and prints the room's lines as they come. Both at once, on one loop: stdin is read through the
// loop (connect_read_pipe), never by a blocking read. Ends when the server closes the
// connection; at the end of stdin it says /quit.
//   chat_client [--host 127.0.0.1] [--port 8888] --nick NAME
#include <aio/aio.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// Lines from stdin, each written to the server as it is complete.
class Keyboard final : public aio::Protocol {
  public:
    explicit Keyboard(aio::StreamWriter& server) : server_(server) {}

    void data_received(std::string_view data) override {
        pending_ += data;
        for (std::size_t end; (end = pending_.find('\n')) != std::string::npos;) {
            server_.write(std::string_view(pending_).substr(0, end + 1));
            pending_.erase(0, end + 1);
        }
    }
    bool eof_received() override {
        if (!pending_.empty()) server_.write(pending_ + "\n");
        server_.write("/quit\n");
        return false;
    }

  private:
    aio::StreamWriter& server_;
    std::string pending_;
};

aio::Task<> amain(std::string host, std::uint16_t port, std::string nick) {
    auto [reader, writer] = co_await aio::open_connection(host, port);
    writer.write(nick + "\n");
    auto keyboard = std::make_shared<Keyboard>(writer);
    aio::ProtocolFactory factory = [keyboard] { return keyboard; };  // (named: g++ 12)
    auto stdin_pipe = co_await aio::connect_read_pipe(std::move(factory), ::dup(STDIN_FILENO));
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;  // the server closed the connection
        std::fputs(line.c_str(), stdout);
        std::fflush(stdout);
    }
    stdin_pipe.transport->close();
    writer.close();
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1", nick;
    int port = 8888;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--host")
            host = value;
        else if (arg == "--port")
            port = std::atoi(value.c_str());
        else if (arg == "--nick")
            nick = value;
        else
            nick.clear(), i = argc;
    }
    if (nick.empty() || argc % 2 == 0) {
        std::fputs("usage: chat_client [--host H] [--port P] --nick NAME\n", stderr);
        return 2;
    }
    try {
        aio::run(amain(host, static_cast<std::uint16_t>(port), nick));
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "chat_client: %s\n", e.what());
        return 1;
    }
}
