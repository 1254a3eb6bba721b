// The io_uring backend: completion-based. Socket operations are handed to the kernel as
// submission entries (user_data = the IoOp in the awaiting frame) and sent in one io_uring_enter
// per loop iteration, together with the wait for completions, bounded by the next timer.
// Readiness waits for foreign fds are one-shot POLL_ADDs, keyed by fd, direction and a generation
// (not by the waiter's address), so that a late completion for a waiter already gone is
// recognised and dropped. An eventfd read on the ring wakes the loop from other threads.
#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "aio/detail/io_op.hpp"
#include "aio/errors.hpp"
#include "backend/backend.hpp"

namespace aio::detail {
namespace {

// user_data: an IoOp's address (8-aligned, tag 0), or a tagged value.
constexpr std::uint64_t kTagMask = 7;
constexpr std::uint64_t kTagPoll = 1;     // fd << 32 | generation << 4 | direction << 3 | 1
constexpr std::uint64_t kTagWakeup = 2;   // the eventfd read
constexpr std::uint64_t kTagIgnore = 3;   // cancellations and poll removals: nothing to do
constexpr std::uint64_t kTagReceive = 4;  // a StreamChannel's address | 4: its multishot receive
constexpr std::uint64_t kTagSend = 5;     // a StreamChannel's address | 5: its send
constexpr std::uint64_t kTagAccept = 6;   // an AcceptChannel's address | 6: its multishot accept

// The provided-buffer ring the multishot receives of every connection share: a connection holds
// a buffer only from its data's arrival until its protocol has taken the bytes.
constexpr unsigned kBufferCount = 256;
constexpr unsigned kBufferSize = 16 * 1024;
constexpr int kBufferGroup = 0;
// Incremental consumption (Linux 6.12; liburing 2.3's headers predate it): the kernel fills a
// buffer message after message, so 10,000 connections with a small message each share a few
// buffers instead of needing one each (ENOBUFS otherwise). Without it, a buffer per message.
constexpr std::uint16_t kBufRingIncremental = 2;  // IOU_PBUF_RING_INC
constexpr unsigned kCqeBufferMore = 1U << 4;      // IORING_CQE_F_BUF_MORE

class UringBackend final : public Backend {
  public:
    UringBackend() = default;
    ~UringBackend() override {
        if (ring_ready_) io_uring_queue_exit(&ring_);
        if (buf_ring_) ::munmap(buf_ring_, ring_bytes());
        if (buffers_) ::munmap(buffers_, std::size_t{kBufferCount} * kBufferSize);
        if (wakefd_ >= 0) ::close(wakefd_);
    }

    // Sets the ring up; false (and why) if the kernel cannot give aio what it needs.
    bool init(std::string& reason) {
        io_uring_params p{};
        // Completions' task work runs when the loop enters the kernel anyway (no interrupts);
        // TASKRUN_FLAG says when it is waiting, so that a busy loop can enter for it.
        p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_CQSIZE;
        p.cq_entries = 4 * kEntries;
        int r = io_uring_queue_init_params(kEntries, &ring_, &p);
        if (r == -EINVAL) {  // before 5.19: no COOP_TASKRUN
            p = io_uring_params{};
            p.flags = IORING_SETUP_CQSIZE;
            p.cq_entries = 4 * kEntries;
            r = io_uring_queue_init_params(kEntries, &ring_, &p);
        }
        if (r < 0) {
            reason = std::string("io_uring_setup: ") + std::strerror(-r);
            return false;
        }
        ring_ready_ = true;
        const unsigned needed = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_FAST_POLL;
        if ((p.features & needed) != needed) {
            reason = "kernel too old (needs NODROP, EXT_ARG and FAST_POLL: Linux 5.11)";
            return false;
        }
        wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wakefd_ < 0) {
            reason = std::string("eventfd: ") + std::strerror(errno);
            return false;
        }
        // forget() cancels by fd (Linux 5.19): check that the kernel takes that.
        io_uring_prep_cancel_fd(get_sqe(), wakefd_, IORING_ASYNC_CANCEL_ALL);
        io_uring_cqe* cqe = nullptr;
        r = io_uring_submit_and_wait(&ring_, 1);
        if (r >= 0) r = io_uring_wait_cqe(&ring_, &cqe);
        // (With CANCEL_ALL the result is how many were cancelled; EINVAL: not understood.)
        if (r < 0 || (cqe->res < 0 && cqe->res != -ENOENT)) {
            reason = "kernel too old (cancelling by fd needs Linux 5.19)";
            return false;
        }
        io_uring_cqe_seen(&ring_, cqe);
        arm_wakeup();
        return true;
    }

    const char* name() const noexcept override { return "io_uring"; }

    void wait(Duration timeout) override {
        prepare_sends();
        if (timeout == Duration::zero() || io_uring_cq_ready(&ring_) > 0) {
            flush();
            return;
        }
        io_uring_cqe* cqe = nullptr;
        int r;
        if (timeout == Duration::max()) {
            r = io_uring_submit_and_wait(&ring_, 1);
        } else {
            const std::int64_t ns = timeout.count();
            __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
            r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
        }
        if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY)
            throw std::system_error(-r, std::generic_category(), "io_uring_enter");
        reap();
    }

    void flush() override {
        prepare_sends();
        int r = 0;
        if (io_uring_sq_ready(&ring_) > 0)
            r = io_uring_submit(&ring_);
        else if (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN)
            r = io_uring_get_events(&ring_);
        if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
            throw std::system_error(-r, std::generic_category(), "io_uring_enter");
        reap();
    }

    void submit() override {
        prepare_sends();
        if (io_uring_sq_ready(&ring_) == 0) return;
        const int r = io_uring_submit(&ring_);
        if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN)
            throw std::system_error(-r, std::generic_category(), "io_uring_enter");
    }

    void wakeup() noexcept override {
        std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
    }

    std::size_t pending_io() const noexcept override { return pending_; }

    void watch(ReadinessWaiter& w) override {
        Entry& e = entry(w.fd);
        Slot& s = claim(e, w.interest);
        arm_poll(w, s);
    }

    void unwatch(ReadinessWaiter& w) noexcept override {
        if (w.fd < 0 || static_cast<std::size_t>(w.fd) >= fds_.size()) return;
        Entry& e = fds_[w.fd];
        Slot& s = w.interest == Interest::read ? e.reader : e.writer;
        if (s.waiter() != &w) return;
        s.clear();
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_poll_remove(sqe, poll_data(w.fd, w.interest, s.generation));
        io_uring_sqe_set_data64(sqe, kTagIgnore);
    }

    bool try_now(IoOp&) noexcept override { return false; }  // the kernel does it: start()
    bool does_file_io() const noexcept override { return true; }

    void start(IoOp& op) override {
        Slot* s = op.tracked() ? &claim(entry(op.fd), op.interest) : nullptr;
        io_uring_sqe* sqe = get_sqe();
        switch (op.kind()) {
            case IoOp::Kind::recv:
                io_uring_prep_recv(sqe, op.fd, op.buffer(), op.length(), 0);
                break;
            case IoOp::Kind::send:
                io_uring_prep_send(sqe, op.fd, op.buffer(), op.length(), MSG_NOSIGNAL);
                break;
            case IoOp::Kind::accept:
                io_uring_prep_accept(sqe, op.fd, op.address(), op.address_length(),
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
                break;
            case IoOp::Kind::connect:
                io_uring_prep_connect(sqe, op.fd, op.address(), *op.address_length());
                break;
            case IoOp::Kind::recvmsg:
                io_uring_prep_recvmsg(sqe, op.fd, static_cast<msghdr*>(op.buffer()), 0);
                break;
            case IoOp::Kind::sendmsg:
                io_uring_prep_sendmsg(sqe, op.fd, static_cast<const msghdr*>(op.buffer()),
                                      MSG_NOSIGNAL);
                break;
            case IoOp::Kind::read:  // pipes: offset -1, the (non-seekable) current position
                io_uring_prep_read(sqe, op.fd, op.buffer(), op.length(), -1);
                break;
            case IoOp::Kind::write:
                io_uring_prep_write(sqe, op.fd, op.buffer(), op.length(), -1);
                break;
            default:  // a file operation
                prep_file(sqe, static_cast<const FileOp&>(op));
                break;
        }
        io_uring_sqe_set_data(sqe, &op);
        if (s) s->hold(op);
        ++pending_;
    }

    static void prep_file(io_uring_sqe* sqe, const FileOp& op) noexcept {
        const FileOp::Args& f = op.args();
        switch (op.kind()) {
            case IoOp::Kind::file_read:
                io_uring_prep_read(sqe, op.fd, f.buf, f.len, static_cast<std::uint64_t>(f.offset));
                break;
            case IoOp::Kind::file_write:
                io_uring_prep_write(sqe, op.fd, f.buf, f.len, static_cast<std::uint64_t>(f.offset));
                break;
            case IoOp::Kind::fsync:
                io_uring_prep_fsync(sqe, op.fd, static_cast<unsigned>(f.flags));
                break;
            case IoOp::Kind::openat:
                io_uring_prep_openat(sqe, op.fd, static_cast<const char*>(f.buf), f.flags, f.mode);
                break;
            case IoOp::Kind::statx:
                io_uring_prep_statx(sqe, op.fd, static_cast<const char*>(f.buf), f.flags,
                                    STATX_BASIC_STATS, static_cast<struct statx*>(f.out));
                break;
            default:  // IoOp::Kind::close
                io_uring_prep_close(sqe, op.fd);
                break;
        }
    }

    bool cancel(IoOp& op) noexcept override {
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_cancel(sqe, &op, 0);
        io_uring_sqe_set_data64(sqe, kTagIgnore);
        return false;  // the operation's own completion is still to come
    }

    void abandon(IoOp& op) noexcept override {
        cancel(op);
        while (op.in_flight()) {
            const int r = io_uring_submit_and_wait(&ring_, 1);
            if (r < 0 && r != -EINTR) break;
            reap();
        }
    }

    bool start_receiving(StreamChannel& ch) override {
        if (!ch.socket || !buffers_ready()) return false;
        entry(ch.fd).reader.channel = true;
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_recv_multishot(sqe, ch.fd, nullptr, 0, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = kBufferGroup;
        io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uint64_t>(&ch) | kTagReceive);
        ++pending_;
        ++channel_ops_;
        return true;
    }

    void stop_receiving(StreamChannel& ch) noexcept override {
        cancel_request(reinterpret_cast<std::uint64_t>(&ch) | kTagReceive);
    }

    // A buffer goes back to the ring once the kernel is done filling it and every piece of it
    // handed to a transport has been released.
    void release_buffer(unsigned buffer) noexcept override {
        BufferUse& use = uses_[buffer];
        if (--use.pieces > 0 || !use.filled) return;
        recycle(buffer);
    }
    void recycle(unsigned buffer) noexcept {
        uses_[buffer] = BufferUse{};
        io_uring_buf_ring_add(buf_ring_, buffer_at(buffer), kBufferSize,
                              static_cast<unsigned short>(buffer),
                              io_uring_buf_ring_mask(kBufferCount), 0);
        io_uring_buf_ring_advance(buf_ring_, 1);
    }

    bool start_sending(StreamChannel& ch) override {
        entry(ch.fd).reader.channel = true;
        // Made into a submission just before the ring is entered, so that everything written
        // meanwhile goes in the same send.
        ch.next_send = nullptr;
        *sends_tail_ = &ch;
        sends_tail_ = &ch.next_send;
        ++pending_;
        ++channel_ops_;
        return true;
    }

    bool start_accepting(AcceptChannel& ch) override {
        if (no_multishot_accept_) return false;
        entry(ch.fd).reader.channel = true;
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_multishot_accept(sqe, ch.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uint64_t>(&ch) | kTagAccept);
        ch.armed = true;
        ++pending_;
        ++channel_ops_;
        return true;
    }

    void stop_accepting(AcceptChannel& ch) noexcept override {
        cancel_request(reinterpret_cast<std::uint64_t>(&ch) | kTagAccept);
    }

    void abandon_accepting(AcceptChannel& ch) noexcept override {
        stop_accepting(ch);
        while (ch.armed) {
            const int r = io_uring_submit_and_wait(&ring_, 1);
            if (r < 0 && r != -EINTR) break;
            reap();
        }
    }

    void settle() noexcept override {
        prepare_sends();
        // Every fd was closed (forget cancels what the kernel has on it), so the reports come
        // promptly; a bound all the same, since hanging in a destructor is worse than a leak.
        for (int rounds = 0; channel_ops_ > 0 && rounds < 100; ++rounds) {
            io_uring_cqe* cqe = nullptr;
            __kernel_timespec ts{0, 50'000'000};
            const int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
            if (r < 0 && r != -EINTR && r != -ETIME) break;
            reap();
        }
    }

    void forget(int fd) noexcept override {
        if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
        Entry& e = fds_[fd];
        prepare_sends();  // (a send queued for this fd must reach the kernel before the cancel)
        for (Slot* s : {&e.reader, &e.writer}) {
            if (ReadinessWaiter* w = s->waiter()) {
                unwatch(*w);
                w->on_ready(w, true);
            }
        }
        if (e.reader.op() || e.writer.op() || e.reader.channel) {
            // The operations hold the file open; cancel them now, before the number is reused.
            // Their completions come later and no longer occupy the number.
            e.reader.clear();
            e.writer.clear();
            e.reader.channel = false;
            io_uring_sqe* sqe = get_sqe();
            io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
            io_uring_sqe_set_data64(sqe, kTagIgnore);
            io_uring_submit(&ring_);
        }
    }

  private:
    static constexpr unsigned kEntries = 1024;
    // One direction of an fd: a readiness waiter or an operation in flight, not both; one at a
    // time, as on epoll (two readers of one socket would get its bytes in no useful order). An
    // IoOp is a ReadinessWaiter, so one pointer holds either (an entry per fd number: 32 bytes).
    class Slot {
        ReadinessWaiter* holder_ = nullptr;
        bool is_op_ = false;

      public:
        std::uint16_t generation = 0;
        bool channel = false;  // (the reader's slot) a StreamChannel has had operations on the fd

        ReadinessWaiter* waiter() const noexcept { return is_op_ ? nullptr : holder_; }
        IoOp* op() const noexcept { return is_op_ ? static_cast<IoOp*>(holder_) : nullptr; }
        bool busy() const noexcept { return holder_ != nullptr; }
        void hold(ReadinessWaiter& w) noexcept { holder_ = &w, is_op_ = false; }
        void hold(IoOp& op) noexcept { holder_ = &op, is_op_ = true; }
        void clear() noexcept { holder_ = nullptr; }
    };
    static_assert(sizeof(Slot) == 16);
    struct Entry {
        Slot reader;
        Slot writer;
    };

    // The provided buffers, set up on the first multishot receive; false if the kernel has no
    // buffer rings (before 5.19), and connections then read on readiness.
    bool buffers_ready() noexcept {
        if (buf_ring_) return true;
        if (buffers_failed_) return false;
        void* ring = ::mmap(nullptr, ring_bytes(), PROT_READ | PROT_WRITE,
                            MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        void* bufs = ::mmap(nullptr, std::size_t{kBufferCount} * kBufferSize,
                            PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
        io_uring_buf_reg reg{};
        reg.ring_addr = reinterpret_cast<std::uint64_t>(ring);
        reg.ring_entries = kBufferCount;
        reg.bgid = kBufferGroup;
        reg.pad = kBufRingIncremental;  // (the field is "flags" in newer headers)
        bool ok = ring != MAP_FAILED && bufs != MAP_FAILED;
        if (ok && io_uring_register_buf_ring(&ring_, &reg, 0) < 0) {
            reg.pad = 0;  // a kernel before 6.12: one message per buffer
            ok = io_uring_register_buf_ring(&ring_, &reg, 0) == 0;
        }
        incremental_ = reg.pad != 0;
        if (!ok) {
            if (ring != MAP_FAILED) ::munmap(ring, ring_bytes());
            if (bufs != MAP_FAILED) ::munmap(bufs, std::size_t{kBufferCount} * kBufferSize);
            buffers_failed_ = true;
            return false;
        }
        buf_ring_ = static_cast<io_uring_buf_ring*>(ring);
        buffers_ = static_cast<char*>(bufs);
        uses_.assign(kBufferCount, BufferUse{});
        io_uring_buf_ring_init(buf_ring_);
        for (unsigned i = 0; i < kBufferCount; ++i)
            io_uring_buf_ring_add(buf_ring_, buffer_at(i), kBufferSize,
                                  static_cast<unsigned short>(i),
                                  io_uring_buf_ring_mask(kBufferCount), static_cast<int>(i));
        io_uring_buf_ring_advance(buf_ring_, kBufferCount);
        return true;
    }
    static std::size_t ring_bytes() noexcept {
        return (sizeof(io_uring_buf) * kBufferCount + 4095) & ~std::size_t{4095};
    }
    char* buffer_at(unsigned i) const noexcept { return buffers_ + std::size_t{i} * kBufferSize; }

    // The sends queued since the last entry become submissions.
    void prepare_sends() noexcept {
        while (StreamChannel* ch = sends_head_) {
            sends_head_ = ch->next_send;
            if (!sends_head_) sends_tail_ = &sends_head_;
            const auto [data, len] = ch->ops->outgoing(ch);
            io_uring_sqe* sqe = get_sqe();
            if (ch->socket)
                io_uring_prep_send(sqe, ch->fd, data, len, MSG_NOSIGNAL);
            else
                io_uring_prep_write(sqe, ch->fd, data, static_cast<unsigned>(len), -1);
            io_uring_sqe_set_data64(sqe, reinterpret_cast<std::uint64_t>(ch) | kTagSend);
        }
    }

    static Slot& claim(Entry& e, Interest interest) {
        Slot& s = interest == Interest::read ? e.reader : e.writer;
        if (s.busy())
            throw RuntimeError("another task is already waiting on this fd in the same direction");
        return s;
    }

    Entry& entry(int fd) {
        if (fd < 0) throw std::system_error(EBADF, std::generic_category(), "wait on fd");
        if (static_cast<std::size_t>(fd) >= fds_.size())
            fds_.resize(static_cast<std::size_t>(fd) + 1);
        return fds_[fd];
    }

    static std::uint64_t poll_data(int fd, Interest interest, std::uint16_t generation) noexcept {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) << 32 |
               std::uint64_t{generation} << 4 | std::uint64_t{interest == Interest::write} << 3 |
               kTagPoll;
    }

    void arm_poll(ReadinessWaiter& w, Slot& s) {
        s.hold(w);
        ++s.generation;
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_poll_add(sqe, w.fd, w.interest == Interest::read ? POLLIN : POLLOUT);
        io_uring_sqe_set_data64(sqe, poll_data(w.fd, w.interest, s.generation));
        ++pending_;
    }

    // Asks the kernel to end the request submitted with user_data `data` (its last completion
    // still comes).
    void cancel_request(std::uint64_t data) noexcept {
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_cancel64(sqe, data, 0);
        io_uring_sqe_set_data64(sqe, kTagIgnore);
    }

    void arm_wakeup() {
        io_uring_sqe* sqe = get_sqe();
        io_uring_prep_read(sqe, wakefd_, &wake_count_, sizeof wake_count_, 0);
        io_uring_sqe_set_data64(sqe, kTagWakeup);
    }

    // A free submission entry; when the queue is full, what is queued is submitted first.
    io_uring_sqe* get_sqe() noexcept {
        io_uring_sqe* sqe;
        while (!(sqe = io_uring_get_sqe(&ring_)))
            io_uring_submit(&ring_);
        return sqe;
    }

    void reap() {
        io_uring_cqe* cqe;
        unsigned head;
        unsigned seen = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            ++seen;
            handle(cqe->user_data, cqe->res, cqe->flags);
        }
        io_uring_cq_advance(&ring_, seen);
    }

    // A multishot request's report: true if more follow; the last one ends the request.
    bool more_to_come(unsigned flags) noexcept {
        if (flags & IORING_CQE_F_MORE) return true;
        --pending_;
        --channel_ops_;
        return false;
    }

    void handle(std::uint64_t data, int res, unsigned flags) {
        switch (data & kTagMask) {
            case 0: {
                auto* op = reinterpret_cast<IoOp*>(data);
                --pending_;
                if (op->tracked()) {
                    Entry& e = fds_[op->fd];
                    Slot& s = op->interest == Interest::read ? e.reader : e.writer;
                    if (s.op() == op) s.clear();
                }
                op->complete(res);
                return;
            }
            case kTagPoll: {
                --pending_;
                const int fd = static_cast<int>(data >> 32);
                const auto generation = static_cast<std::uint16_t>(data >> 4);
                Slot& s = (data & 8) ? fds_[fd].writer : fds_[fd].reader;
                ReadinessWaiter* w = s.waiter();
                if (!w || s.generation != generation) return;  // unwatched since
                s.clear();
                w->hangup = res < 0 || (res & (POLLHUP | POLLERR | POLLRDHUP));
                if (!w->on_ready(w, false)) arm_poll(*w, s);
                return;
            }
            case kTagWakeup:
                arm_wakeup();
                return;
            case kTagReceive: {
                auto* ch = reinterpret_cast<StreamChannel*>(data & ~kTagMask);
                const bool more = more_to_come(flags);
                if (flags & IORING_CQE_F_BUFFER) {
                    const unsigned buffer = flags >> IORING_CQE_BUFFER_SHIFT;
                    BufferUse& use = uses_[buffer];
                    const char* at = buffer_at(buffer) + use.offset;
                    if (incremental_) use.offset += res > 0 ? static_cast<unsigned>(res) : 0;
                    use.filled = !incremental_ || !(flags & kCqeBufferMore);
                    if (res > 0) {
                        ++use.pieces;
                        ch->ops->on_received(ch, res, at, buffer, more);
                    } else {
                        if (use.filled && use.pieces == 0) recycle(buffer);
                        ch->ops->on_received(ch, res, nullptr, 0, more);
                    }
                } else {
                    ch->ops->on_received(ch, res, nullptr, 0, more);
                }
                return;
            }
            case kTagAccept: {
                auto* ch = reinterpret_cast<AcceptChannel*>(data & ~kTagMask);
                const bool more = more_to_come(flags);
                if (!more) {
                    ch->armed = false;
                    // A kernel without multishot accept (before 5.19) refuses it at once.
                    if (res == -EINVAL) no_multishot_accept_ = true;
                }
                ch->on_accepted(ch, res, more);
                return;
            }
            case kTagSend: {
                auto* ch = reinterpret_cast<StreamChannel*>(data & ~kTagMask);
                --pending_;
                --channel_ops_;
                ch->ops->on_sent(ch, res);
                return;
            }
            default:
                return;
        }
    }

    io_uring ring_{};
    bool ring_ready_ = false;
    io_uring_buf_ring* buf_ring_ = nullptr;
    // Per provided buffer: where the kernel's next message in it starts (incremental mode),
    // whether it is done with it, and how many pieces transports still hold.
    struct BufferUse {
        unsigned offset = 0;
        unsigned pieces = 0;
        bool filled = false;
    };
    std::vector<BufferUse> uses_;
    bool incremental_ = false;
    bool no_multishot_accept_ = false;
    char* buffers_ = nullptr;
    bool buffers_failed_ = false;
    StreamChannel* sends_head_ = nullptr;
    StreamChannel** sends_tail_ = &sends_head_;
    int wakefd_ = -1;
    std::uint64_t wake_count_ = 0;
    std::size_t pending_ = 0;      // operations and polls the kernel has
    std::size_t channel_ops_ = 0;  // of which StreamChannels' receives and sends
    std::vector<Entry> fds_;
};

}  // namespace

std::unique_ptr<Backend> make_uring_backend(std::string& reason) {
    auto backend = std::make_unique<UringBackend>();
    if (!backend->init(reason)) return nullptr;
    return backend;
}

}  // namespace aio::detail
