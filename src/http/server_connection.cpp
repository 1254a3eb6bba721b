#include "server_connection.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <system_error>
#include <vector>

#include "aio/errors.hpp"
#include "aio/sendfile.hpp"
#include "response_writer.hpp"

namespace aio::http {

void Server::State::connection_ended(detail::ServerConnection* c) noexcept {
    connections.erase(std::remove(connections.begin(), connections.end(), c), connections.end());
    if (stopping && connections.empty()) all_closed.set();
}

namespace detail {

namespace {

// Requests queued behind the one being handled before parsing stops (pipelining's bound).
constexpr std::size_t kMaxQueued = 32;
// How long a connection closed with input still coming keeps reading (and dropping) it, so that
// its response is not destroyed by the reset a close with unread data sends.
constexpr auto kLingerTime = std::chrono::seconds(2);

std::exception_ptr connection_reset(const char* what) {
    return std::make_exception_ptr(std::system_error(ECONNRESET, std::generic_category(), what));
}

bool is_tchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// llhttp knows a fixed list of methods: a method it does not know is 501 if it is a token (a
// method this server does not implement), 400 if it is not one.
int unknown_method_status(std::string_view data, const char* error_pos) {
    std::size_t end = static_cast<std::size_t>(error_pos - data.data());
    std::size_t start = data.rfind('\n', end);
    start = start == std::string_view::npos ? 0 : start + 1;
    std::size_t stop = data.find(' ', start);
    if (stop == std::string_view::npos || stop == start) return 400;
    for (std::size_t i = start; i < stop; ++i)
        if (!is_tchar(data[i])) return 400;
    return 501;
}

// The items of a comma-separated field value ("chunked , gzip"), trimmed.
std::vector<std::string_view> list_items(std::string_view list) {
    std::vector<std::string_view> items;
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
            item.remove_suffix(1);
        items.push_back(item);
        list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
    }
    return items;
}

bool has_token(std::string_view list, std::string_view token) {
    for (auto item : list_items(list))
        if (iequals(item, token)) return true;
    return false;
}

// A Transfer-Encoding value of chunked codings only.
bool only_chunked(std::string_view codings) {
    for (auto item : list_items(codings))
        if (!iequals(item, "chunked")) return false;
    return true;
}

bool is_connection_reset(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::system_error& e) {
        return e.code().value() == ECONNRESET || e.code().value() == EPIPE;
    } catch (...) {
        return false;
    }
}

int status_for(llhttp_errno_t err) {
    switch (err) {
        case HPE_INVALID_VERSION:
            return 505;
        default:
            return 400;
    }
}

}  // namespace

const llhttp_settings_t ServerConnection::settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &ServerConnection::on_message_begin;
    s.on_url = &ServerConnection::on_url;
    s.on_method = &ServerConnection::on_method;
    s.on_header_field = &ServerConnection::on_header_field;
    s.on_header_value = &ServerConnection::on_header_value;
    s.on_header_value_complete = [](llhttp_t* p) {
        ServerConnection& c = of(p);
        c.field_open_ = false;
        // Trailer fields (after a chunked body) come here too: counted, then dropped.
        if (!c.parsing_) {
            c.field_.clear();
            c.value_.clear();
            return ++c.trailers_ > c.options().max_headers ? c.reject(431) : 0;
        }
        return c.parsing_->headers.size() > c.options().max_headers ? c.reject(431) : 0;
    };
    s.on_headers_complete = &ServerConnection::on_headers_complete;
    s.on_body = &ServerConnection::on_body;
    s.on_message_complete = &ServerConnection::on_message_complete;
    return s;
}();

ServerConnection::ServerConnection(std::shared_ptr<Server::State> server)
    : server_(std::move(server)) {
    llhttp_init(&parser_, HTTP_REQUEST, &settings);
    parser_.data = this;
}

ServerConnection::~ServerConnection() {
    if (body_in_) body_in_->connection = nullptr;
    for (auto& pending : ready_)
        if (pending.request && pending.request->body_) pending.request->body_->connection = nullptr;
}

// ---- the protocol side ----

void ServerConnection::connection_made(Transport& transport) {
    transport_ = &transport;
    if (auto peer = transport.get_extra_info<SocketAddress>("peername")) peer_ = *peer;
    server_->connections.push_back(this);
    task_ = create_task(run(shared_from_this()));
    set_phase(Phase::idle);
    deadline_ = get_running_loop().time() + options().header_timeout;
}

void ServerConnection::data_received(std::string_view data) {
    if (finished_) return;  // lingering: the input is dropped
    if (websocket_) {
        websocket_->feed(data);
        return;
    }
    if (phase_ == Phase::idle) set_phase(Phase::head);
    parse(data);
}

bool ServerConnection::eof_received() {
    peer_eof_ = true;
    if (finished_) return false;
    if (body_in_ && !body_in_->complete())
        body_in_->fail(connection_reset("The client closed the connection in the body"));
    wake();
    return true;  // the responses still to come are written; the task closes then
}

void ServerConnection::connection_lost(std::exception_ptr exc) {
    lost_ = true;
    transport_ = nullptr;
    auto error = exc ? exc : connection_reset("Connection lost");
    if (body_in_) body_in_->fail(error);
    if (websocket_) websocket_->lost(error);
    for (auto& pending : ready_)
        if (pending.request && pending.request->body_) pending.request->body_->fail(error);
    if (timer_armed_) timer_.cancel();
    timer_armed_ = false;
    wake();
    drain_waiter_.wake();
}

void ServerConnection::pause_writing() {
    writing_paused_ = true;
    if (websocket_) websocket_->set_writing_paused();
}

void ServerConnection::resume_writing() {
    writing_paused_ = false;
    drain_waiter_.wake();
    if (websocket_) websocket_->writable();
}

// ---- parsing ----

int ServerConnection::on_message_begin(llhttp_t* p) {
    ServerConnection& c = of(p);
    if (c.spares_.empty()) {
        c.parsing_ = std::make_unique<Request>();
    } else {
        c.parsing_ = std::move(c.spares_.back());
        c.spares_.pop_back();
    }
    c.parsing_->connection_ = &c;
    c.trailers_ = 0;
    c.field_open_ = false;
    return 0;
}

int ServerConnection::on_method(llhttp_t* p, const char* at, std::size_t n) {
    of(p).parsing_->method.append(at, n);
    return 0;
}

int ServerConnection::on_url(llhttp_t* p, const char* at, std::size_t n) {
    ServerConnection& c = of(p);
    c.parsing_->target.append(at, n);
    if (c.parsing_->target.size() > c.options().max_request_line) return c.reject(414);
    return 0;
}

// A field's name and value are appended to the request's fields as their pieces arrive.
int ServerConnection::on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    ServerConnection& c = of(p);
    if (!c.field_open_) {
        c.field_open_ = true;
        c.field_size_ = 0;
        if (c.parsing_) HeadersBuilder::start(c.parsing_->headers);
    }
    c.field_size_ += n;
    if (c.field_size_ > c.options().max_field_size) return c.reject(431);
    (c.parsing_ ? HeadersBuilder::last(c.parsing_->headers).first : c.field_).append(at, n);
    return 0;
}

int ServerConnection::on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    ServerConnection& c = of(p);
    c.field_size_ += n;
    if (c.field_size_ > c.options().max_field_size) return c.reject(431);
    (c.parsing_ ? HeadersBuilder::last(c.parsing_->headers).second : c.value_).append(at, n);
    return 0;
}

int ServerConnection::on_headers_complete(llhttp_t* p) {
    return of(p).headers_complete();
}

int ServerConnection::headers_complete() {
    Request& request = *parsing_;
    request.version_major = parser_.http_major;
    request.version_minor = parser_.http_minor;
    if (request.version_major != 1) return reject(505);
    std::size_t hosts = 0;
    const std::string* expect = nullptr;
    for (const auto& [name, value] : request.headers) {
        if (iequals(name, "Host")) {
            ++hosts;
        } else if (iequals(name, "Expect")) {
            expect = &value;
        } else if (iequals(name, "Transfer-Encoding") && !only_chunked(value)) {
            return reject(501);  // llhttp has checked that chunked is last; others are not done
        }
    }
    if (hosts > 1 || (hosts == 0 && request.version_minor >= 1)) return reject(400);
    const bool chunked = (parser_.flags & F_CHUNKED) != 0;
    const bool has_length = (parser_.flags & F_CONTENT_LENGTH) != 0;
    if (has_length && parser_.content_length > options().max_body_size) return reject(413);
    bool expect_continue = false;
    if (expect) {
        if (!iequals(*expect, "100-continue")) return reject(417);
        expect_continue = request.version_minor >= 1;
    }
    request.keep_alive_ = llhttp_should_keep_alive(&parser_) != 0;
    if (chunked || (has_length && parser_.content_length > 0)) {
        body_in_ = std::make_shared<Body>();
        body_in_->connection = this;
        body_in_->continue_pending = expect_continue;
        body_bytes_ = 0;
        request.body_ = body_in_;
    }
    ready_.push_back(Pending{std::move(parsing_)});
    set_phase(Phase::busy);
    wake();
    return 0;
}

int ServerConnection::on_body(llhttp_t* p, const char* at, std::size_t n) {
    ServerConnection& c = of(p);
    if (!c.body_in_) return 0;
    c.body_bytes_ += n;
    if (c.body_bytes_ > c.options().max_body_size) return c.reject(413);
    c.body_in_->feed(std::string_view(at, n));
    if (!c.body_full_ && c.body_in_->buffered() > kBodyHighWater && !c.body_in_->discard) {
        c.body_full_ = true;
        c.update_reading();
    }
    return 0;
}

int ServerConnection::on_message_complete(llhttp_t* p) {
    ServerConnection& c = of(p);
    if (c.body_in_) {
        c.body_in_->finish();
        c.body_in_.reset();
        c.body_full_ = false;
        c.update_reading();
    }
    return c.ready_.size() >= kMaxQueued ? HPE_PAUSED : 0;
}

int ServerConnection::reject(int status) {
    reject_status_ = status;
    return HPE_USER;
}

void ServerConnection::parse(std::string_view data) {
    if (parse_failed_) return;
    if (parse_paused_) {
        backlog_.append(data);
        return;
    }
    const llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
    if (err == HPE_OK) return;
    const std::size_t done = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data.data());
    if (err == HPE_PAUSED) {
        backlog_.assign(data.substr(done));
        parse_paused_ = true;
        update_reading();
    } else if (err == HPE_PAUSED_UPGRADE) {
        // What follows a request asking for an upgrade is the new protocol's if the handler
        // accepts it (a WebSocket), else more HTTP: it waits until the handler has answered.
        backlog_.assign(data.substr(done));
        parse_paused_ = true;
        upgrade_paused_ = true;
        update_reading();
    } else {
        parse_failed(err, data);
    }
}

void ServerConnection::parse_failed(llhttp_errno_t err, std::string_view data) {
    parse_failed_ = true;
    int status = reject_status_;
    if (status == 0)
        status = err == HPE_INVALID_METHOD
                     ? unknown_method_status(data, llhttp_get_error_pos(&parser_))
                     : status_for(err);
    if (body_in_) {
        // The head was answered by its handler already or will be: its body fails, and the
        // connection closes after the response.
        body_in_->fail(std::make_exception_ptr(HTTPException(
            status, status == 413 ? "Request body too large" : "Invalid request body")));
        body_in_.reset();
        close_after_ = true;
    } else {
        parsing_.reset();
        queue_error(status);
    }
    update_reading();
}

void ServerConnection::queue_error(int status) {
    ready_.push_back(Pending{nullptr, status});
    set_phase(Phase::busy);
    wake();
}

void ServerConnection::update_reading() {
    if (lost_ || finished_ || !transport_) return;
    const bool pause = parse_paused_ || parse_failed_ || body_full_;
    if (pause == reading_paused_) return;
    reading_paused_ = pause;
    if (pause)
        transport_->pause_reading();
    else
        transport_->resume_reading();
}

void ServerConnection::resume_parsing() {
    if (!parse_paused_ || upgrade_paused_ || ready_.size() >= kMaxQueued) return;
    parse_paused_ = false;
    llhttp_resume(&parser_);
    std::string backlog = std::move(backlog_);
    backlog_.clear();
    parse(backlog);
    update_reading();
}

// ---- the body, for its reader ----

void ServerConnection::send_continue() {
    if (lost_ || finished_) return;
    flush();
    transport_->write(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
}

void ServerConnection::body_wanted(Body& body) {
    if (&body == body_in_.get() && body_full_) {
        body_full_ = false;
        update_reading();
    }
}

void ServerConnection::body_consumed(Body& body) {
    if (&body == body_in_.get() && body_full_ && body.buffered() <= kBodyLowWater) {
        body_full_ = false;
        update_reading();
    }
}

// ---- the task that answers ----

Task<> ServerConnection::run(std::shared_ptr<ServerConnection> self) {
    struct Ended {
        ServerConnection& c;
        ~Ended() {
            c.finish();
            c.server_->connection_ended(&c);
        }
    } ended{*self};
    while (true) {
        if (ready_.empty()) {
            if (lost_ || peer_eof_ || stopping_ || close_after_) break;
            co_await waiter_.wait(aio::detail::OneWaiter::Call::read);
            continue;
        }
        Pending next = std::move(ready_.front());
        ready_.pop_front();
        resume_parsing();
        if (next.error_status) {
            Response response = error_response(next.error_status, {});
            Request none;
            none.keep_alive_ = false;
            write_response(none, response, true);
            break;
        }
        Request& request = *next.request;
        handling_ = true;
        Response response = co_await respond(request);
        handling_ = false;
        const std::shared_ptr<Body>& body = request.body_;
        if (body) {
            body->connection = nullptr;
            body->discard = true;
        }
        if (lost_) break;
        if (websocket_) {  // the connection was the WebSocket's; it ends with the handler
            if (!websocket_->closed()) co_await websocket_->close(1000, {});
            break;
        }
        const bool close = close_after_ || stopping_ || !request.keep_alive_ ||
                           (body && !body->complete()) || wants_close(response);
        if (response.streamed()) {
            if (stream_open_) co_await stream_end();
        } else {
            write_response(request, response, close);
        }
        if (close || close_after_) break;
        recycle(std::move(next.request));
        if (upgrade_paused_) {  // the upgrade was not taken: HTTP goes on
            upgrade_paused_ = false;
            parse_paused_ = false;
            llhttp_resume_after_upgrade(&parser_);
            std::string rest = std::move(backlog_);
            backlog_.clear();
            parse(rest);
            update_reading();
        }
        if (ready_.empty()) set_phase(parsing_ ? Phase::head : Phase::idle);
    }
}

void ServerConnection::recycle(std::unique_ptr<Request> request) {
    request->method.clear();
    request->target.clear();
    request->headers.clear();
    request->match_info.clear();
    request->body_.reset();
    request->keep_alive_ = true;
    if (spares_.size() <= kMaxQueued) spares_.push_back(std::move(request));
}

Task<Response> ServerConnection::respond(Request& request) {
    std::exception_ptr error;
    try {
        Response response = co_await server_->app.handle(request);
        if (has_valid_fields(response)) co_return std::move(response);
        error = std::make_exception_ptr(
            std::invalid_argument("a response field has a CR, LF or NUL in it"));
    } catch (const HTTPException& e) {
        if (!stream_open_) co_return error_response(e.status(), e.text());
        error = std::current_exception();
    } catch (const CancelledError&) {
        throw;
    } catch (...) {
        error = std::current_exception();
    }
    // (A client gone away, or cutting its body short, is its own business, as in aiohttp:
    // nothing to report.)
    if (!lost_ && !is_connection_reset(error))
        get_running_loop().call_exception_handler({"Error handling request", error, {}});
    if (!stream_open_) co_return error_response(500, {});
    // Too late for a status: the client sees the body cut short.
    stream_open_ = false;
    close_after_ = true;
    StreamResponse cut(shared_from_this());
    co_return Response(std::move(cut));
}

void ServerConnection::write_response(const Request& request, Response& response, bool close) {
    append_response(out_, request, response, close);
    if (ready_.empty() || out_.size() >= kDefaultHighWater) {
        flush();
    } else if (!flush_scheduled_) {
        // Pipelined requests are waiting: their responses join this one in one write, at the end
        // of this loop iteration (or sooner, when a handler waits).
        flush_scheduled_ = true;
        get_running_loop().call_soon([self = shared_from_this()] {
            self->flush_scheduled_ = false;
            self->flush();
        });
    }
}

void ServerConnection::flush() {
    if (out_.empty()) return;
    if (!lost_ && transport_) transport_->write(std::string_view(out_));
    out_.clear();
}

void ServerConnection::start_stream(Request& request, Response& head) {
    if (stream_open_ || lost_) {
        throw RuntimeError(lost_ ? "prepare(): the connection is lost"
                                 : "prepare(): the response is already prepared");
    }
    head_only_ = request.method == "HEAD";
    auto length = head.headers.get("Content-Length");
    std::uint64_t n = 0;
    if (length) {
        auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
        if (ec != std::errc() || end != length->data() + length->size())
            throw std::invalid_argument("prepare(): Content-Length is not a number");
    }
    stream_chunked_ = !length && request.version_minor >= 1;
    stream_sized_ = length.has_value();
    stream_left_ = n;
    // An HTTP/1.0 client without a length learns where the body ends from the close.
    if (!length && !stream_chunked_) close_after_ = true;
    const bool close = close_after_ || stopping_ || !request.keep_alive_;
    if (close) close_after_ = true;
    append_stream_head(out_, head, stream_chunked_, close);
    flush();
    stream_open_ = true;
}

Task<> ServerConnection::stream_write(std::string data) {
    if (!stream_open_) throw RuntimeError("write(): the response is not prepared, or ended");
    if (lost_) throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
    if (stream_sized_) {
        if (data.size() > stream_left_)
            throw RuntimeError("write(): more bytes than the Content-Length");
        stream_left_ -= data.size();
    }
    if (!head_only_ && !data.empty()) {
        if (stream_chunked_) {
            append_chunk_size(out_, data.size());
            out_ += data;
            out_ += "\r\n";
            flush();
        } else {
            flush();
            transport_->write(std::move(data));
        }
    }
    while (writing_paused_ && !lost_)
        co_await drain_waiter_.wait(aio::detail::OneWaiter::Call::read);
    if (lost_) throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
}

Task<> ServerConnection::stream_sendfile(int fd, std::uint64_t offset, std::uint64_t count) {
    if (!stream_open_) throw RuntimeError("sendfile(): the response is not prepared, or ended");
    if (stream_chunked_) throw RuntimeError("sendfile(): the head has no Content-Length");
    if (stream_sized_ && count > stream_left_)
        throw RuntimeError("sendfile(): more bytes than the Content-Length");
    if (lost_) throw std::system_error(ECONNRESET, std::generic_category(), "Connection lost");
    if (stream_sized_) stream_left_ -= count;
    if (head_only_ || count == 0) co_return;
    flush();
    co_await aio::sendfile(*transport_, fd, offset, count);
}

Task<> ServerConnection::stream_end() {
    if (!stream_open_) co_return;
    stream_open_ = false;
    if (stream_chunked_) {
        if (!head_only_ && !lost_) transport_->write(std::string_view("0\r\n\r\n"));
    } else if (stream_sized_ && stream_left_ > 0) {
        close_after_ = true;  // fewer bytes than announced: only a close can say so
    }
    co_return;
}

void ServerConnection::finish() {
    if (finished_) return;
    finished_ = true;
    flush();
    if (lost_ || !transport_) return;
    const bool input_pending =
        !websocket_ && (parse_failed_ || parse_paused_ || parsing_ || body_in_);
    if (input_pending && !peer_eof_ && transport_->can_write_eof()) {
        // Lingering close: the client may still be sending; read and drop it for a while.
        transport_->write_eof();
        reading_paused_ = false;
        transport_->resume_reading();
        deadline_ = get_running_loop().time() + kLingerTime;
        phase_ = Phase::idle;
        if (timer_armed_) timer_.cancel();
        timer_ = get_running_loop().call_at(deadline_, [this] {
            timer_armed_ = false;
            if (transport_) transport_->close();
        });
        timer_armed_ = true;
        return;
    }
    if (timer_armed_) timer_.cancel();
    timer_armed_ = false;
    transport_->close();
}

void ServerConnection::stop() {
    stopping_ = true;
    wake();
}

void ServerConnection::abort() {
    if (transport_ && !lost_) transport_->abort();
    if (!task_.done()) task_.cancel();
}

// ---- WebSocket ----

namespace {

// A Sec-WebSocket-Key is 16 bytes in base64: 24 characters ending in "==".
bool valid_key(std::string_view key) {
    if (key.size() != 24 || key.substr(22) != "==") return false;
    for (char c : key.substr(0, 22))
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
    return true;
}

}  // namespace

WebSocket ServerConnection::accept_websocket(Request& request, WebSocketOptions options) {
    if (websocket_ || stream_open_ || lost_)
        throw RuntimeError("websocket(): the connection is not in a state to be upgraded");
    const auto upgrade = request.headers.get("Upgrade");
    const auto connection = request.headers.get("Connection");
    const auto key = request.headers.get("Sec-WebSocket-Key");
    if (request.method != "GET" || !upgrade || !iequals(*upgrade, "websocket") || !connection ||
        !has_token(*connection, "upgrade") || !key || !valid_key(*key))
        throw HTTPException(400, "Not a valid WebSocket handshake");
    if (request.headers.get("Sec-WebSocket-Version") != std::optional<std::string_view>("13"))
        throw HTTPException(426, "WebSocket version 13 is the one spoken here");
    std::string protocol;
    if (auto offered = request.headers.get("Sec-WebSocket-Protocol")) {
        for (const auto& mine : options.protocols)
            if (has_token(*offered, mine)) {
                protocol = mine;
                break;
            }
    }
    out_ +=
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: ";
    out_ += websocket_accept(*key);
    out_ += "\r\n";
    if (!protocol.empty()) out_ += "Sec-WebSocket-Protocol: " + protocol + "\r\n";
    out_ += "\r\n";
    flush();
    websocket_ = std::make_shared<WebSocketCore>(false, *transport_, std::move(options), protocol);
    websocket_->on_done = [this] {
        if (transport_ && !lost_) transport_->close();
    };
    if (writing_paused_) websocket_->set_writing_paused();
    // Frames the client sent right behind its request are the WebSocket's.
    std::string early = std::move(backlog_);
    backlog_.clear();
    upgrade_paused_ = parse_paused_ = false;
    update_reading();
    if (!early.empty()) websocket_->feed(early);
    return WebSocket(websocket_);
}

// ---- deadlines: one timer, re-armed lazily (a request only moves the deadline) ----

void ServerConnection::set_phase(Phase phase) {
    phase_ = phase;
    if (phase == Phase::busy) return;
    deadline_ = get_running_loop().time() +
                (phase == Phase::idle ? options().keep_alive_timeout : options().header_timeout);
    arm_timer();
}

// The timer is never set further ahead than header_timeout, so that it fires in time for any
// deadline a later phase sets (a head's is header_timeout from then); it is not moved per request.
void ServerConnection::arm_timer() {
    if (timer_armed_ || lost_ || finished_) return;
    timer_armed_ = true;
    auto& loop = get_running_loop();
    timer_ = loop.call_at(std::min(deadline_, loop.time() + options().header_timeout), [this] {
        timer_armed_ = false;
        on_timer();
    });
}

void ServerConnection::on_timer() {
    if (phase_ == Phase::busy || lost_ || finished_) return;
    if (get_running_loop().time() < deadline_) {
        arm_timer();
        return;
    }
    if (phase_ == Phase::idle) {
        close_after_ = true;  // an idle connection goes quietly
        wake();
        return;
    }
    // The head of a request is too slow in coming (slowloris): 408, and the connection closes.
    parse_failed_ = true;
    parsing_.reset();
    queue_error(408);
    update_reading();
}

}  // namespace detail

// ---- Request's and StreamResponse's calls into the connection ----

const SocketAddress& Request::remote() const noexcept {
    static const SocketAddress none;
    return connection_ ? connection_->peer() : none;
}

Task<StreamResponse> Request::prepare(Response head) {
    if (!connection_) throw RuntimeError("prepare(): the request has no connection");
    connection_->start_stream(*this, head);
    co_return StreamResponse(connection_->shared_from_this());
}

StreamResponse::StreamResponse(std::shared_ptr<detail::ServerConnection> connection) noexcept
    : connection_(std::move(connection)) {}

StreamResponse::~StreamResponse() = default;

Task<> StreamResponse::write(std::string data) {
    co_await connection_->stream_write(std::move(data));
}

Task<WebSocket> Request::websocket() {
    return websocket(WebSocketOptions{});
}

Task<WebSocket> Request::websocket(WebSocketOptions options) {
    if (!connection_) throw RuntimeError("websocket(): the request has no connection");
    co_return connection_->accept_websocket(*this, std::move(options));
}

Task<> StreamResponse::sendfile(int fd, std::uint64_t offset, std::uint64_t count) {
    co_await connection_->stream_sendfile(fd, offset, count);
}

Task<> StreamResponse::write_eof() {
    co_await connection_->stream_end();
}

}  // namespace aio::http
