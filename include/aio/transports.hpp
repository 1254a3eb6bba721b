// Transports (asyncio.transports): a connection's byte pipe, owning its socket or pipe, how bytes
// are read (multishot receive into the loop's provided buffers on io_uring, a read on readiness on
// epoll: an idle connection holds no read buffer either way), the write queue and its flow
// control. A transport drives one protocol (aio/protocols.hpp); nothing above it makes a system
// call. Transports are made by the calls in aio/connections.hpp and by streams.
#pragma once
#include <any>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace aio {

class BaseProtocol;
class SocketAddress;

inline constexpr std::size_t kDefaultHighWater = 64 * 1024;  // asyncio's write buffer limits

// asyncio.BaseTransport, with the write-buffer limits every transport that writes has.
class BaseTransport {
  public:
    virtual ~BaseTransport() = default;

    // Closes once the write buffer is flushed; the protocol's connection_lost(nullptr) follows
    // on a later loop iteration. Reading stops at once. Idempotent.
    virtual void close() = 0;
    virtual bool is_closing() const noexcept = 0;
    virtual void set_protocol(std::shared_ptr<BaseProtocol> protocol) = 0;
    virtual BaseProtocol* get_protocol() const noexcept = 0;
    // "peername", "sockname" (aio::SocketAddress), "socket" / "pipe" (the fd, int); an empty
    // std::any for other names, as asyncio returns None. get_extra_info<T>(name) casts.
    virtual std::any get_extra_info(std::string_view name) const = 0;
    template <class T>
    std::optional<T> get_extra_info(std::string_view name) const {
        std::any v = get_extra_info(name);
        if (const T* p = std::any_cast<T>(&v)) return *p;
        return std::nullopt;
    }

    // Closes at once: the write buffer is dropped, connection_lost(nullptr) follows.
    virtual void abort() = 0;
    virtual std::size_t get_write_buffer_size() const noexcept = 0;
    // asyncio's rules: high defaults to 64 KiB (4 x low when only low is given), low to high / 4;
    // std::invalid_argument unless high >= low. The protocol's pause_writing() is called when the
    // buffer goes over high, resume_writing() when it comes back to low.
    void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                 std::optional<std::size_t> low = std::nullopt);
    // (low, high), as asyncio returns them.
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const noexcept {
        return {low_water_, high_water_};
    }

  protected:
    // After set_write_buffer_limits: the transport pauses or resumes its protocol as needed.
    virtual void write_limits_changed() {}
    std::size_t high_water_ = kDefaultHighWater;
    std::size_t low_water_ = kDefaultHighWater / 4;
};

// asyncio.Transport (ReadTransport and WriteTransport in one interface; a pipe's transport
// refuses the direction it does not have with RuntimeError).
class Transport : public BaseTransport {
  public:
    // ---- ReadTransport ----
    virtual bool is_reading() const noexcept = 0;
    // No data_received until resume_reading(); the kernel's buffer then fills and the peer's
    // sending stops (back-pressure). Both are no-ops when already so, or when closing.
    virtual void pause_reading() = 0;
    virtual void resume_reading() = 0;

    // ---- WriteTransport ----
    // Never blocks: sends what the kernel takes and queues the rest. After close(), while the
    // buffer is still being flushed, the bytes join it (as in asyncio); once the connection is
    // lost they are ignored (asyncio logs it). RuntimeError after write_eof().
    virtual void write(std::string_view data) = 0;
    // The same; a transport that must keep the bytes may take the string instead of copying.
    virtual void write(std::string&& data) { write(std::string_view(data)); }
    void write(const char* data) { write(std::string_view(data)); }
    template <class Range>
    void writelines(const Range& pieces) {
        for (const auto& piece : pieces)
            write(piece);
    }
    // Shuts the sending side down once the buffer is flushed (the peer sees EOF).
    virtual void write_eof() = 0;
    virtual bool can_write_eof() const noexcept = 0;
};

// asyncio.DatagramTransport: whole datagrams, each sent at once or queued whole (the queue
// counts toward the write-buffer limits, 8 bytes of header each, as asyncio counts them).
// get_extra_info: "socket", "sockname", and "peername" when connected to a remote address.
class DatagramTransport : public BaseTransport {
  public:
    // To the connected remote address (std::invalid_argument if there is none, as the kernel's
    // EDESTADDRREQ would say).
    void sendto(std::string_view data) { send_datagram(data, nullptr); }
    // To `to`; std::invalid_argument on a connected transport unless `to` is its remote address.
    // A send the kernel refuses (unreachable, too long) goes to the protocol's error_received;
    // ignored once the transport is lost (after close(), while the queue drains, queued).
    void sendto(std::string_view data, const SocketAddress& to) { send_datagram(data, &to); }

  protected:
    virtual void send_datagram(std::string_view data, const SocketAddress* to) = 0;
};

}  // namespace aio
