#include "aio/http/client.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "aio/connections.hpp"
#include "aio/errors.hpp"
#include "aio/locks.hpp"
#include "aio/timeouts.hpp"
#include "client_connection.hpp"
#include "websocket_core.hpp"

namespace aio::http {

namespace detail {

struct SessionState {
    ClientOptions options;
    ssl::SSLContext ssl;
    std::unique_ptr<Semaphore> total;  // null: no limit
    std::map<std::string, std::unique_ptr<Semaphore>> per_host;
    std::map<std::string, std::vector<std::shared_ptr<ClientConnection>>> idle;
    bool closed = false;

    Semaphore* host_limit(const std::string& key) {
        if (options.limit_per_host == 0) return nullptr;
        auto& s = per_host[key];
        if (!s) s = std::make_unique<Semaphore>(static_cast<long>(options.limit_per_host));
        return s.get();
    }
};

void PoolLease::finish(bool reuse) noexcept {
    if (done || !state) return;
    done = true;
    if (connection) {
        connection->lease.reset();
        if (reuse && connection->reusable() && !state->closed)
            state->idle[key].push_back(connection);
        else
            connection->abort();
    }
    if (holds_per_host) state->host_limit(key)->release();
    if (holds_total) state->total->release();
}

void attach(ClientResponse& response, std::shared_ptr<Body> body,
            std::shared_ptr<PoolLease> lease) noexcept {
    response.body_ = std::move(body);
    response.lease_ = std::move(lease);
}

}  // namespace detail

namespace {

using detail::ClientConnection;
using detail::PoolLease;
using detail::SessionState;

std::string pool_key(const URL& url) {
    return (url.secure() ? "https://" : "http://") + url.authority();
}

std::string request_bytes(const std::string& method, const URL& url, const Headers& defaults,
                          const RequestOptions& options, bool decompress) {
    std::string out = method + " " + url.target + " HTTP/1.1\r\nHost: " + url.authority() + "\r\n";
    auto has = [&](std::string_view name) {
        return options.headers.contains(name) || defaults.contains(name);
    };
    if (!has("User-Agent")) out += "User-Agent: aio\r\n";
    if (!has("Accept")) out += "Accept: */*\r\n";
    if (decompress && !has("Accept-Encoding")) out += "Accept-Encoding: gzip, deflate\r\n";
    for (const Headers* h : {&defaults, &options.headers})
        for (const auto& [name, value] : *h) {
            if (iequals(name, "Content-Length") || iequals(name, "Host")) continue;
            out += name + ": " + value + "\r\n";
        }
    if (!options.body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
        out += "Content-Length: " + std::to_string(options.body.size()) + "\r\n";
    out += "\r\n";
    out += options.body;
    return out;
}

// A new connection to url's host: ClientConnectorError if it cannot be made (TimeoutError
// past the connect timeout).
Task<std::shared_ptr<ClientConnection>> open_connection_to(std::shared_ptr<SessionState> state,
                                                           URL url) {
    auto connection = std::make_shared<ClientConnection>(state->options.timeout.sock_read,
                                                         state->options.auto_decompress);
    ProtocolFactory factory = [connection] { return connection; };
    ConnectOptions connect;
    if (url.secure()) {
        connect.ssl = &state->ssl;
        connect.server_hostname = url.host;
    }
    std::string failure;
    try {
        Task<Connection> attempt =
            create_connection(std::move(factory), url.host, url.port, connect);
        if (state->options.timeout.connect)
            co_await wait_for(std::move(attempt), *state->options.timeout.connect);
        else
            co_await std::move(attempt);
    } catch (const TimeoutError&) {
        throw;
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (!failure.empty())
        throw ClientConnectorError("Cannot connect to host " + url.authority() + ": " + failure);
    co_return connection;
}

// One request and its response's head, on a pooled connection or a new one. The deadline (the
// total timeout's) also bounds the reads of the response's body.
Task<ClientResponse> send_once(std::shared_ptr<SessionState> state, std::string method, URL url,
                               const RequestOptions& options, std::optional<TimePoint> deadline) {
    if (state->closed) throw RuntimeError("Session is closed");
    auto lease = std::make_shared<PoolLease>();
    lease->state = state;
    lease->key = pool_key(url);
    if (state->total) {
        co_await state->total->acquire();
        lease->holds_total = true;
    }
    if (Semaphore* host = state->host_limit(lease->key)) {
        co_await host->acquire();
        lease->holds_per_host = true;
    }
    const std::string bytes =
        request_bytes(method, url, state->options.headers, options, state->options.auto_decompress);
    for (int attempt = 0;; ++attempt) {
        std::shared_ptr<ClientConnection> connection;
        auto& idle = state->idle[lease->key];
        while (!idle.empty() && !connection) {
            connection = std::move(idle.back());
            idle.pop_back();
            if (!connection->reusable()) connection.reset();
        }
        const bool pooled = connection != nullptr;
        if (!connection) connection = co_await open_connection_to(state, url);
        lease->connection = connection;
        connection->lease = lease;
        bool retry = false;
        ClientConnection::Head head;
        try {
            head = co_await connection->exchange(bytes, method == "HEAD", deadline);
        } catch (const ServerDisconnectedError&) {
            // A kept-alive connection the server had just closed: once more, on a new one.
            if (!pooled || connection->answered() || attempt > 0) throw;
            retry = true;
        }
        if (retry) {
            connection->lease.reset();
            connection->abort();
            continue;
        }
        ClientResponse response;
        response.status = head.status;
        response.reason = std::move(head.reason);
        response.headers = std::move(head.headers);
        response.version_minor = head.version_minor;
        response.url = url;
        detail::attach(response, std::move(head.body), lease);
        co_return response;
    }
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// The total timeout, as aiohttp's, runs from here to the last byte of the final response's body,
// across the redirects.
Task<ClientResponse> request_with_redirects(std::shared_ptr<SessionState> state, std::string method,
                                            URL url, RequestOptions options) {
    std::optional<TimePoint> deadline;
    if (state->options.timeout.total)
        deadline = get_running_loop().time() + *state->options.timeout.total;
    for (int redirects = 0;; ++redirects) {
        ClientResponse response;
        if (deadline)
            response = co_await wait_for(
                send_once(state, method, url, options, deadline),
                std::max(Duration::zero(), *deadline - get_running_loop().time()));
        else
            response = co_await send_once(state, method, url, options, deadline);
        auto location = response.headers.get("Location");
        if (!options.allow_redirects || !is_redirect(response.status) || !location) {
            response.redirects = redirects;
            co_return response;
        }
        if (redirects >= state->options.max_redirects)
            throw TooManyRedirects("more than " + std::to_string(state->options.max_redirects) +
                                   " redirects, the last to " + std::string(*location));
        URL next = url.resolve(*location);
        // 303, and 301/302 after a POST, are followed with a GET and no body (as browsers and
        // aiohttp do); 307 and 308 repeat the request as it was.
        if (response.status == 303 ||
            ((response.status == 301 || response.status == 302) && method == "POST")) {
            method = "GET";
            options.body.clear();
        }
        url = std::move(next);
        response.release();
    }
}

}  // namespace

// ---- ClientResponse ----

ClientResponse::ClientResponse() = default;
ClientResponse::ClientResponse(ClientResponse&&) noexcept = default;
ClientResponse& ClientResponse::operator=(ClientResponse&&) noexcept = default;
ClientResponse::~ClientResponse() = default;

Task<std::string> ClientResponse::read() {
    std::string body = co_await content().read();
    co_return body;
}

void ClientResponse::raise_for_status() const {
    if (status >= 400) throw ClientResponseError(status, std::to_string(status) + ", " + reason);
}

void ClientResponse::release() {
    if (lease_) lease_->finish(body_ == nullptr || body_->at_eof());
    lease_.reset();
}

// ---- ClientSession ----

ClientSession::ClientSession() : ClientSession(ClientOptions{}) {}

ClientSession::ClientSession(ClientOptions options) : state_(std::make_shared<SessionState>()) {
    state_->ssl = options.ssl ? *options.ssl : ssl::create_default_context();
    if (options.limit)
        state_->total = std::make_unique<Semaphore>(static_cast<long>(options.limit));
    state_->options = std::move(options);
}

ClientSession::ClientSession(ClientSession&&) noexcept = default;
ClientSession& ClientSession::operator=(ClientSession&&) noexcept = default;

ClientSession::~ClientSession() {
    if (!state_) return;
    state_->closed = true;
    for (auto& [key, connections] : state_->idle)
        for (auto& c : connections)
            c->abort();
    state_->idle.clear();
}

Task<ClientResponse> ClientSession::get(std::string url) {
    return request("GET", std::move(url), RequestOptions{});
}
Task<ClientResponse> ClientSession::get(std::string url, RequestOptions options) {
    return request("GET", std::move(url), std::move(options));
}
Task<ClientResponse> ClientSession::post(std::string url, std::string body) {
    RequestOptions options;
    options.body = std::move(body);
    return request("POST", std::move(url), std::move(options));
}
Task<ClientResponse> ClientSession::post(std::string url, RequestOptions options) {
    return request("POST", std::move(url), std::move(options));
}

Task<ClientResponse> ClientSession::request(std::string method, std::string url,
                                            RequestOptions options) {
    URL parsed = URL::parse(url);
    if (parsed.scheme != "http" && parsed.scheme != "https") throw InvalidURL(url);
    return request_with_redirects(state_, std::move(method), std::move(parsed), std::move(options));
}

Task<WebSocket> ClientSession::ws_connect(std::string url) {
    return ws_connect(std::move(url), WebSocketOptions{});
}

Task<WebSocket> ClientSession::ws_connect(std::string url, WebSocketOptions options) {
    URL parsed = URL::parse(url);
    if (parsed.scheme != "ws" && parsed.scheme != "wss") throw InvalidURL(url);
    auto state = state_;
    auto connection = co_await open_connection_to(state, parsed);
    const std::string key = detail::websocket_key();
    std::string request =
        "GET " + parsed.target + " HTTP/1.1\r\nHost: " + parsed.authority() +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
        "\r\nSec-WebSocket-Version: 13\r\n";
    if (!options.protocols.empty()) {
        request += "Sec-WebSocket-Protocol: ";
        for (std::size_t i = 0; i < options.protocols.size(); ++i)
            request += (i ? ", " : "") + options.protocols[i];
        request += "\r\n";
    }
    request += "\r\n";
    ClientConnection::Head head = co_await connection->exchange(std::move(request), false);
    std::string why;
    const auto upgrade = head.headers.get("Upgrade");
    const auto protocol = head.headers.get("Sec-WebSocket-Protocol");
    if (head.status != 101)
        why = "status " + std::to_string(head.status);
    else if (!upgrade || !iequals(*upgrade, "websocket"))
        why = "no Upgrade: websocket";
    else if (head.headers.get("Sec-WebSocket-Accept") !=
             std::optional<std::string_view>(detail::websocket_accept(key)))
        why = "a wrong Sec-WebSocket-Accept";
    else if (protocol && std::find(options.protocols.begin(), options.protocols.end(),
                                   std::string(*protocol)) == options.protocols.end())
        why = "a subprotocol that was not offered";
    if (!why.empty()) {
        connection->abort();
        throw WSServerHandshakeError("WebSocket handshake refused: " + why);
    }
    co_return WebSocket(
        connection->become_websocket(std::move(options), std::string(protocol.value_or(""))));
}

Task<> ClientSession::close() {
    state_->closed = true;
    for (auto& [key, connections] : state_->idle)
        for (auto& c : connections)
            c->abort();
    state_->idle.clear();
    co_return;
}

std::size_t ClientSession::idle_connections() const noexcept {
    std::size_t n = 0;
    for (const auto& [key, connections] : state_->idle)
        n += connections.size();
    return n;
}

}  // namespace aio::http
