// The transport of a connected socket or of one end of a pipe (asyncio's
// _SelectorSocketTransport and _UnixRead/WritePipeTransport in one): it owns the fd, reads with
// whatever the backend offers best (multishot receive into provided buffers on io_uring, a read
// on readiness otherwise), queues writes and runs asyncio's flow control. Protocol callbacks run
// from the loop's ready queue, never from inside the backend.
#pragma once
#include <array>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aio/detail/fd_waiter.hpp"
#include "aio/detail/loop_resource.hpp"
#include "aio/protocols.hpp"
#include "aio/sockets.hpp"
#include "aio/transports.hpp"
#include "backend/backend.hpp"

namespace aio {
class Event;
}

namespace aio::detail {

class StreamTransport;

// What a byte stream's protocol is: a Protocol, or else a BufferedProtocol (one of the two is
// set); std::invalid_argument for none, RuntimeError for another kind (a DatagramProtocol).
struct StreamProtocol {
    Protocol* plain = nullptr;
    BufferedProtocol* buffered = nullptr;
};
StreamProtocol stream_protocol(BaseProtocol* protocol);

// A Protocol that can also take bytes in its own memory (the streams' StreamCore): on readiness
// the transport reads into the room it offers, and only what does not fit goes through
// data_received, so the bytes are not copied from the transport's buffer into the protocol's.
// (Not a BufferedProtocol: the room is often none, and bytes already in memory, a provided
// buffer's, are better appended than copied into lent memory.)
class InPlaceProtocol : public Protocol {
  public:
    // Memory to read into now, possibly none.
    virtual std::span<char> room() noexcept = 0;
    // The first n bytes of room() now hold data (n = 0: the read brought none).
    virtual void room_filled(std::size_t n) = 0;
};

// Keeps the transports it was given until their connection_lost has run, and is told then (a
// server and its connections). The list's links live in the transports: a connection costs the
// watcher no node of its own.
class ConnectionWatcher {
  public:
    virtual void connection_closed(Transport& transport) noexcept = 0;
    bool has_connections() const noexcept { return first_ != nullptr; }
    // The transports still open (a copy: closing them changes the list).
    std::vector<Transport*> connections() const;

  protected:
    ~ConnectionWatcher() = default;

  private:
    friend class StreamTransport;
    StreamTransport* first_ = nullptr;
};

// A transport's readiness waits, one per direction (distinct types, so that each can be a base).
struct TransportReadWait : ReadinessWaiter {
    using ReadinessWaiter::ReadinessWaiter;
};
struct TransportWriteWait : ReadinessWaiter {
    using ReadinessWaiter::ReadinessWaiter;
};

// The nodes through which the loop and the backend reach the transport are its bases: its one
// node on the ready queue (Runnable), its connection for a completion backend (StreamChannel)
// and its readiness waits. A static_cast finds the transport from them, so a connection carries
// no pointers back to itself.
class StreamTransport final : public Transport,
                              LoopResource,
                              Runnable,
                              StreamChannel,
                              TransportReadWait,
                              TransportWriteWait {
  public:
    enum class Kind : unsigned char { socket, read_pipe, write_pipe };

    // Adopts fd (non-blocking), calls protocol->connection_made and starts reading. The loop
    // keeps the transport alive until connection_lost has been delivered.
    // RuntimeError unless protocol is a Protocol or a BufferedProtocol.
    static std::shared_ptr<StreamTransport> create(
        Socket fd, Kind kind, std::shared_ptr<BaseProtocol> protocol,
        std::shared_ptr<ConnectionWatcher> watcher = nullptr);

    void close() override;
    bool is_closing() const noexcept override { return closing_; }
    void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
    BaseProtocol* get_protocol() const noexcept override { return protocol_.get(); }
    std::any get_extra_info(std::string_view name) const override;
    bool is_reading() const noexcept override { return reading_ && !closing_; }
    void pause_reading() override;
    void resume_reading() override;
    void write(std::string_view data) override;
    void write(std::string&& data) override;
    void write_eof() override;
    bool can_write_eof() const noexcept override { return kind_ == Kind::socket; }
    void abort() override;
    std::size_t get_write_buffer_size() const noexcept override {
        return lost_ ? 0 : out_.size() - out_pos_ + more_.size();
    }

    // loop.sendfile: `flushed` is set once the write buffer is empty (or the connection is lost);
    // until end_sendfile, write() is refused and close() waits.
    void begin_sendfile(Event& flushed) noexcept;
    void end_sendfile() noexcept;
    bool is_lost() const noexcept { return lost_; }
    int fileno() const noexcept { return sock_.fileno(); }
    Kind kind() const noexcept { return kind_; }
    // The loop's hold on the transport (null once it has let go, after connection_lost).
    std::shared_ptr<StreamTransport> hold() const noexcept { return self_; }

    StreamTransport(Socket fd, Kind kind, EventLoop& loop);  // (for allocate_shared)
    ~StreamTransport() override;

  private:
    friend class ConnectionWatcher;
    // What the transport's step on the ready queue runs (step_due_).
    enum Due : unsigned char { kRead = 1, kWrite = 2, kLost = 4 };
    static void dispatch(Runnable* r, bool discard) noexcept;
    static const StreamChannel::Ops kChannelOps;
    ReadinessWaiter& read_waiter() noexcept { return static_cast<TransportReadWait&>(*this); }
    ReadinessWaiter& write_waiter() noexcept { return static_cast<TransportWriteWait&>(*this); }
    StreamChannel& channel() noexcept { return *this; }
    // Bytes the backend received into a provided buffer, held until the protocol takes them.
    struct Held {
        const char* data;
        unsigned len;
        unsigned buffer;
    };

    void schedule(Due step) noexcept;
    void run_due(unsigned char due, Due which, void (*step)(StreamTransport&)) noexcept;
    void start_reading(bool try_first) noexcept;
    void stop_reading() noexcept;
    static void read_step(StreamTransport& t);
    void read_ready();                              // readiness: read what is there
    void wait_readable();                           // readiness: for the next edge
    void read_starved();                            // provided buffers ran out: a plain read
    void deliver_received();                        // provided buffers: hand over what was held
    bool deliver(const char* data, std::size_t n);  // false if the protocol failed (and lost)
    void on_eof();
    static void write_step(StreamTransport& t);
    void send_ready();
    bool send_queued_bytes();  // readiness: false if the transport was lost meanwhile
    void write_bytes(std::string_view data, std::string* owned);
    void drained();
    void maybe_pause_protocol();
    void maybe_resume_protocol();
    void write_limits_changed() override;
    void fatal_error(std::exception_ptr exc, const char* message);
    void fatal_errno(long err, const char* message);
    void force_close(std::exception_ptr exc);
    static void lost_step(StreamTransport& t);
    void watch_by(std::shared_ptr<ConnectionWatcher> watcher) noexcept;
    std::shared_ptr<ConnectionWatcher> unwatch_by() noexcept;
    void release_if_done() noexcept;
    void release_held() noexcept;
    void loop_closing() noexcept override;
    void loop_closed() noexcept override;

    static bool on_readable(ReadinessWaiter* w, bool fd_closing) noexcept;
    static bool on_writable(ReadinessWaiter* w, bool fd_closing) noexcept;
    static void on_received(StreamChannel* ch, long result, const char* data, unsigned buffer,
                            bool more) noexcept;
    static void on_sent(StreamChannel* ch, long result) noexcept;
    static std::pair<const char*, std::size_t> outgoing(StreamChannel* ch) noexcept;

    EventLoop* loop_;
    Socket sock_;
    int read_error_ = 0;  // -errno reported by the backend's receive
    std::shared_ptr<BaseProtocol> protocol_;
    Protocol* plain_ = nullptr;
    BufferedProtocol* buffered_ = nullptr;
    bool in_place_ = false;                  // plain_ is an InPlaceProtocol
    std::shared_ptr<StreamTransport> self_;  // the loop's hold, until connection_lost is done
    std::shared_ptr<ConnectionWatcher> watcher_;
    StreamTransport* prev_watched_ = nullptr;  // watcher_'s list
    StreamTransport* next_watched_ = nullptr;

    bool reading_ = true;           // not paused (pause_reading)
    bool closing_ = false;          // close(), abort() or lost
    bool lost_ = false;             // connection_lost is scheduled or done
    bool lost_done_ = false;        // connection_lost has run, the fd is closed
    bool eof_written_ = false;      // write_eof() called
    bool eof_seen_ = false;         // the peer's EOF arrived (not yet delivered, on io_uring)
    bool protocol_paused_ = false;  // pause_writing() called, resume_writing() not yet
    bool own_reads_ = false;        // the backend receives (StreamChannel) for this fd
    bool receiving_ = false;        // its receive is armed (until its last report)
    bool starved_ = false;          // it ended for want of provided buffers (ENOBUFS)
    bool read_watched_ = false;     // readiness: the read wait is armed
    bool write_watched_ = false;    // readiness: waiting for writable
    bool send_started_ = false;     // the backend has a send of out_ (queued or in flight)
    bool send_in_flight_ = false;   // and the kernel has out_'s bytes
    bool sendfile_active_ = false;  // between begin_sendfile and end_sendfile
    unsigned char step_due_ = 0;    // the steps the queued step will run
    bool step_queued_ = false;      // on the loop's ready queue
    Kind kind_;
    unsigned char held_count_ = 0;  // in held_
    std::exception_ptr lost_exc_;
    Event* sendfile_flushed_ = nullptr;

    std::array<Held, 2> held_{};
    // What a connection holds only in a burst or while paused: allocated then and let go once
    // delivered, so that an idle connection carries a pointer, not the containers.
    struct Overflow {
        std::vector<Held> held;  // a burst beyond held_, held until the step (not copied)
        std::string backlog;     // received while paused, copied out of the ring
    };
    std::unique_ptr<Overflow> overflow_;
    Overflow& overflow();
    bool has_backlog() const noexcept { return overflow_ && !overflow_->backlog.empty(); }
    bool holds_more() const noexcept { return overflow_ && !overflow_->held.empty(); }

    // Writing: out_[out_pos_..] is being sent; more_ was written while the kernel had out_.
    std::string out_;
    std::size_t out_pos_ = 0;
    std::string more_;
};

}  // namespace aio::detail
