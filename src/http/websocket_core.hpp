// A WebSocket's state on its connection: wslay's event context, fed the bytes the transport
// receives and writing its frames through the transport; the messages received wait for
// receive(). Shared by the WebSocket a handler holds and the connection it runs on.
#pragma once
#include <wslay/wslay.h>

#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aio/detail/one_waiter.hpp"
#include "aio/http/websocket.hpp"
#include "aio/transports.hpp"

namespace aio::http::detail {

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455: base64 of SHA-1 of key + GUID).
std::string websocket_accept(std::string_view key);
// A new Sec-WebSocket-Key: 16 random bytes in base64.
std::string websocket_key();

class WebSocketCore {
  public:
    WebSocketCore(bool client, Transport& transport, WebSocketOptions options,
                  std::string protocol);
    ~WebSocketCore();
    WebSocketCore(const WebSocketCore&) = delete;
    WebSocketCore& operator=(const WebSocketCore&) = delete;

    // From the connection.
    void feed(std::string_view data);
    void lost(std::exception_ptr error) noexcept;
    void writable() noexcept;
    void set_writing_paused() noexcept { writing_paused_ = true; }
    // Called once the close handshake is over (or failed): the connection closes the transport.
    std::function<void()> on_done;

    Task<std::optional<WSMessage>> receive();
    Task<> send(std::uint8_t opcode, std::string data);
    Task<> close(int code, std::string reason);
    bool closed() const noexcept { return done_ || lost_; }
    std::optional<int> close_code() const noexcept { return close_code_; }
    const std::string& protocol() const noexcept { return protocol_; }

  private:
    static ssize_t recv_callback(wslay_event_context_ptr, std::uint8_t* buf, std::size_t len, int,
                                 void* self);
    static ssize_t send_callback(wslay_event_context_ptr, const std::uint8_t* data, std::size_t len,
                                 int, void* self);
    static int genmask_callback(wslay_event_context_ptr, std::uint8_t* buf, std::size_t len, void*);
    static void on_message(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                           void* self);
    void fail(int code);
    void abandon(int code);
    void pump();
    void check_done();
    Task<> drain();

    wslay_event_context_ptr ctx_ = nullptr;
    Transport* transport_;
    WebSocketOptions options_;
    std::string protocol_;
    std::string in_;
    std::size_t in_pos_ = 0;
    std::deque<WSMessage> inbox_;
    aio::detail::OneWaiter receiver_;
    aio::detail::OneWaiter drainer_;
    aio::detail::OneWaiter closer_;
    std::optional<int> close_code_;
    std::exception_ptr error_;
    bool client_;
    bool writing_paused_ = false;
    bool lost_ = false;
    bool done_ = false;
};

}  // namespace aio::http::detail
