// One connection of the HTTP client: a Protocol that writes a request and parses the response
// with llhttp, the head for the request that waits for it, the body into a Body its reader
// takes (gzip/deflate undone on the way). After a 101 it carries a WebSocket instead.
#pragma once
#include <llhttp.h>

#include <memory>
#include <optional>
#include <string>

#include "aio/detail/one_waiter.hpp"
#include "aio/http/client.hpp"
#include "aio/protocols.hpp"
#include "aio/transports.hpp"
#include "body.hpp"
#include "inflate.hpp"
#include "websocket_core.hpp"

namespace aio::http::detail {

struct PoolLease;

class ClientConnection final : public Protocol,
                               public BodySource,
                               public std::enable_shared_from_this<ClientConnection> {
  public:
    ClientConnection(std::optional<Duration> sock_read, bool decompress);
    ~ClientConnection() override;

    void connection_made(Transport& transport) override;
    void data_received(std::string_view data) override;
    bool eof_received() override;
    void connection_lost(std::exception_ptr exc) override;
    void pause_writing() override;
    void resume_writing() override;

    void body_wanted(Body& body) override;
    void body_consumed(Body& body) override;
    Duration body_timeout() const override;

    struct Head {
        int status = 0;
        std::string reason;
        Headers headers;
        int version_minor = 1;
        std::shared_ptr<Body> body;  // null when the response has none
    };
    // Sends the request and waits for the response's head. ServerDisconnectedError if the
    // connection ends first; TimeoutError past sock_read, or for any read of this response
    // (head or body) past the deadline (the session's total timeout).
    Task<Head> exchange(std::string request, bool head_only,
                        std::optional<TimePoint> deadline = std::nullopt);
    // The response's body (null when it has none).
    const std::shared_ptr<Body>& body() const noexcept { return body_; }
    // The response is whole, the server keeps the connection, and it is open.
    bool reusable() const noexcept { return message_done_ && keep_alive_ && !lost_ && !eof_; }
    // Whether anything of a response has arrived since the last request was sent.
    bool answered() const noexcept { return answered_; }
    void abort() noexcept;
    // After a 101: the connection's bytes are the WebSocket's.
    std::shared_ptr<WebSocketCore> become_websocket(WebSocketOptions options, std::string protocol);

    std::weak_ptr<PoolLease> lease;  // told when the body is whole

  private:
    static const llhttp_settings_t settings;
    static ClientConnection& of(llhttp_t* p) { return *static_cast<ClientConnection*>(p->data); }
    int headers_complete();
    int message_complete();
    void fail(std::exception_ptr error);

    llhttp_t parser_{};
    Transport* transport_ = nullptr;
    std::optional<Duration> sock_read_;
    std::optional<TimePoint> deadline_;  // this response's
    bool decompress_;
    Head head_;
    bool field_open_ = false;
    bool head_only_ = false;
    bool head_done_ = false;
    bool head_taken_ = false;  // exchange() has returned the head: the pool may have it back
    bool message_done_ = false;
    bool keep_alive_ = false;
    bool answered_ = false;
    bool lost_ = false;
    bool eof_ = false;
    bool reading_paused_ = false;
    std::shared_ptr<Body> body_;
    std::unique_ptr<Inflater> inflater_;
    std::exception_ptr error_;
    aio::detail::OneWaiter head_waiter_;
    std::string upgrade_rest_;  // bytes after a 101's head: the WebSocket's
    std::shared_ptr<WebSocketCore> websocket_;
};

// A connection lent to one request by the session's pool: it goes back to the pool (or is
// closed) and the session's connection limits are released, once.
struct PoolLease {
    std::shared_ptr<SessionState> state;
    std::string key;
    std::shared_ptr<ClientConnection> connection;
    bool holds_per_host = false;
    bool holds_total = false;
    bool done = false;
    void finish(bool reuse) noexcept;
    ~PoolLease() { finish(false); }
};

}  // namespace aio::http::detail
