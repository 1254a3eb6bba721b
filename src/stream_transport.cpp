#include "stream_transport.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "aio/detail/allocator.hpp"
#include "aio/errors.hpp"
#include "aio/locks.hpp"
#include "aio/loop.hpp"
#include "backend/sys.hpp"
#include "string_pool.hpp"
#include "transport_errors.hpp"

namespace aio {

void BaseTransport::set_write_buffer_limits(std::optional<std::size_t> high,
                                            std::optional<std::size_t> low) {
    const std::size_t h = high ? *high : low ? 4 * *low : kDefaultHighWater;
    const std::size_t l = low ? *low : h / 4;
    if (h < l) throw std::invalid_argument("high must be >= low");
    high_water_ = h;
    low_water_ = l;
    write_limits_changed();
}

namespace detail {
namespace {

// How much one read on readiness asks for; the bytes go to the protocol at once, so one buffer
// per thread serves every connection (nothing is held per connection between reads).
constexpr std::size_t kReadSize = 64 * 1024;
char* scratch() {
    static thread_local std::unique_ptr<char[]> buffer(new char[kReadSize]);
    return buffer.get();
}

}  // namespace

const StreamChannel::Ops StreamTransport::kChannelOps{&on_received, &on_sent, &outgoing};

void StreamTransport::dispatch(Runnable* r, bool discard) noexcept {
    StreamTransport& t = *static_cast<StreamTransport*>(r);
    t.step_queued_ = false;
    const unsigned char due = std::exchange(t.step_due_, 0);
    if (!discard) {
        // (Reading before writing before losing: what the peer sent before it went away is
        // delivered first.)
        t.run_due(due, kRead, &read_step);
        t.run_due(due, kWrite, &write_step);
        t.run_due(due, kLost, &lost_step);
    }
    t.release_if_done();
}

void StreamTransport::run_due(unsigned char due, Due which,
                              void (*step)(StreamTransport&)) noexcept {
    if (!(due & which) || lost_done_) return;
    try {
        step(*this);
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error on transport");
    }
}

StreamTransport::StreamTransport(Socket fd, Kind kind, EventLoop& loop)
    : Runnable(&dispatch),
      StreamChannel(fd.fileno(), kind == Kind::socket, kChannelOps),
      TransportReadWait(fd.fileno(), Interest::read, &on_readable),
      TransportWriteWait(fd.fileno(), Interest::write, &on_writable),
      loop_(&loop),
      sock_(std::move(fd)),
      kind_(kind) {
    loop.add_resource(this);
}

StreamTransport::~StreamTransport() {
    if (loop_) loop_->remove_resource(this);
}

std::shared_ptr<StreamTransport> StreamTransport::create(
    Socket fd, Kind kind, std::shared_ptr<BaseProtocol> protocol,
    std::shared_ptr<ConnectionWatcher> watcher) {
    if (kind == Kind::write_pipe) sys::ignore_sigpipe();
    auto t = std::allocate_shared<StreamTransport>(PoolAllocator<StreamTransport>(), std::move(fd),
                                                   kind, get_running_loop());
    t->set_protocol(std::move(protocol));
    t->self_ = t;
    if (watcher) t->watch_by(std::move(watcher));
    t->reading_ = kind != Kind::write_pipe;
    try {
        t->protocol_->connection_made(*t);
    } catch (...) {
        t->fatal_error(std::current_exception(), "Fatal error: protocol.connection_made() failed");
        return t;
    }
    if (t->is_reading()) t->start_reading(false);
    return t;
}

StreamProtocol stream_protocol(BaseProtocol* protocol) {
    if (!protocol) throw std::invalid_argument("a transport needs a protocol");
    if (auto* plain = dynamic_cast<Protocol*>(protocol)) return {plain, nullptr};
    if (auto* buffered = dynamic_cast<BufferedProtocol*>(protocol)) return {nullptr, buffered};
    throw RuntimeError("a stream transport needs a Protocol or a BufferedProtocol");
}

void StreamTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
    const auto [plain, buffered] = stream_protocol(protocol.get());
    plain_ = plain;
    buffered_ = buffered;
    in_place_ = plain && dynamic_cast<InPlaceProtocol*>(plain);
    protocol_ = std::move(protocol);
}

std::any StreamTransport::get_extra_info(std::string_view name) const {
    if (name == "socket" && kind_ == Kind::socket && sock_) return sock_.fileno();
    if (name == "pipe" && kind_ != Kind::socket && sock_) return sock_.fileno();
    if (kind_ != Kind::socket) return {};
    // Asked of the socket while it is open (not kept per connection: most never ask).
    try {
        if (name == "peername" && sock_) return sock_.getpeername();
        if (name == "sockname" && sock_) return sock_.getsockname();
    } catch (const std::system_error&) {
    }
    return {};
}

void StreamTransport::schedule(Due step) noexcept {
    step_due_ |= step;
    if (step_queued_) return;
    step_queued_ = true;
    loop_->schedule(this);
}

// ---- reading ----

// Arms the read: the backend's own receive where it has one, else a readiness wait. try_first:
// data may already be waiting with no edge to come (after a pause on epoll): read first.
void StreamTransport::start_reading(bool try_first) noexcept {
    if (read_watched_ || receiving_ || (step_due_ & kRead)) return;
    if (held_count_ > 0 || overflow_ || eof_seen_ || read_error_ || (try_first && !own_reads_)) {
        schedule(kRead);
        return;
    }
    try {
        Backend& backend = loop_->backend();
        own_reads_ = backend.start_receiving(channel());
        receiving_ = own_reads_;
        if (own_reads_) return;
        backend.watch(read_waiter());
        read_watched_ = true;
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error: cannot read the transport");
    }
}

void StreamTransport::stop_reading() noexcept {
    if (read_watched_) {
        loop_->backend().unwatch(read_waiter());
        read_watched_ = false;
    }
    if (receiving_) loop_->backend().stop_receiving(channel());
    // (receiving_ stays true until the backend's last report; what still arrives is kept.)
}

void StreamTransport::pause_reading() {
    if (closing_ || !reading_) return;
    reading_ = false;
    stop_reading();
}

void StreamTransport::resume_reading() {
    if (closing_ || reading_ || kind_ == Kind::write_pipe) return;
    reading_ = true;
    start_reading(true);
}

// The read wait stays armed while the transport reads (edge after edge: no watch per read);
// pausing, closing or the fd going away ends it.
bool StreamTransport::on_readable(ReadinessWaiter* w, bool fd_closing) noexcept {
    auto* t = static_cast<StreamTransport*>(static_cast<TransportReadWait*>(w));
    if (fd_closing) {
        t->read_watched_ = false;
        return true;
    }
    t->schedule(kRead);
    return false;
}

void StreamTransport::wait_readable() {
    if (read_watched_) return;
    loop_->backend().watch(read_waiter());
    read_watched_ = true;
}

void StreamTransport::read_step(StreamTransport& t) {
    if (t.own_reads_)
        t.deliver_received();
    else
        t.read_ready();
}

void StreamTransport::read_ready() {
    if (!reading_ || closing_) return;
    // A BufferedProtocol lends the memory to read into; a Protocol gets a view of the thread's,
    // after the room an InPlaceProtocol offers (read together: one call, and what fits is not
    // copied). One read asks for kReadSize, or for the room if that is more: a bigger read would
    // only grow the protocol's buffer.
    std::span<char> into(scratch(), kReadSize);
    std::span<char> room;
    if (buffered_) {
        into = buffered_->get_buffer(kReadSize);
        if (into.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
    } else if (in_place_) {
        room = static_cast<InPlaceProtocol*>(plain_)->room();
        into = into.first(kReadSize - std::min(room.size(), kReadSize));
    }
    const int fd = sock_.fileno();
    const bool socket = kind_ == Kind::socket;
    const long n = room.empty()   ? sys::receive(fd, socket, into.data(), into.size())
                   : into.empty() ? sys::receive(fd, socket, room.data(), room.size())
                                  : sys::receive_two(fd, room, into);
    if (n <= 0 && !room.empty()) static_cast<InPlaceProtocol*>(plain_)->room_filled(0);
    if (n == -EAGAIN) return wait_readable();
    if (n < 0) return fatal_errno(n, "Fatal read error on transport");
    if (n == 0) return on_eof();
    const auto got = static_cast<std::size_t>(n);
    try {
        if (buffered_) {
            buffered_->buffer_updated(got);
        } else if (!room.empty()) {
            const std::size_t in_room = std::min(got, room.size());
            static_cast<InPlaceProtocol*>(plain_)->room_filled(in_room);
            if (got > in_room && !closing_)
                plain_->data_received(std::string_view(into.data(), got - in_room));
        } else {
            plain_->data_received(std::string_view(into.data(), got));
        }
    } catch (...) {
        return fatal_error(std::current_exception(),
                           "Fatal error: protocol.data_received() call failed.");
    }
    if (!reading_ || closing_) return;
    // A read that did not fill the buffer emptied the kernel's (epoll(7)): wait for the next
    // edge, unless the event said hang-up, whose EOF is still to be read. A full read may have
    // left more: read again on the next iteration, after the other callbacks.
    if (got < room.size() + into.size() && !read_waiter().hangup)
        wait_readable();
    else
        schedule(kRead);
}

// Bytes received outside the protocol's memory (a provided buffer, the backlog).
bool StreamTransport::deliver(const char* data, std::size_t n) {
    try {
        if (plain_) {
            plain_->data_received(std::string_view(data, n));
            return true;
        }
        for (std::size_t done = 0; done < n;) {
            std::span<char> lent = buffered_->get_buffer(n - done);
            if (lent.empty()) throw RuntimeError("get_buffer() returned an empty buffer");
            const std::size_t k = std::min(lent.size(), n - done);
            std::memcpy(lent.data(), data + done, k);
            buffered_->buffer_updated(k);
            done += k;
        }
        return true;
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
        return false;
    }
}

void StreamTransport::on_eof() {
    stop_reading();
    eof_seen_ = false;
    bool keep_open = false;
    try {
        keep_open = protocol_->eof_received();
    } catch (...) {
        return fatal_error(std::current_exception(),
                           "Fatal error: protocol.eof_received() call failed.");
    }
    // A pipe has nothing left to do once its reading side is over.
    if (!keep_open || kind_ == Kind::read_pipe) close();
}

void StreamTransport::on_received(StreamChannel* ch, long result, const char* data, unsigned buffer,
                                  bool more) noexcept {
    auto* t = static_cast<StreamTransport*>(ch);
    if (!more) t->receiving_ = false;
    Backend& backend = t->loop_->backend();
    if (result > 0) {
        if (t->lost_) {
            backend.release_buffer(buffer);
        } else if (t->reading_ && !t->has_backlog()) {
            const Held h{data, static_cast<unsigned>(result), buffer};
            try {
                if (t->held_count_ < t->held_.size() && !t->holds_more())
                    t->held_[t->held_count_++] = h;
                else
                    t->overflow().held.push_back(h);  // a burst: held until the step, not copied
            } catch (...) {
                t->read_error_ = -ENOMEM;
                backend.release_buffer(buffer);
            }
        } else {  // paused: copied aside, so that a paused connection holds no ring buffer
            try {
                t->overflow().backlog.append(data, static_cast<std::size_t>(result));
            } catch (...) {
                t->read_error_ = -ENOMEM;
            }
            backend.release_buffer(buffer);
        }
    } else if (result == 0) {
        t->eof_seen_ = true;
    } else if (result == -ENOBUFS) {
        t->starved_ = true;
    } else if (result != -ECANCELED) {
        t->read_error_ = static_cast<int>(result);
    }
    if (t->lost_) {
        t->release_if_done();
        return;
    }
    // (ENOBUFS: the ring ran dry; delivering frees buffers, and the step re-arms.)
    t->schedule(kRead);
}

StreamTransport::Overflow& StreamTransport::overflow() {
    if (!overflow_) overflow_ = std::make_unique<Overflow>();
    return *overflow_;
}

void StreamTransport::deliver_received() {
    Backend& backend = loop_->backend();
    // In order; once the protocol pauses reading (or closes), the rest is copied aside and
    // every buffer goes back to the ring.
    auto hand_over = [&](const Held& h) {
        if (reading_ && !closing_)
            deliver(h.data, h.len);
        else if (!closing_)
            overflow().backlog.append(h.data, h.len);
        backend.release_buffer(h.buffer);
    };
    for (unsigned i = 0; i < held_count_; ++i)
        hand_over(held_[i]);
    held_count_ = 0;
    if (overflow_) {
        for (const Held& h : overflow_->held)
            hand_over(h);
        if (!has_backlog())
            overflow_.reset();
        else
            overflow_->held.clear();
    }
    if (closing_) return;
    if (reading_ && has_backlog()) {
        std::string pending = std::move(overflow_->backlog);
        overflow_.reset();
        if (!deliver(pending.data(), pending.size())) return;
    }
    if (!reading_ || closing_) return;
    if (read_error_) return fatal_errno(std::exchange(read_error_, 0), "Fatal read error");
    if (eof_seen_) return on_eof();
    if (receiving_) return;
    if (std::exchange(starved_, false)) {
        read_starved();
        if (!reading_ || closing_ || receiving_) return;
    }
    start_reading(false);  // re-armed after ENOBUFS or a pause
}

// The ring ran dry (ENOBUFS: more connections had data at once than it has buffers) and this
// connection's bytes wait in the socket: a plain read takes them now rather than wait for the
// next round of buffers, so a burst across thousands of connections costs a read each, not an
// iteration each.
void StreamTransport::read_starved() {
    while (reading_ && !closing_) {
        char* buf = scratch();
        const long n = sys::receive(sock_.fileno(), true, buf, kReadSize);
        if (n == -EAGAIN) return;
        if (n < 0) return fatal_errno(n, "Fatal read error on transport");
        if (n == 0) return on_eof();
        if (!deliver(buf, static_cast<std::size_t>(n))) return;
        if (static_cast<std::size_t>(n) < kReadSize) return;  // drained
    }
}

// ---- writing ----

void StreamTransport::write(std::string_view data) {
    write_bytes(data, nullptr);
}

void StreamTransport::write(std::string&& data) {
    write_bytes(data, &data);
}

// owned: data's string, which may be taken instead of copied.
void StreamTransport::write_bytes(std::string_view data, std::string* owned) {
    if (eof_written_) throw RuntimeError("Cannot call write() after write_eof()");
    if (sendfile_active_) throw RuntimeError("unable to write; sendfile is in progress");
    if (kind_ == Kind::read_pipe) throw RuntimeError("a read pipe's transport cannot write");
    if (data.empty() || lost_) return;  // (after close(), while flushing, still queued: asyncio)
    if (send_in_flight_) {              // the kernel has out_: the next send takes these
        more_.append(data);
    } else if (send_started_ || write_watched_ || out_pos_ < out_.size()) {
        out_.append(data);
    } else if (Backend& backend = loop_->backend(); backend.start_sending(channel())) {
        // The backend sends from out_, with the iteration's other submissions.
        send_started_ = true;
        StringPool& pool = StringPool::here();
        if (owned) {
            pool.give(std::move(out_));
            out_.swap(*owned);
        } else {
            if (out_.capacity() < data.size()) out_ = pool.take();
            out_.append(data);
        }
    } else {
        // On readiness, straight from the caller's bytes; only what the kernel does not take
        // is copied, and waits for writability.
        std::size_t sent = 0;
        while (sent < data.size()) {
            const long n = sys::transmit(sock_.fileno(), kind_ == Kind::socket, data.data() + sent,
                                         data.size() - sent);
            if (n == -EAGAIN) break;
            if (n < 0) return fatal_errno(n, "Fatal write error on transport");
            sent += static_cast<std::size_t>(n);
        }
        if (sent == data.size()) {
            if (owned) StringPool::here().give(std::move(*owned));
            return;
        }
        out_.assign(data.substr(sent));
        out_pos_ = 0;
        backend.watch(write_waiter());
        write_watched_ = true;
    }
    maybe_pause_protocol();
}

bool StreamTransport::send_queued_bytes() {
    while (out_pos_ < out_.size()) {
        const long n = sys::transmit(sock_.fileno(), kind_ == Kind::socket, out_.data() + out_pos_,
                                     out_.size() - out_pos_);
        if (n == -EAGAIN) return true;
        if (n < 0) {
            fatal_errno(n, "Fatal write error on transport");
            return false;
        }
        out_pos_ += static_cast<std::size_t>(n);
    }
    return true;
}

std::pair<const char*, std::size_t> StreamTransport::outgoing(StreamChannel* ch) noexcept {
    auto* t = static_cast<StreamTransport*>(ch);
    t->send_in_flight_ = true;
    return {t->out_.data() + t->out_pos_, t->out_.size() - t->out_pos_};
}

void StreamTransport::on_sent(StreamChannel* ch, long result) noexcept {
    auto* t = static_cast<StreamTransport*>(ch);
    t->send_started_ = false;
    t->send_in_flight_ = false;
    if (t->lost_) {
        std::string().swap(t->out_);
        std::string().swap(t->more_);
        t->out_pos_ = 0;
        t->release_if_done();
        return;
    }
    if (result == -EAGAIN || result == -EINTR) result = 0;
    if (result < 0) return t->fatal_errno(result, "Fatal write error on transport");
    t->out_pos_ += static_cast<std::size_t>(result);
    if (t->out_pos_ == t->out_.size()) {
        t->out_.clear();
        t->out_pos_ = 0;
        t->out_.swap(t->more_);
    }
    if (!t->out_.empty()) {
        t->loop_->backend().start_sending(t->channel());  // the rest, or what came meanwhile
        t->send_started_ = true;
        t->maybe_resume_protocol();
        return;
    }
    t->drained();
}

bool StreamTransport::on_writable(ReadinessWaiter* w, bool) noexcept {
    auto* t = static_cast<StreamTransport*>(static_cast<TransportWriteWait*>(w));
    t->write_watched_ = false;
    t->schedule(kWrite);
    return true;
}

void StreamTransport::write_step(StreamTransport& t) {
    t.send_ready();
}

void StreamTransport::send_ready() {
    if (lost_) return;
    if (!send_queued_bytes()) return;
    if (out_pos_ < out_.size()) {
        loop_->backend().watch(write_waiter());
        write_watched_ = true;
        maybe_resume_protocol();
        return;
    }
    drained();
}

// Everything written has gone: the buffers are let go (an idle connection holds none), the
// protocol may write again, and a pending write_eof() or close() takes effect.
void StreamTransport::drained() {
    if (sendfile_flushed_) sendfile_flushed_->set();
    StringPool& pool = StringPool::here();
    pool.give(std::move(out_));
    pool.give(std::move(more_));
    out_pos_ = 0;
    maybe_resume_protocol();
    if (eof_written_ && kind_ == Kind::socket && sock_) {
        const int r = sys::shutdown_socket(sock_.fileno(), SHUT_WR);
        if (r < 0 && r != -ENOTCONN) return fatal_errno(r, "Fatal error on shutdown");
    }
    if (closing_ && !lost_ && !sendfile_active_) force_close(nullptr);
}

void StreamTransport::write_eof() {
    if (kind_ == Kind::read_pipe) throw RuntimeError("a read pipe's transport cannot write");
    if (closing_ || eof_written_) return;
    eof_written_ = true;
    if (kind_ == Kind::write_pipe) return close();  // a pipe has no half-close
    if (get_write_buffer_size() == 0 && !send_started_) drained();
}

void StreamTransport::maybe_pause_protocol() {
    if (protocol_paused_ || get_write_buffer_size() <= high_water_) return;
    protocol_paused_ = true;
    tell_protocol_writing(*protocol_, *loop_, true);
}

void StreamTransport::maybe_resume_protocol() {
    if (!protocol_paused_ || get_write_buffer_size() > low_water_) return;
    protocol_paused_ = false;
    tell_protocol_writing(*protocol_, *loop_, false);
}

void StreamTransport::write_limits_changed() {
    if (lost_) return;
    maybe_pause_protocol();
    maybe_resume_protocol();
}

// ---- closing ----

void StreamTransport::close() {
    if (closing_) return;
    closing_ = true;
    stop_reading();
    if (get_write_buffer_size() == 0 && !send_started_ && !sendfile_active_) force_close(nullptr);
}

void StreamTransport::begin_sendfile(Event& flushed) noexcept {
    sendfile_active_ = true;
    sendfile_flushed_ = &flushed;
    if (lost_ || (get_write_buffer_size() == 0 && !send_started_)) flushed.set();
}

void StreamTransport::end_sendfile() noexcept {
    sendfile_active_ = false;
    sendfile_flushed_ = nullptr;
    if (closing_ && !lost_) force_close(nullptr);  // a close() that waited for the file
}

void StreamTransport::abort() {
    force_close(nullptr);
}

void StreamTransport::fatal_errno(long err, const char* message) {
    fatal_error(errno_error(err, message), message);
}

void StreamTransport::fatal_error(std::exception_ptr exc, const char* message) {
    if (!lost_ && worth_reporting(exc)) loop_->call_exception_handler({message, exc, {}});
    force_close(std::move(exc));
}

// As asyncio's _force_close: the buffers are dropped and connection_lost is scheduled. (A send
// the kernel has keeps its bytes until it reports; closing the fd cancels it.)
void StreamTransport::force_close(std::exception_ptr exc) {
    if (lost_) return;
    closing_ = true;
    lost_ = true;
    lost_exc_ = std::move(exc);
    if (sendfile_flushed_) sendfile_flushed_->set();
    stop_reading();
    if (write_watched_) {
        loop_->backend().unwatch(write_waiter());
        write_watched_ = false;
    }
    if (!send_in_flight_) {
        std::string().swap(out_);
        out_pos_ = 0;
    }
    std::string().swap(more_);
    if (overflow_) std::string().swap(overflow_->backlog);
    schedule(kLost);
}

void StreamTransport::lost_step(StreamTransport& t) {
    std::shared_ptr<BaseProtocol> protocol = std::move(t.protocol_);
    t.plain_ = nullptr;
    t.buffered_ = nullptr;
    try {
        protocol->connection_lost(t.lost_exc_);
    } catch (...) {
        t.loop_->call_exception_handler(
            {"Exception in protocol.connection_lost()", std::current_exception(), {}});
    }
    t.lost_exc_ = nullptr;
    t.sock_.close();  // (the backend cancels what it still has on the fd)
    t.lost_done_ = true;
    if (auto watcher = t.unwatch_by()) watcher->connection_closed(t);
}

std::vector<Transport*> ConnectionWatcher::connections() const {
    std::vector<Transport*> out;
    for (StreamTransport* t = first_; t; t = t->next_watched_)
        out.push_back(t);
    return out;
}

void StreamTransport::watch_by(std::shared_ptr<ConnectionWatcher> watcher) noexcept {
    next_watched_ = watcher->first_;
    if (next_watched_) next_watched_->prev_watched_ = this;
    watcher->first_ = this;
    watcher_ = std::move(watcher);
}

std::shared_ptr<ConnectionWatcher> StreamTransport::unwatch_by() noexcept {
    if (!watcher_) return nullptr;
    if (prev_watched_)
        prev_watched_->next_watched_ = next_watched_;
    else
        watcher_->first_ = next_watched_;
    if (next_watched_) next_watched_->prev_watched_ = prev_watched_;
    prev_watched_ = next_watched_ = nullptr;
    return std::move(watcher_);
}

// The loop lets go of the transport once connection_lost has run, the backend has nothing of
// its own left and no step of it is queued. (The caller returns straight after.)
void StreamTransport::release_if_done() noexcept {
    if (!lost_done_ || receiving_ || send_started_ || step_queued_ || !self_) return;
    release_held();
    loop_->remove_resource(this);
    loop_ = nullptr;
    auto last = std::move(self_);  // may destroy *this
}

void StreamTransport::release_held() noexcept {
    Backend& backend = loop_->backend();
    for (unsigned i = 0; i < held_count_; ++i)
        backend.release_buffer(held_[i].buffer);
    held_count_ = 0;
    if (overflow_)
        for (const Held& h : overflow_->held)
            backend.release_buffer(h.buffer);
    overflow_.reset();
}

void StreamTransport::loop_closing() noexcept {
    closing_ = lost_ = lost_done_ = true;
    if (read_watched_) loop_->backend().unwatch(read_waiter());
    if (write_watched_) loop_->backend().unwatch(write_waiter());
    read_watched_ = write_watched_ = false;
    // (The loop is not running, so Socket::close would not tell the backend: tell it here.)
    if (sock_) loop_->forget_fd(sock_.fileno());
    sock_.close();
}

void StreamTransport::loop_closed() noexcept {
    release_held();
    receiving_ = send_started_ = send_in_flight_ = false;
    protocol_.reset();
    unwatch_by();
    loop_->remove_resource(this);
    loop_ = nullptr;
    auto last = std::move(self_);
}

}  // namespace detail
}  // namespace aio
