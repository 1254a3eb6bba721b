#include "client_connection.hpp"

#include <algorithm>
#include <system_error>

#include "aio/errors.hpp"
#include "aio/loop.hpp"
#include "aio/timeouts.hpp"

namespace aio::http::detail {

const llhttp_settings_t ClientConnection::settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = [](llhttp_t* p) {
        ClientConnection& c = of(p);
        c.answered_ = true;
        c.head_ = Head{};
        c.field_open_ = false;
        return 0;
    };
    s.on_status = [](llhttp_t* p, const char* at, std::size_t n) {
        of(p).head_.reason.append(at, n);
        return 0;
    };
    s.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
        ClientConnection& c = of(p);
        if (c.head_done_) return 0;  // trailers: dropped
        if (!c.field_open_) {
            c.field_open_ = true;
            HeadersBuilder::start(c.head_.headers);
        }
        HeadersBuilder::last(c.head_.headers).first.append(at, n);
        return 0;
    };
    s.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
        ClientConnection& c = of(p);
        if (!c.head_done_) HeadersBuilder::last(c.head_.headers).second.append(at, n);
        return 0;
    };
    s.on_header_value_complete = [](llhttp_t* p) {
        of(p).field_open_ = false;
        return 0;
    };
    s.on_headers_complete = [](llhttp_t* p) { return of(p).headers_complete(); };
    s.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
        ClientConnection& c = of(p);
        if (!c.body_) return 0;
        try {
            std::string_view data(at, n);
            if (c.inflater_) {
                c.body_->feed(c.inflater_->feed(data));
            } else {
                c.body_->feed(data);
            }
        } catch (const ClientPayloadError&) {
            c.body_->fail(std::current_exception());
            return static_cast<int>(HPE_USER);
        }
        if (!c.reading_paused_ && c.body_->buffered() > kBodyHighWater && c.transport_) {
            c.reading_paused_ = true;
            c.transport_->pause_reading();
        }
        return 0;
    };
    s.on_message_complete = [](llhttp_t* p) { return of(p).message_complete(); };
    return s;
}();

ClientConnection::ClientConnection(std::optional<Duration> sock_read, bool decompress)
    : sock_read_(sock_read), decompress_(decompress) {
    llhttp_init(&parser_, HTTP_RESPONSE, &settings);
    parser_.data = this;
}

ClientConnection::~ClientConnection() {
    if (body_) body_->connection = nullptr;
}

void ClientConnection::connection_made(Transport& transport) {
    transport_ = &transport;
}

int ClientConnection::headers_complete() {
    head_.status = parser_.status_code;
    head_.version_minor = parser_.http_minor;
    keep_alive_ = llhttp_should_keep_alive(&parser_) != 0;
    head_done_ = true;
    head_waiter_.wake();
    if (head_.status == 101) return 2;  // the rest is the new protocol's
    if (head_only_ || head_.status == 204 || head_.status == 304 || head_.status / 100 == 1)
        return 1;  // no body
    body_ = std::make_shared<Body>();
    body_->connection = this;
    body_->timeout_status = 0;  // a read past sock_read raises TimeoutError
    if (decompress_) {
        if (auto coding = head_.headers.get("Content-Encoding")) {
            if (iequals(*coding, "gzip") || iequals(*coding, "x-gzip"))
                inflater_ = std::make_unique<Inflater>(true);
            else if (iequals(*coding, "deflate"))
                inflater_ = std::make_unique<Inflater>(false);
        }
    }
    return 0;
}

int ClientConnection::message_complete() {
    message_done_ = true;
    if (body_) {
        if (inflater_ && !inflater_->finished()) {
            body_->fail(
                std::make_exception_ptr(ClientPayloadError("the compressed body is cut short")));
            keep_alive_ = false;
        }
        body_->finish();
    }
    // Back to the pool once its request has the head (until then a second request must not
    // reset what the first is about to take).
    if (head_taken_)
        if (auto l = lease.lock()) l->finish(true);
    return 0;
}

void ClientConnection::data_received(std::string_view data) {
    if (websocket_) {
        websocket_->feed(data);
        return;
    }
    const llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
    if (err == HPE_OK) return;
    if (err == HPE_PAUSED_UPGRADE) {
        upgrade_rest_.assign(
            llhttp_get_error_pos(&parser_),
            static_cast<std::size_t>(data.data() + data.size() - llhttp_get_error_pos(&parser_)));
        return;
    }
    fail(std::make_exception_ptr(
        ClientPayloadError(std::string("invalid response: ") + llhttp_errno_name(err))));
    abort();
}

bool ClientConnection::eof_received() {
    eof_ = true;
    if (!websocket_ && llhttp_finish(&parser_) != HPE_OK)
        fail(std::make_exception_ptr(ServerDisconnectedError("Server disconnected")));
    else if (!head_done_ && !websocket_)
        fail(std::make_exception_ptr(ServerDisconnectedError("Server disconnected")));
    return false;
}

void ClientConnection::connection_lost(std::exception_ptr exc) {
    lost_ = true;
    transport_ = nullptr;
    if (websocket_) websocket_->lost(exc);
    if (!message_done_)
        fail(exc ? exc : std::make_exception_ptr(ServerDisconnectedError("Server disconnected")));
    if (auto l = lease.lock()) l->finish(false);
}

void ClientConnection::fail(std::exception_ptr error) {
    if (!error_) error_ = error;
    if (body_ && !body_->complete()) {
        try {
            std::rethrow_exception(error);
        } catch (const ClientError&) {
            body_->fail(error);
        } catch (...) {
            body_->fail(
                std::make_exception_ptr(ClientPayloadError("Response payload is not completed")));
        }
    }
    head_waiter_.wake();
}

void ClientConnection::pause_writing() {
    if (websocket_) websocket_->set_writing_paused();
}

void ClientConnection::resume_writing() {
    if (websocket_) websocket_->writable();
}

// The reader waits for more than is buffered (a whole-body read waits for all of it): reading
// resumes whatever the buffer holds.
void ClientConnection::body_wanted(Body&) {
    if (reading_paused_ && transport_ && !lost_) {
        reading_paused_ = false;
        transport_->resume_reading();
    }
}

void ClientConnection::body_consumed(Body& body) {
    if (reading_paused_ && body.buffered() <= kBodyLowWater && transport_ && !lost_) {
        reading_paused_ = false;
        transport_->resume_reading();
    }
}

Duration ClientConnection::body_timeout() const {
    Duration wait = sock_read_.value_or(std::chrono::hours(24 * 365));
    if (deadline_)
        wait = std::min(wait, std::max(Duration::zero(), *deadline_ - get_running_loop().time()));
    return wait;
}

void ClientConnection::abort() noexcept {
    if (transport_ && !lost_) transport_->abort();
}

Task<ClientConnection::Head> ClientConnection::exchange(std::string request, bool head_only,
                                                        std::optional<TimePoint> deadline) {
    if (lost_ || eof_ || !transport_) throw ServerDisconnectedError("Server disconnected");
    head_only_ = head_only;
    deadline_ = deadline;
    head_done_ = head_taken_ = message_done_ = answered_ = false;
    if (body_) body_->connection = nullptr;
    body_.reset();
    inflater_.reset();
    error_ = nullptr;
    transport_->write(std::move(request));
    while (!head_done_) {
        if (error_) std::rethrow_exception(error_);
        auto wait = [](ClientConnection& c) -> Task<> {
            co_await c.head_waiter_.wait(aio::detail::OneWaiter::Call::read);
        };
        if (sock_read_ || deadline_)
            co_await wait_for(wait(*this), body_timeout());
        else
            co_await wait(*this);
    }
    Head head = std::move(head_);
    head.body = body_;
    head_taken_ = true;
    if (message_done_)
        if (auto l = lease.lock()) l->finish(true);
    co_return head;
}

std::shared_ptr<WebSocketCore> ClientConnection::become_websocket(WebSocketOptions options,
                                                                  std::string protocol) {
    if (!transport_ || lost_) throw ServerDisconnectedError("Server disconnected");
    websocket_ =
        std::make_shared<WebSocketCore>(true, *transport_, std::move(options), std::move(protocol));
    websocket_->on_done = [this] {
        if (transport_ && !lost_) transport_->close();
    };
    std::string rest = std::move(upgrade_rest_);
    if (!rest.empty()) websocket_->feed(rest);
    return websocket_;
}

}  // namespace aio::http::detail
