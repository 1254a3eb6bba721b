// A transport that keeps what is written, for a test to hand to the other end in pieces of its
// choosing (receive()): TLS through memory, with the records split or changed wherever the test
// likes (tests/tls_test.cpp, fuzz/tls_records_fuzz.cpp).
#pragma once
#include <aio/aio.hpp>

#include <any>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace aio_test {

class MemoryTransport final : public aio::Transport {
  public:
    std::string outbox;
    std::shared_ptr<aio::BaseProtocol> protocol;
    bool closed = false;
    // Bytes from the other end, for this transport's protocol (nothing once closed).
    void receive(std::string_view data) {
        if (protocol && !closed) static_cast<aio::Protocol*>(protocol.get())->data_received(data);
    }
    void write(std::string_view data) override { outbox.append(data); }
    void close() override { lose(); }
    void abort() override { lose(); }
    bool is_closing() const noexcept override { return closed; }
    void set_protocol(std::shared_ptr<aio::BaseProtocol> p) override { protocol = std::move(p); }
    aio::BaseProtocol* get_protocol() const noexcept override { return protocol.get(); }
    std::any get_extra_info(std::string_view) const override { return {}; }
    std::size_t get_write_buffer_size() const noexcept override { return outbox.size(); }
    bool is_reading() const noexcept override { return true; }
    void pause_reading() override {}
    void resume_reading() override {}
    void write_eof() override {}
    bool can_write_eof() const noexcept override { return false; }

  private:
    // As a socket's transport: the protocol hears of the end on the loop's next turn.
    void lose() {
        if (std::exchange(closed, true) || !protocol) return;
        aio::get_running_loop().call_soon([p = protocol] { p->connection_lost(nullptr); });
    }
};

}  // namespace aio_test
