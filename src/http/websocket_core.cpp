#include "websocket_core.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <system_error>

#include "aio/errors.hpp"
#include "aio/timeouts.hpp"

namespace aio::http {

namespace detail {

std::string websocket_accept(std::string_view key) {
    const std::string text = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    const int n = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

std::string websocket_key() {
    unsigned char raw[16];
    RAND_bytes(raw, sizeof raw);
    unsigned char encoded[32];
    const int n = EVP_EncodeBlock(encoded, raw, sizeof raw);
    return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(n));
}

namespace {

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool valid_utf8(const std::uint8_t* s, std::size_t n) {
    std::size_t i = 0;
    while (i < n) {
        const std::uint8_t c = s[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const std::uint32_t min_for_length[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_length[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

std::exception_ptr connection_lost_error() {
    return std::make_exception_ptr(
        std::system_error(ECONNRESET, std::generic_category(), "WebSocket connection lost"));
}

}  // namespace

WebSocketCore::WebSocketCore(bool client, Transport& transport, WebSocketOptions options,
                             std::string protocol)
    : transport_(&transport),
      options_(std::move(options)),
      protocol_(std::move(protocol)),
      client_(client) {
    wslay_event_callbacks callbacks{&recv_callback, &send_callback, &genmask_callback, nullptr,
                                    nullptr,        nullptr,        &on_message};
    const int rc = client ? wslay_event_context_client_init(&ctx_, &callbacks, this)
                          : wslay_event_context_server_init(&ctx_, &callbacks, this);
    if (rc != 0) throw std::bad_alloc();
    wslay_event_config_set_max_recv_msg_length(ctx_, options_.max_msg_size);
}

WebSocketCore::~WebSocketCore() {
    wslay_event_context_free(ctx_);
}

ssize_t WebSocketCore::recv_callback(wslay_event_context_ptr ctx, std::uint8_t* buf,
                                     std::size_t len, int, void* user) {
    auto& self = *static_cast<WebSocketCore*>(user);
    const std::size_t n = std::min(len, self.in_.size() - self.in_pos_);
    if (n == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    std::memcpy(buf, self.in_.data() + self.in_pos_, n);
    self.in_pos_ += n;
    return static_cast<ssize_t>(n);
}

ssize_t WebSocketCore::send_callback(wslay_event_context_ptr ctx, const std::uint8_t* data,
                                     std::size_t len, int, void* user) {
    auto& self = *static_cast<WebSocketCore*>(user);
    if (self.lost_ || !self.transport_) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    // The transport takes it all (queuing what the kernel does not); drain() is the back-pressure.
    self.transport_->write(std::string_view(reinterpret_cast<const char*>(data), len));
    return static_cast<ssize_t>(len);
}

int WebSocketCore::genmask_callback(wslay_event_context_ptr, std::uint8_t* buf, std::size_t len,
                                    void*) {
    return RAND_bytes(buf, static_cast<int>(len)) == 1 ? 0 : -1;
}

void WebSocketCore::on_message(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                               void* user) {
    auto& self = *static_cast<WebSocketCore*>(user);
    const auto* text = reinterpret_cast<const char*>(arg->msg);
    switch (arg->opcode) {
        case WSLAY_TEXT_FRAME:
            if (!valid_utf8(arg->msg, arg->msg_length)) {
                self.fail(WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA);
                return;
            }
            self.inbox_.push_back(WSMessage{WSMsgType::text, std::string(text, arg->msg_length)});
            break;
        case WSLAY_BINARY_FRAME:
            self.inbox_.push_back(WSMessage{WSMsgType::binary, std::string(text, arg->msg_length)});
            break;
        case WSLAY_CONNECTION_CLOSE:  // (wslay queues the answering close frame)
            if (!self.close_code_) self.close_code_ = arg->status_code ? arg->status_code : 1005;
            break;
        default:  // ping (wslay answers it) and pong
            break;
    }
}

// A protocol error of the peer's: the close frame with its code, and no more reading.
void WebSocketCore::fail(int code) {
    if (!close_code_) close_code_ = code;
    wslay_event_queue_close(ctx_, static_cast<std::uint16_t>(code), nullptr, 0);
    wslay_event_shutdown_read(ctx_);
}

void WebSocketCore::feed(std::string_view data) {
    if (done_ || lost_) return;
    in_.append(data);
    pump();
}

void WebSocketCore::pump() {
    if (wslay_event_get_read_enabled(ctx_) && wslay_event_recv(ctx_) < 0) {
        // wslay gave up on the input (a frame it cannot take, such as a length with its top bit
        // set): its context takes no more calls, so the close frame (1002) is written here.
        abandon(WSLAY_CODE_PROTOCOL_ERROR);
        return;
    }
    if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
    }
    if (!lost_ && wslay_event_want_write(ctx_)) wslay_event_send(ctx_);
    if (!close_code_ && wslay_event_get_close_sent(ctx_))  // wslay refused a frame (1002, 1009)
        close_code_ = wslay_event_get_status_code_sent(ctx_);
    check_done();
    receiver_.wake();
}

void WebSocketCore::abandon(int code) {
    if (!close_code_) close_code_ = code;
    if (transport_ && !wslay_event_get_close_sent(ctx_)) {
        // FIN + close; a client's frames are masked (with a zero mask: it carries no data).
        const bool masked = client_;
        std::string frame{static_cast<char>(0x88), static_cast<char>(masked ? 0x82 : 0x02)};
        if (masked) frame.append(4, '\0');
        frame += static_cast<char>(code >> 8);
        frame += static_cast<char>(code & 0xFF);
        transport_->write(std::string_view(frame));
    }
    done_ = true;
    receiver_.wake();
    closer_.wake();
    if (on_done) on_done();
}

// The close handshake is over when both close frames have passed, or when this side has sent
// one because the peer broke the protocol; the connection then closes.
void WebSocketCore::check_done() {
    if (done_ || lost_ || !wslay_event_get_close_sent(ctx_)) return;
    if (!wslay_event_get_close_received(ctx_) && wslay_event_get_read_enabled(ctx_)) return;
    done_ = true;
    receiver_.wake();
    closer_.wake();
    if (on_done) on_done();
}

void WebSocketCore::lost(std::exception_ptr error) noexcept {
    if (lost_) return;
    lost_ = true;
    transport_ = nullptr;
    if (!close_code_) close_code_ = 1006;  // closed without a close frame
    error_ = error ? error : connection_lost_error();
    receiver_.wake();
    drainer_.wake();
    closer_.wake();
}

void WebSocketCore::writable() noexcept {
    writing_paused_ = false;
    drainer_.wake();
}

Task<std::optional<WSMessage>> WebSocketCore::receive() {
    while (true) {
        if (!inbox_.empty()) {
            WSMessage message = std::move(inbox_.front());
            inbox_.pop_front();
            co_return message;
        }
        if (done_ || lost_ || close_code_) co_return std::nullopt;
        co_await receiver_.wait(aio::detail::OneWaiter::Call::read);
    }
}

Task<> WebSocketCore::drain() {
    while (writing_paused_ && !lost_)
        co_await drainer_.wait(aio::detail::OneWaiter::Call::read);
    if (lost_) std::rethrow_exception(error_);
}

Task<> WebSocketCore::send(std::uint8_t opcode, std::string data) {
    if (lost_) std::rethrow_exception(error_);
    if (done_ || wslay_event_get_close_sent(ctx_))
        throw std::system_error(ECONNRESET, std::generic_category(), "WebSocket is closing");
    wslay_event_msg msg{opcode, reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
    if (wslay_event_queue_msg(ctx_, &msg) != 0)
        throw RuntimeError("WebSocket: the frame was refused");
    wslay_event_send(ctx_);
    co_await drain();
}

Task<> WebSocketCore::close(int code, std::string reason) {
    if (done_ || lost_) co_return;
    if (!wslay_event_get_close_sent(ctx_)) {
        wslay_event_queue_close(ctx_, static_cast<std::uint16_t>(code),
                                reinterpret_cast<const std::uint8_t*>(reason.data()),
                                reason.size());
        wslay_event_send(ctx_);
    }
    check_done();
    bool timed_out = false;
    try {
        auto wait_done = [](WebSocketCore& self) -> Task<> {
            while (!self.done_ && !self.lost_)
                co_await self.closer_.wait(aio::detail::OneWaiter::Call::read);
        };
        co_await wait_for(wait_done(*this), options_.close_timeout);
    } catch (const TimeoutError&) {
        timed_out = true;
    }
    if (timed_out && !lost_) {  // the peer never answered: close anyway
        done_ = true;
        if (!close_code_) close_code_ = 1006;
        if (on_done) on_done();
    }
}

}  // namespace detail

WebSocket::~WebSocket() = default;

Task<std::optional<WSMessage>> WebSocket::receive() {
    return core_->receive();
}
Task<> WebSocket::send_str(std::string text) {
    return core_->send(WSLAY_TEXT_FRAME, std::move(text));
}
Task<> WebSocket::send_bytes(std::string data) {
    return core_->send(WSLAY_BINARY_FRAME, std::move(data));
}
Task<> WebSocket::ping(std::string payload) {
    return core_->send(WSLAY_PING, std::move(payload));
}
Task<> WebSocket::close(int code, std::string reason) {
    return core_->close(code, std::move(reason));
}
bool WebSocket::closed() const noexcept {
    return core_->closed();
}
std::optional<int> WebSocket::close_code() const noexcept {
    return core_->close_code();
}
const std::string& WebSocket::protocol() const noexcept {
    return core_->protocol();
}

}  // namespace aio::http
