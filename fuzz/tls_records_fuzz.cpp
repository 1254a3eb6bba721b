// Fuzz target: the TLS record path. Two TLS layers (aio::start_tls over memory transports)
// complete a real handshake; the client then sends a known plaintext, and the input corrupts its
// records on the way (bytes flipped, cut, inserted, dropped) and chooses how they are split.
// Whatever happens, the server's application must receive a prefix of what was sent (TLS's
// integrity: a corrupted record is an error, never wrong bytes), and all of it when nothing was
// corrupted; and nothing may crash or leak (ASan, under make fuzz).
#include <aio/aio.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../tests/memory_transport.hpp"
#include "../tests/tls_certificates.hpp"

namespace {

using aio_test::MemoryTransport;

struct Collector : aio::Protocol {
    std::string got;
    void data_received(std::string_view data) override { got += data; }
};

class Bytes {
  public:
    Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const noexcept { return at_ >= size_; }
    std::uint8_t byte() noexcept { return at_ < size_ ? data_[at_++] : 0; }
    std::size_t word() noexcept { return std::size_t{byte()} << 8 | byte(); }

  private:
    const std::uint8_t* data_;
    std::size_t size_, at_ = 0;
};

aio::Task<> run(Bytes& in) {
    auto client_wire = std::make_shared<MemoryTransport>();
    auto server_wire = std::make_shared<MemoryTransport>();
    auto client_app = std::make_shared<Collector>();
    auto server_app = std::make_shared<Collector>();
    aio::ssl::StartTLSOptions as_client, as_server;
    as_client.server_hostname = "localhost";
    as_server.server_side = true;
    auto client = aio::create_task(
        aio::start_tls(client_wire, client_app, aio_test::client_ctx(), as_client));
    auto server = aio::create_task(
        aio::start_tls(server_wire, server_app, aio_test::server_ctx(), as_server));
    while (!client.done() || !server.done()) {
        server_wire->receive(std::exchange(client_wire->outbox, {}));
        client_wire->receive(std::exchange(server_wire->outbox, {}));
        co_await aio::sleep(std::chrono::seconds(0));
    }
    auto client_tls = co_await client;
    auto server_tls = co_await server;

    std::string sent;
    for (int i = 0; i < 3000; ++i)
        sent += static_cast<char>('a' + i % 26);
    client_tls->write(sent);
    std::string records = std::exchange(client_wire->outbox, {});
    // The input's corruptions: (kind, position, value) until it runs out.
    bool corrupted = false, cut = false;
    for (int ops = in.byte() % 8; ops > 0 && !records.empty(); --ops) {
        const std::uint8_t kind = in.byte() % 4;
        const std::size_t at = in.word() % records.size();
        const char value = static_cast<char>(in.byte());
        if (kind == 0 && records[at] != value) {
            records[at] = value;
            corrupted = true;
        } else if (kind == 1) {
            records.resize(at);  // cut short
            cut = true;
        } else if (kind == 2) {
            records.insert(at, 1, value);
            corrupted = true;
        } else if (kind == 3) {
            records.erase(at, 1 + in.byte() % 64);
            corrupted = true;
        }
    }
    // Delivered in pieces of the input's choosing.
    for (std::size_t at = 0; at < records.size();) {
        const std::size_t n = std::min<std::size_t>(1 + in.word() % 4096, records.size() - at);
        server_wire->receive(std::string_view(records).substr(at, n));
        at += n;
    }
    co_await aio::sleep(std::chrono::seconds(0));
    const std::string& got = server_app->got;
    if (sent.compare(0, got.size(), got) != 0 || got.size() > sent.size()) {
        std::fprintf(stderr, "tls_records_fuzz: the server received bytes that were not sent\n");
        std::abort();
    }
    if (!corrupted && !cut && got != sent) {
        std::fprintf(stderr, "tls_records_fuzz: intact records lost %zu of %zu bytes\n",
                     sent.size() - got.size(), sent.size());
        std::abort();
    }
    client_tls->abort();
    server_tls->abort();
    co_await aio::sleep(std::chrono::seconds(0));  // (their connection_lost calls)
    client_wire->protocol.reset();
    server_wire->protocol.reset();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* loop = new aio::EventLoop({.backend = aio::BackendKind::epoll});
    Bytes in(data, size);
    loop->run_until_complete(run(in));
    return 0;
}
