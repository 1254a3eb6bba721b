// Which loops exist right now: a future that outlives its loop must not report through it.
#pragma once

namespace aio {
class EventLoop;
}

namespace aio::detail {
void register_loop(const EventLoop* loop);
void unregister_loop(const EventLoop* loop);
bool loop_is_alive(const EventLoop* loop);
}  // namespace aio::detail
