// The UDP echo server of asyncio's documentation (EchoServerProtocol on
// create_datagram_endpoint): each datagram goes back to whoever sent it, and both are printed.
// Prints "Serving on HOST:PORT"; SIGINT or SIGTERM end it with status 0.
//   udp_echo_server [--host 127.0.0.1] [--port 9999] [--backend io_uring|epoll]
#include <aio/aio.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

class EchoServerProtocol : public aio::DatagramProtocol {
  public:
    void connection_made(aio::DatagramTransport& transport) override { transport_ = &transport; }
    void datagram_received(std::string_view data, const aio::SocketAddress& addr) override {
        const std::string message(data);
        std::printf("Received '%s' from %s\n", message.c_str(), addr.to_string().c_str());
        std::printf("Send '%s' to %s\n", message.c_str(), addr.to_string().c_str());
        std::fflush(stdout);
        transport_->sendto(data, addr);
    }

  private:
    aio::DatagramTransport* transport_ = nullptr;  // valid until connection_lost
};

aio::Task<> amain(std::string host, std::uint16_t port) {
    aio::interrupt_on(SIGTERM);  // as Ctrl-C: cancels this task, and aio::run ends
    const aio::DatagramOptions options{.local_addr = aio::HostPort{host, port}};
    auto [transport, protocol] = co_await aio::create_datagram_endpoint(
        [] { return std::make_shared<EchoServerProtocol>(); }, options);
    const auto where = transport->get_extra_info<aio::SocketAddress>("sockname");
    std::printf("Serving on %s\n", where->to_string().c_str());
    std::fflush(stdout);
    try {
        co_await aio::sleep(std::chrono::hours(1));  // serve for an hour
    } catch (...) {
        transport->close();
        throw;
    }
    transport->close();
}

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 9999;
    aio::LoopOptions options;
    bool ok = argc % 2 == 1;
    for (int i = 1; ok && i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--host")
            host = value;
        else if (arg == "--port")
            port = std::atoi(value.c_str());
        else if (arg == "--backend" && (value == "io_uring" || value == "epoll"))
            options.backend =
                value == "epoll" ? aio::BackendKind::epoll : aio::BackendKind::io_uring;
        else
            ok = false;
    }
    if (!ok) {
        std::fprintf(stderr,
                     "usage: udp_echo_server [--host H] [--port P] [--backend io_uring|epoll]\n");
        return 2;
    }
    try {
        aio::run(amain(host, static_cast<std::uint16_t>(port)), options);
    } catch (const aio::KeyboardInterrupt&) {
    }
}
