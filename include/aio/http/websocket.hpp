// WebSocket (RFC 6455) on a connection, in aiohttp's shape: a handler turns its request into a
// WebSocket (aiohttp's WebSocketResponse.prepare), then receives messages and sends its own
// until either side closes. Frames are read and written by wslay (Debian's libwslay), over
// aio's transports: pings are answered, fragmented messages put together, the close handshake
// done, and a peer's protocol errors answered with their close codes (1002, 1007 for text that
// is not UTF-8, 1009 past max_msg_size).
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aio/task.hpp"
#include "aio/time.hpp"

namespace aio::http {

namespace detail {
class WebSocketCore;
}

enum class WSMsgType : unsigned char { text, binary };

// A whole message (a fragmented one arrives put together).
struct WSMessage {
    WSMsgType type = WSMsgType::text;
    std::string data;
};

struct WebSocketOptions {
    std::size_t max_msg_size = 4 * 1024 * 1024;  // aiohttp's default
    // Subprotocols this side speaks, in preference order (the server picks the first the client
    // offered).
    std::vector<std::string> protocols{};
    // How long close() waits for the peer's close frame.
    Duration close_timeout = std::chrono::seconds(10);
};

class WebSocket {
  public:
    explicit WebSocket(std::shared_ptr<detail::WebSocketCore> core) noexcept
        : core_(std::move(core)) {}
    WebSocket(WebSocket&&) noexcept = default;
    WebSocket& operator=(WebSocket&&) noexcept = default;
    ~WebSocket();

    // The next text or binary message; nullopt once the connection is closed (close_code()
    // then tells how). `async for msg in ws` is `while (auto msg = co_await ws.receive())`.
    Task<std::optional<WSMessage>> receive();
    // Each waits while the connection's send buffer is over its high-water mark;
    // ConnectionResetError once it is closed.
    Task<> send_str(std::string text);
    Task<> send_bytes(std::string data);
    Task<> ping(std::string payload = {});
    // Sends a close frame, waits (close_timeout) for the peer's, closes the connection.
    Task<> close(int code = 1000, std::string reason = {});

    bool closed() const noexcept;
    // The code of the close frame received (1005 if it had none), or of the one this side sent
    // for a protocol error; nullopt while open.
    std::optional<int> close_code() const noexcept;
    // The subprotocol agreed on ("" for none).
    const std::string& protocol() const noexcept;

  private:
    std::shared_ptr<detail::WebSocketCore> core_;
};

}  // namespace aio::http
