// One HTTP/1.1 connection of the server: a Protocol on the connection's transport that parses
// with llhttp as bytes arrive and queues the requests whose head is complete; a task that takes
// them one at a time, runs the handler and writes the response. Responses thus go out in the
// order of the requests (pipelining); those of requests that were already waiting go out
// together, in one write.
#pragma once
#include <llhttp.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "aio/detail/one_waiter.hpp"
#include "aio/http/request.hpp"
#include "aio/http/server.hpp"
#include "aio/locks.hpp"
#include "aio/loop.hpp"
#include "aio/protocols.hpp"
#include "aio/tasks.hpp"
#include "aio/transports.hpp"
#include "body.hpp"
#include "websocket_core.hpp"

namespace aio::http {

// What the server and its connections share.
struct Server::State {
    Application app;
    ServerOptions options;
    std::optional<aio::Server> listener;
    std::vector<detail::ServerConnection*> connections;
    bool stopping = false;
    Event all_closed;  // stopping, and every connection's task has ended

    void connection_ended(detail::ServerConnection* c) noexcept;
};

namespace detail {

class ServerConnection final : public Protocol,
                               public BodySource,
                               public std::enable_shared_from_this<ServerConnection> {
  public:
    explicit ServerConnection(std::shared_ptr<Server::State> server);
    ~ServerConnection() override;

    void connection_made(Transport& transport) override;
    void data_received(std::string_view data) override;
    bool eof_received() override;
    void connection_lost(std::exception_ptr exc) override;
    void pause_writing() override;
    void resume_writing() override;

    const ServerOptions& options() const noexcept { return server_->options; }
    const SocketAddress& peer() const noexcept { return peer_; }
    // From the body a handler reads.
    void send_continue() override;
    void body_wanted(Body& body) override;
    void body_consumed(Body& body) override;
    Duration body_timeout() const override { return options().body_timeout; }
    // From StreamResponse.
    void start_stream(Request& request, Response& head);
    // The transport a stream's sendfile goes through (null once lost).
    Transport* transport() const noexcept { return lost_ ? nullptr : transport_; }
    Task<> stream_write(std::string data);
    Task<> stream_sendfile(int fd, std::uint64_t offset, std::uint64_t count);
    Task<> stream_end();
    // From Request::websocket: the handshake answered, the connection's bytes go to the
    // WebSocket from then on.
    WebSocket accept_websocket(Request& request, WebSocketOptions options);
    // Graceful shutdown: idle now, closed now; else after the response in progress.
    void stop();
    // Past the shutdown's grace.
    void abort();

  private:
    struct Pending {
        std::unique_ptr<Request> request;
        int error_status = 0;  // the request could not be parsed: answer this, then close
    };
    enum class Phase : unsigned char { idle, head, busy };

    // llhttp's callbacks.
    static int on_message_begin(llhttp_t* p);
    static int on_url(llhttp_t* p, const char* at, std::size_t n);
    static int on_method(llhttp_t* p, const char* at, std::size_t n);
    static int on_header_field(llhttp_t* p, const char* at, std::size_t n);
    static int on_header_value(llhttp_t* p, const char* at, std::size_t n);
    static int on_headers_complete(llhttp_t* p);
    static int on_body(llhttp_t* p, const char* at, std::size_t n);
    static int on_message_complete(llhttp_t* p);
    static const llhttp_settings_t settings;
    static ServerConnection& of(llhttp_t* p) { return *static_cast<ServerConnection*>(p->data); }

    void parse(std::string_view data);
    int reject(int status);  // from a callback: the request is answered with status
    int headers_complete();
    void parse_failed(llhttp_errno_t err, std::string_view data);
    void queue_error(int status);
    void update_reading();
    void resume_parsing();

    Task<> run(std::shared_ptr<ServerConnection> self);
    Task<Response> respond(Request& request);
    void recycle(std::unique_ptr<Request> request);
    void write_response(const Request& request, Response& response, bool close);
    void flush();
    void finish();
    void set_phase(Phase phase);
    void arm_timer();
    void on_timer();
    void wake() { waiter_.wake(); }

    std::shared_ptr<Server::State> server_;
    Transport* transport_ = nullptr;
    SocketAddress peer_;
    llhttp_t parser_{};
    TaskHandle<> task_;
    aio::detail::OneWaiter waiter_;

    // The request being parsed, and the body being received. Requests answered are kept for
    // the next ones (their strings and vectors keep their memory), as many as may be queued.
    std::unique_ptr<Request> parsing_;
    std::vector<std::unique_ptr<Request>> spares_;
    std::shared_ptr<Body> body_in_;
    std::string field_;  // a trailer field's (dropped)
    std::string value_;
    std::size_t field_size_ = 0;
    bool field_open_ = false;  // a field's name has begun, its value not ended
    std::uint64_t body_bytes_ = 0;
    std::size_t trailers_ = 0;
    int reject_status_ = 0;  // a callback's verdict on the request
    std::deque<Pending> ready_;
    std::string backlog_;  // bytes not parsed yet while parsing is paused (too many queued)
    bool parse_paused_ = false;
    bool upgrade_paused_ = false;  // after a request asking for an upgrade, until it is answered
    std::shared_ptr<WebSocketCore> websocket_;
    bool parse_failed_ = false;
    bool body_full_ = false;
    bool reading_paused_ = false;

    // The response side.
    std::string out_;
    bool flush_scheduled_ = false;
    bool writing_paused_ = false;
    aio::detail::OneWaiter drain_waiter_;
    bool stream_open_ = false;
    bool stream_chunked_ = false;
    bool head_only_ = false;
    bool stream_sized_ = false;      // the head has a Content-Length
    std::uint64_t stream_left_ = 0;  // of it
    bool close_after_ = false;

    Phase phase_ = Phase::head;
    TimePoint deadline_{};
    TimerHandle timer_;
    bool timer_armed_ = false;
    bool peer_eof_ = false;
    bool lost_ = false;
    bool stopping_ = false;
    bool finished_ = false;
    bool handling_ = false;
};

}  // namespace detail
}  // namespace aio::http
