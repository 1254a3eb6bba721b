#include "datagram_transport.hpp"

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "aio/errors.hpp"
#include "aio/loop.hpp"
#include "backend/sys.hpp"
#include "transport_errors.hpp"

namespace aio::detail {
namespace {

// asyncio's max_size: room for any UDP datagram and for most Unix ones (the rest are cut, as a
// recvfrom of that size cuts them). Shared by the thread's endpoints, as the bytes go to the
// protocol at once.
constexpr std::size_t kMaxDatagram = 256 * 1024;
char* datagram_scratch() {
    static thread_local std::unique_ptr<char[]> buffer(new char[kMaxDatagram]);
    return buffer.get();
}

// Datagrams read in one step before the others' callbacks get their turn.
constexpr int kReadBurst = 16;

// asyncio counts a queued datagram's header too.
constexpr std::size_t kHeaderBytes = 8;

}  // namespace

void DatagramSocketTransport::Step::dispatch(Runnable* r, bool discard) noexcept {
    auto* step = static_cast<Step*>(r);
    step->queued = false;
    DatagramSocketTransport& t = *step->owner;
    const unsigned char due = std::exchange(step->due, 0);
    if (!discard) {
        for (const Due which : {kRead, kWrite, kLost}) {
            if (!(due & which) || t.lost_done_) continue;
            try {
                if (which == kRead)
                    t.read_ready();
                else if (which == kWrite)
                    t.send_ready();
                else
                    t.lost();
            } catch (...) {
                t.fatal_error(std::current_exception(), "Fatal error on datagram transport");
            }
        }
    }
    t.release_if_done();
}

DatagramSocketTransport::DatagramSocketTransport(Socket sock, std::optional<SocketAddress> remote,
                                                 EventLoop& loop)
    : loop_(&loop), sock_(std::move(sock)), remote_(std::move(remote)) {
    loop.add_resource(this);
}

DatagramSocketTransport::~DatagramSocketTransport() {
    if (loop_) loop_->remove_resource(this);
}

std::shared_ptr<DatagramSocketTransport> DatagramSocketTransport::create(
    Socket sock, std::shared_ptr<BaseProtocol> protocol, std::optional<SocketAddress> remote) {
    auto t = std::make_shared<DatagramSocketTransport>(std::move(sock), std::move(remote),
                                                       get_running_loop());
    t->set_protocol(std::move(protocol));
    t->self_ = t;
    try {
        t->datagram_->connection_made(*t);
    } catch (...) {
        t->fatal_error(std::current_exception(), "Fatal error: protocol.connection_made() failed");
        return t;
    }
    if (t->closing_) return t;
    try {
        t->watch(t->read_waiter_, t->read_watched_);
    } catch (...) {
        t->fatal_error(std::current_exception(), "Fatal error: cannot read the transport");
    }
    return t;
}

void DatagramSocketTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
    auto* datagram = dynamic_cast<DatagramProtocol*>(protocol.get());
    if (!datagram) throw RuntimeError("a datagram transport needs a DatagramProtocol");
    datagram_ = datagram;
    protocol_ = std::move(protocol);
}

std::any DatagramSocketTransport::get_extra_info(std::string_view name) const {
    if (!sock_) return {};
    if (name == "socket") return sock_.fileno();
    if (name == "peername") return remote_ ? std::any(*remote_) : std::any();
    try {
        if (name == "sockname") return sock_.getsockname();
    } catch (const std::system_error&) {
    }
    return {};
}

void DatagramSocketTransport::schedule(Due step) noexcept {
    step_.due |= step;
    if (step_.queued) return;
    step_.queued = true;
    loop_->schedule(&step_);
}

void DatagramSocketTransport::watch(Waiter& w, bool& watched) {
    if (watched) return;
    loop_->backend().watch(w);
    watched = true;
}

bool DatagramSocketTransport::on_readable(ReadinessWaiter* w, bool) noexcept {
    auto* t = static_cast<Waiter*>(w)->owner;
    t->read_watched_ = false;
    t->schedule(kRead);
    return true;
}

bool DatagramSocketTransport::on_writable(ReadinessWaiter* w, bool) noexcept {
    auto* t = static_cast<Waiter*>(w)->owner;
    t->write_watched_ = false;
    t->schedule(kWrite);
    return true;
}

// ---- reading ----

void DatagramSocketTransport::read_ready() {
    for (int i = 0; i < kReadBurst; ++i) {
        if (closing_) return;
        char* buf = datagram_scratch();
        SocketAddress from;
        const long n =
            sys::receive_from(sock_.fileno(), buf, kMaxDatagram, from.data(), from.size_ptr());
        if (n == -EAGAIN) return watch(read_waiter_, read_watched_);
        if (n < 0) {
            report_error(n, "recvfrom");
            continue;
        }
        try {
            datagram_->datagram_received(std::string_view(buf, static_cast<std::size_t>(n)), from);
        } catch (...) {
            return fatal_error(std::current_exception(),
                               "Fatal error: protocol.datagram_received() call failed.");
        }
    }
    if (!closing_) schedule(kRead);  // more may wait: after the other callbacks
}

// The kernel refused a datagram (or had an error queued for the socket): the protocol hears of
// it and the transport goes on.
void DatagramSocketTransport::report_error(long err, const char* what) {
    try {
        datagram_->error_received(errno_error(err, what));
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error: protocol.error_received() failed.");
    }
}

// ---- writing ----

void DatagramSocketTransport::send_datagram(std::string_view data, const SocketAddress* to) {
    if (remote_ && to && to->to_string() != remote_->to_string())
        throw std::invalid_argument("Invalid address: must be none or " + remote_->to_string());
    if (!remote_ && !to)
        throw std::invalid_argument("sendto() needs an address: the transport is not connected");
    if (lost_) return;  // (after close(), while the queue drains, still queued: asyncio)
    if (remote_) to = nullptr;
    if (queue_.empty()) {
        const long n = send_now(data, to);
        if (n >= 0) return;
        if (n != -EAGAIN) return report_error(n, "sendto");
        watch(write_waiter_, write_watched_);
    }
    queue_.push_back({std::string(data), to ? std::optional<SocketAddress>(*to) : std::nullopt});
    queued_bytes_ += data.size() + kHeaderBytes;
    maybe_pause_protocol();
}

long DatagramSocketTransport::send_now(std::string_view data, const SocketAddress* to) noexcept {
    return sys::send_to(sock_.fileno(), data.data(), data.size(), to ? to->data() : nullptr,
                        to ? to->size() : 0);
}

void DatagramSocketTransport::send_ready() {
    while (!queue_.empty()) {
        Queued& front = queue_.front();
        const long n = send_now(front.data, front.to ? &*front.to : nullptr);
        if (n == -EAGAIN) {
            watch(write_waiter_, write_watched_);
            break;
        }
        queued_bytes_ -= front.data.size() + kHeaderBytes;
        queue_.pop_front();
        if (n < 0) {
            report_error(n, "sendto");
            if (lost_) return;
        }
    }
    maybe_resume_protocol();
    if (queue_.empty() && closing_) force_close(nullptr);
}

void DatagramSocketTransport::maybe_pause_protocol() {
    if (protocol_paused_ || queued_bytes_ <= high_water_) return;
    protocol_paused_ = true;
    tell_protocol_writing(*protocol_, *loop_, true);
}

void DatagramSocketTransport::maybe_resume_protocol() {
    if (!protocol_paused_ || queued_bytes_ > low_water_) return;
    protocol_paused_ = false;
    tell_protocol_writing(*protocol_, *loop_, false);
}

void DatagramSocketTransport::write_limits_changed() {
    if (lost_) return;
    maybe_pause_protocol();
    maybe_resume_protocol();
}

// ---- closing ----

void DatagramSocketTransport::close() {
    if (closing_) return;
    closing_ = true;
    if (read_watched_) {
        loop_->backend().unwatch(read_waiter_);
        read_watched_ = false;
    }
    if (queue_.empty()) force_close(nullptr);
}

void DatagramSocketTransport::abort() {
    force_close(nullptr);
}

void DatagramSocketTransport::fatal_error(std::exception_ptr exc, const char* message) {
    if (!lost_ && worth_reporting(exc)) loop_->call_exception_handler({message, exc, {}});
    force_close(std::move(exc));
}

void DatagramSocketTransport::force_close(std::exception_ptr exc) {
    if (lost_) return;
    closing_ = lost_ = true;
    lost_exc_ = std::move(exc);
    Backend& backend = loop_->backend();
    if (read_watched_) backend.unwatch(read_waiter_);
    if (write_watched_) backend.unwatch(write_waiter_);
    read_watched_ = write_watched_ = false;
    queue_.clear();
    queued_bytes_ = 0;
    schedule(kLost);
}

void DatagramSocketTransport::lost() {
    std::shared_ptr<BaseProtocol> protocol = std::move(protocol_);
    datagram_ = nullptr;
    try {
        protocol->connection_lost(std::exchange(lost_exc_, nullptr));
    } catch (...) {
        loop_->call_exception_handler(
            {"Exception in protocol.connection_lost()", std::current_exception(), {}});
    }
    sock_.close();
    lost_done_ = true;
}

void DatagramSocketTransport::release_if_done() noexcept {
    if (!lost_done_ || step_.queued || !self_) return;
    loop_->remove_resource(this);
    loop_ = nullptr;
    auto last = std::move(self_);  // may destroy *this
}

void DatagramSocketTransport::loop_closing() noexcept {
    closing_ = lost_ = lost_done_ = true;
    if (read_watched_) loop_->backend().unwatch(read_waiter_);
    if (write_watched_) loop_->backend().unwatch(write_waiter_);
    read_watched_ = write_watched_ = false;
    if (sock_) loop_->forget_fd(sock_.fileno());
    sock_.close();
}

void DatagramSocketTransport::loop_closed() noexcept {
    protocol_.reset();
    loop_->remove_resource(this);
    loop_ = nullptr;
    auto last = std::move(self_);
}

}  // namespace aio::detail
