// TLS on the transport seam (asyncio's SSLProtocol and _SSLProtocolTransport in one object): a
// Protocol to the transport below it, which carries the encrypted bytes, and a Transport to the
// application's protocol above it, which sees plain bytes. OpenSSL works on memory BIOs, so the
// layer below may be any transport (a socket's on either backend, a pipe's, another TLS layer)
// and the layers above do not notice.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "aio/loop.hpp"
#include "aio/protocols.hpp"
#include "aio/ssl.hpp"
#include "aio/time.hpp"
#include "aio/transports.hpp"

// OpenSSL's SSL and BIO (only the .cpp includes OpenSSL).
struct ssl_st;
struct bio_st;

namespace aio::detail {

struct TLSOptions {
    ssl::SSLContext context;
    bool server_side = false;
    std::string server_hostname;  // a client's: sent as SNI and checked against the certificate
    Duration handshake_timeout = std::chrono::seconds(60);  // asyncio's defaults
    Duration shutdown_timeout = std::chrono::seconds(30);
    // False for start_tls: the application's protocol had its connection_made already.
    bool call_connection_made = true;
};

// The handshake's outcome: null when it succeeded, else why it failed (SSLError,
// SSLCertVerificationError, TimeoutError, std::system_error for a lost connection).
using HandshakeCallback = std::function<void(std::exception_ptr)>;

class SSLTransport final : public Transport,
                           public Protocol,
                           public std::enable_shared_from_this<SSLTransport> {
  public:
    // app gets connection_made once the handshake has succeeded; a handshake that fails ends
    // the connection without it. std::invalid_argument for a client context that checks host
    // names without server_hostname.
    static std::shared_ptr<SSLTransport> create(std::shared_ptr<BaseProtocol> app,
                                                TLSOptions options,
                                                HandshakeCallback on_handshake = nullptr);
    SSLTransport(std::shared_ptr<BaseProtocol> app, TLSOptions options,
                 HandshakeCallback on_handshake);
    ~SSLTransport() override;

    // ---- Transport (the application's side) ----
    void close() override;
    bool is_closing() const noexcept override;
    void set_protocol(std::shared_ptr<BaseProtocol> protocol) override;
    BaseProtocol* get_protocol() const noexcept override;
    // "sslcontext", "ssl_object" (SSL*), "peercert" (ssl::PeerCertificate), "cipher"
    // (ssl::CipherInfo), "compression" (none), "selected_alpn_protocol" (std::string),
    // "session_reused" (bool: the handshake resumed an earlier session), and
    // what the transport below knows ("peername", "sockname", "socket").
    std::any get_extra_info(std::string_view name) const override;
    void abort() override;
    std::size_t get_write_buffer_size() const noexcept override;
    bool is_reading() const noexcept override;
    void pause_reading() override;
    void resume_reading() override;
    void write(std::string_view data) override;
    // RuntimeError: TLS has no half-close (asyncio: "SSL doesn't support half-closes").
    void write_eof() override;
    bool can_write_eof() const noexcept override { return false; }

    // ---- Protocol (the side of the transport below) ----
    void connection_made(Transport& transport) override;
    void data_received(std::string_view data) override;
    bool eof_received() override;
    void connection_lost(std::exception_ptr exc) override;
    void pause_writing() override;
    void resume_writing() override;

  private:
    enum class Phase : unsigned char { handshaking, open, shutting_down, lost };

    void write_limits_changed() override;
    void do_handshake();
    void handshake_over(std::exception_ptr error);
    std::exception_ptr handshake_error(int ssl_error);
    void read_records();
    void encrypt(std::string_view data);
    bool send_records();  // true if records went to the transport below
    void fail(std::exception_ptr error, const char* message);
    void set_app(std::shared_ptr<BaseProtocol> app);
    void start_timer(TimerHandle& timer, Duration delay, void (SSLTransport::*on_expiry)());
    void handshake_timed_out();
    void shutdown_timed_out();

    EventLoop& loop_;
    TLSOptions options_;
    ssl_st* ssl_ = nullptr;
    bio_st* incoming_ = nullptr;  // records from the peer (owned by ssl_)
    bio_st* outgoing_ = nullptr;  // records for the peer
    Transport* below_ = nullptr;  // between connection_made and connection_lost
    std::shared_ptr<BaseProtocol> app_;
    Protocol* app_plain_ = nullptr;
    BufferedProtocol* app_buffered_ = nullptr;
    HandshakeCallback on_handshake_;
    std::exception_ptr error_;  // why fail() ended the connection, for connection_lost
    std::string pending_;  // written before the handshake ended, or while OpenSSL wants to read
    TimerHandle handshake_timer_;
    TimerHandle shutdown_timer_;
    Phase phase_ = Phase::handshaking;
    bool closing_ = false;        // close() or abort() called by the application
    bool app_connected_ = false;  // the app's connection_made has run
};

}  // namespace aio::detail
