#include "aio/http/server.hpp"

#include "aio/connections.hpp"
#include "aio/errors.hpp"
#include "aio/timeouts.hpp"
#include "server_connection.hpp"

namespace aio::http {

namespace {

// What a connection accepted after the server's state is gone gets: closed at once.
class Refuse final : public Protocol {
    void connection_made(Transport& transport) override { transport.abort(); }
};

}  // namespace

Task<Server> serve(Application app, std::string host, std::uint16_t port) {
    co_return co_await serve(std::move(app), std::move(host), port, ServerOptions{});
}

Task<Server> serve(Application app, std::string host, std::uint16_t port, ServerOptions options) {
    auto state = std::make_shared<Server::State>();
    state->app = std::move(app);
    state->options = options;
    std::weak_ptr<Server::State> weak = state;  // (the listener's factory must not own it)
    aio::ServerOptions listen;
    listen.backlog = options.backlog;
    listen.reuse_port = options.reuse_port;
    listen.ssl = options.ssl;
    // (Named first: g++ 12 destroys a temporary made inside a co_await's arguments twice.)
    ProtocolFactory factory = [weak]() -> std::shared_ptr<BaseProtocol> {
        if (auto s = weak.lock()) return std::make_shared<detail::ServerConnection>(s);
        return std::make_shared<Refuse>();
    };
    auto listener = co_await create_server(std::move(factory), std::move(host), port, listen);
    state->listener.emplace(std::move(listener));
    co_return Server(std::move(state));
}

std::vector<SocketAddress> Server::sockets() const {
    return state_->listener->sockets();
}

std::size_t Server::connection_count() const noexcept {
    return state_->connections.size();
}

Task<> Server::serve_forever() {
    std::exception_ptr cancelled;
    try {
        co_await state_->listener->serve_forever();
    } catch (const CancelledError&) {
        cancelled = std::current_exception();
    }
    co_await shutdown(Duration::zero());
    if (cancelled) std::rethrow_exception(cancelled);
}

Task<> Server::shutdown(Duration grace) {
    State& s = *state_;
    auto keep = state_;
    s.stopping = true;
    s.listener->close();
    for (auto* c : std::vector<detail::ServerConnection*>(s.connections))
        c->stop();
    if (s.connections.empty()) s.all_closed.set();
    if (grace > Duration::zero()) {
        try {
            co_await wait_for(s.all_closed.wait(), grace);
        } catch (const TimeoutError&) {
        }
    }
    for (auto* c : std::vector<detail::ServerConnection*>(s.connections))
        c->abort();
    co_await s.all_closed.wait();
    co_await s.listener->wait_closed();
}

}  // namespace aio::http
