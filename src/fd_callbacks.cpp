#include "fd_callbacks.hpp"

#include <stdexcept>
#include <system_error>
#include <utility>

#include "backend/backend.hpp"
#include "backend/sys.hpp"

namespace aio::detail {

struct FdCallbacks::Entry : ReadinessWaiter, Runnable {
    Entry(FdCallbacks& o, int fd, Interest interest, std::function<void()> cb)
        : ReadinessWaiter(fd, interest, &FdCallbacks::on_ready),
          Runnable(&FdCallbacks::run),
          owner(o),
          callback(std::move(cb)) {}
    FdCallbacks& owner;
    std::function<void()> callback;
    bool watched = false;  // else on the ready queue, or running
    bool removed = false;  // removed while not watched: deleted when it next runs
};

FdCallbacks::~FdCallbacks() {
    // The loop is closing: its ready queue has been discarded already.
    for (auto& [k, e] : entries_) {
        if (e->watched) loop_.backend().unwatch(*e);
        delete e;
    }
}

void FdCallbacks::add(int fd, Interest interest, std::function<void()> callback) {
    if (fd < 0) throw std::system_error(EBADF, std::generic_category(), "add_reader/add_writer");
    if (!callback) throw std::invalid_argument("add_reader/add_writer: empty callback");
    auto [it, fresh] = entries_.try_emplace(key(fd, interest), nullptr);
    if (!fresh) {
        it->second->callback = std::move(callback);
        return;
    }
    auto* e = new Entry(*this, fd, interest, std::move(callback));
    it->second = e;
    try {
        arm(*e);
    } catch (...) {
        entries_.erase(it);
        delete e;
        throw;
    }
}

bool FdCallbacks::remove(int fd, Interest interest) {
    auto it = entries_.find(key(fd, interest));
    if (it == entries_.end()) return false;
    Entry* e = it->second;
    entries_.erase(it);
    if (e->watched) {
        loop_.backend().unwatch(*e);
        delete e;
    } else {
        e->removed = true;
    }
    // asyncio's remove_reader unregisters from the selector: the fd may be closed next and its
    // number reused by another file, which a stale registration would never report.
    const Interest other = interest == Interest::read ? Interest::write : Interest::read;
    if (!entries_.count(key(fd, other))) loop_.backend().unregister(fd);
    return true;
}

// Ready now: call back on the next iteration; else wait for readiness.
void FdCallbacks::arm(Entry& e) {
    if (sys::ready_now(e.fd, e.interest == Interest::write)) {
        e.watched = false;
        loop_.schedule(&e);
    } else {
        loop_.backend().watch(e);
        e.watched = true;
    }
}

bool FdCallbacks::on_ready(ReadinessWaiter* w, bool fd_closing) noexcept {
    auto* e = static_cast<Entry*>(w);
    e->watched = false;
    if (fd_closing) {  // the fd is being closed under the registration: it ends with it
        e->owner.entries_.erase(key(e->fd, e->interest));
        delete e;
        return true;
    }
    e->owner.loop_.schedule(e);
    return true;
}

void FdCallbacks::run(Runnable* r, bool discard) noexcept {
    auto* e = static_cast<Entry*>(r);
    if (e->removed) {
        delete e;
        return;
    }
    if (discard) return;  // the loop is closing; the registry deletes it
    EventLoop& loop = e->owner.loop_;
    try {
        e->callback();
    } catch (...) {
        loop.call_exception_handler({"Exception in callback", std::current_exception(), {}});
    }
    if (e->removed) {  // the callback removed itself
        delete e;
        return;
    }
    try {
        e->owner.arm(*e);
    } catch (...) {  // another waiter took the fd meanwhile: the registration cannot go on
        loop.call_exception_handler(
            {"add_reader/add_writer registration dropped", std::current_exception(), {}});
        e->owner.entries_.erase(key(e->fd, e->interest));
        delete e;
    }
}

}  // namespace aio::detail
