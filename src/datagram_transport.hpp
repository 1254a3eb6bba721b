// The transport of a UDP or Unix datagram socket (asyncio's _SelectorDatagramTransport): reads
// on readiness on every backend, one datagram per recvfrom into a buffer the thread shares (an
// idle endpoint holds none), sends each datagram at once and queues whole datagrams only while
// the kernel has no room. Protocol callbacks run from the loop's ready queue, never from inside
// the backend.
#pragma once
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "aio/detail/loop_resource.hpp"
#include "aio/protocols.hpp"
#include "aio/sockets.hpp"
#include "aio/transports.hpp"
#include "backend/backend.hpp"

namespace aio::detail {

class DatagramSocketTransport final : public DatagramTransport, LoopResource {
  public:
    // Adopts sock (non-blocking, SOCK_DGRAM), calls protocol->connection_made and starts
    // reading. remote: the address sock is connected to, if it is. The loop keeps the transport
    // alive until connection_lost has been delivered. RuntimeError unless protocol is a
    // DatagramProtocol.
    static std::shared_ptr<DatagramSocketTransport> create(Socket sock,
                                                           std::shared_ptr<BaseProtocol> protocol,
                                                           std::optional<SocketAddress> remote);

    void close() override;
    void abort() override;
    bool is_closing() const noexcept override { return closing_; }
    void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
    BaseProtocol* get_protocol() const noexcept override { return protocol_.get(); }
    std::any get_extra_info(std::string_view name) const override;
    std::size_t get_write_buffer_size() const noexcept override { return queued_bytes_; }

    DatagramSocketTransport(Socket sock, std::optional<SocketAddress> remote,
                            EventLoop& loop);  // (for make_shared)
    ~DatagramSocketTransport() override;

  private:
    enum Due : unsigned char { kRead = 1, kWrite = 2, kLost = 4 };
    struct Step : Runnable {
        explicit Step(DatagramSocketTransport* t) noexcept : Runnable(&dispatch), owner(t) {}
        static void dispatch(Runnable* r, bool discard) noexcept;
        DatagramSocketTransport* owner;
        unsigned char due = 0;
        bool queued = false;
    };
    struct Waiter : ReadinessWaiter {
        Waiter(DatagramSocketTransport* t, Interest i, ReadyFn f) noexcept
            : ReadinessWaiter(t->sock_.fileno(), i, f), owner(t) {}
        DatagramSocketTransport* owner;
    };
    struct Queued {
        std::string data;
        std::optional<SocketAddress> to;  // none: the connected address
    };

    void send_datagram(std::string_view data, const SocketAddress* to) override;
    long send_now(std::string_view data, const SocketAddress* to) noexcept;
    void schedule(Due step) noexcept;
    void watch(Waiter& w, bool& watched);
    void read_ready();
    void send_ready();
    void report_error(long err, const char* what);
    void maybe_pause_protocol();
    void maybe_resume_protocol();
    void write_limits_changed() override;
    void fatal_error(std::exception_ptr exc, const char* message);
    void force_close(std::exception_ptr exc);
    void lost();
    void release_if_done() noexcept;
    void loop_closing() noexcept override;
    void loop_closed() noexcept override;
    static bool on_readable(ReadinessWaiter* w, bool fd_closing) noexcept;
    static bool on_writable(ReadinessWaiter* w, bool fd_closing) noexcept;

    EventLoop* loop_;
    Socket sock_;
    std::optional<SocketAddress> remote_;
    std::shared_ptr<BaseProtocol> protocol_;
    DatagramProtocol* datagram_ = nullptr;
    std::shared_ptr<DatagramSocketTransport> self_;  // the loop's hold, until connection_lost

    bool closing_ = false;          // close(), abort() or lost
    bool lost_ = false;             // connection_lost is scheduled or done
    bool lost_done_ = false;        // connection_lost has run, the socket is closed
    bool protocol_paused_ = false;  // pause_writing() called, resume_writing() not yet
    bool read_watched_ = false;
    bool write_watched_ = false;
    std::exception_ptr lost_exc_;

    std::deque<Queued> queue_;  // whole datagrams the kernel had no room for yet
    std::size_t queued_bytes_ = 0;

    Waiter read_waiter_{this, Interest::read, &on_readable};
    Waiter write_waiter_{this, Interest::write, &on_writable};
    Step step_{this};
};

}  // namespace aio::detail
