// The echo server of asyncio's documentation written with a Protocol instead of streams
// (asyncio's EchoServerProtocol): data_received writes the bytes straight back, and the
// transport's flow control pauses reading while the peer is not taking what it is sent.
// Prints "Serving on HOST:PORT"; SIGINT or SIGTERM end it with status 0.
//   echo_protocol [--host 127.0.0.1] [--port 8888] [--backend io_uring|epoll]
#include <aio/aio.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

class EchoServerProtocol : public aio::Protocol {
  public:
    void connection_made(aio::Transport& transport) override { transport_ = &transport; }
    void data_received(std::string_view data) override { transport_->write(data); }
    // Back-pressure: while the peer does not read what it is sent, stop reading from it.
    void pause_writing() override { transport_->pause_reading(); }
    void resume_writing() override { transport_->resume_reading(); }

  private:
    aio::Transport* transport_ = nullptr;  // valid until connection_lost
};

aio::Task<> amain(std::string host, std::uint16_t port) {
    aio::interrupt_on(SIGTERM);  // as Ctrl-C: cancels this task, and aio::run ends
    auto server = co_await aio::create_server([] { return std::make_shared<EchoServerProtocol>(); },
                                              host, port);
    std::printf("Serving on %s\n", server.sockets()[0].to_string().c_str());
    std::fflush(stdout);
    co_await server.serve_forever();
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 8888;
    aio::LoopOptions options;
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
            std::fprintf(stderr,
                         "usage: echo_protocol [--host H] [--port P] [--backend io_uring|epoll]\n");
            return 2;
        }
    }
    if (argc % 2 == 0) {
        std::fprintf(stderr,
                     "usage: echo_protocol [--host H] [--port P] [--backend io_uring|epoll]\n");
        return 2;
    }
    try {
        aio::run(amain(host, static_cast<std::uint16_t>(port)), options);
    } catch (const aio::KeyboardInterrupt&) {
    }
}
