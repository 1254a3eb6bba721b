#include "ssl_transport.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <cerrno>
#include <climits>
#include <system_error>

#include "aio/errors.hpp"
#include "ssl_state.hpp"
#include "stream_transport.hpp"

namespace aio::detail {

namespace {

bool is_ip_address(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::exception_ptr connection_reset(const char* what) {
    return std::make_exception_ptr(std::system_error(ECONNRESET, std::generic_category(), what));
}

// Errors of the connection itself (Python's OSError, SSLError among them) end it quietly, as
// asyncio's _fatal_error only logs them in debug mode; anything else (a protocol's callback
// that threw) reaches the loop's exception handler.
bool is_connection_error(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::system_error&) {
        return true;
    } catch (const TimeoutError&) {
        return true;
    } catch (...) {
        return false;
    }
}

std::string name_text(X509_NAME* name) {
    BIO* bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    char* p = nullptr;
    const long n = BIO_get_mem_data(bio, &p);
    std::string out(p, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

std::string time_text(const ASN1_TIME* t) {
    BIO* bio = BIO_new(BIO_s_mem());
    ASN1_TIME_print(bio, t);
    char* p = nullptr;
    const long n = BIO_get_mem_data(bio, &p);
    std::string out(p, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

ssl::PeerCertificate describe(X509* cert) {
    ssl::PeerCertificate out;
    out.subject = name_text(X509_get_subject_name(cert));
    out.issuer = name_text(X509_get_issuer_name(cert));
    out.not_before = time_text(X509_get0_notBefore(cert));
    out.not_after = time_text(X509_get0_notAfter(cert));
    if (BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
        if (char* hex = BN_bn2hex(serial)) {
            out.serial_number = hex;
            OPENSSL_free(hex);
        }
        BN_free(serial);
    }
    auto* names =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS) {
            const auto* s = name->d.dNSName;
            out.subject_alt_names.push_back(
                "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                     static_cast<std::size_t>(ASN1_STRING_length(s))));
        } else if (name->type == GEN_IPADD) {
            const auto* s = name->d.iPAddress;
            char text[INET6_ADDRSTRLEN] = {};
            const int family = ASN1_STRING_length(s) == 4 ? AF_INET : AF_INET6;
            inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof text);
            out.subject_alt_names.push_back(std::string("IP Address:") + text);
        }
    }
    GENERAL_NAMES_free(names);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char* p = nullptr;
    const long n = BIO_get_mem_data(bio, &p);
    out.pem.assign(p, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

}  // namespace

std::shared_ptr<SSLTransport> SSLTransport::create(std::shared_ptr<BaseProtocol> app,
                                                   TLSOptions options,
                                                   HandshakeCallback on_handshake) {
    return std::make_shared<SSLTransport>(std::move(app), std::move(options),
                                          std::move(on_handshake));
}

SSLTransport::SSLTransport(std::shared_ptr<BaseProtocol> app, TLSOptions options,
                           HandshakeCallback on_handshake)
    : loop_(get_running_loop()),
      options_(std::move(options)),
      on_handshake_(std::move(on_handshake)) {
    const ssl::SSLContext& ctx = options_.context;
    if (options_.server_side != (ctx.side() == ssl::Side::server))
        throw std::invalid_argument(options_.server_side
                                        ? "Server side SSL needs a server-side SSLContext"
                                        : "a client connection needs a client-side SSLContext");
    if (!options_.server_side && ctx.check_hostname() && options_.server_hostname.empty())
        throw std::invalid_argument("check_hostname requires server_hostname");
    set_app(std::move(app));
    ssl_ = SSL_new(static_cast<SSL_CTX*>(ctx.native_handle()));
    if (!ssl_) ssl::detail::throw_from_queue("cannot create an SSL connection");
    incoming_ = BIO_new(BIO_s_mem());
    outgoing_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(incoming_, -1);  // "no more yet", not EOF: the peer's EOF is told apart
    SSL_set_bio(ssl_, incoming_, outgoing_);
    // One write goes whole into the outgoing BIO; a write OpenSSL defers (it wants to read first)
    // is retried from pending_, whose address may change.
    SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (options_.server_side) {
        SSL_set_accept_state(ssl_);
        return;
    }
    SSL_set_connect_state(ssl_);
    const std::string& host = options_.server_hostname;
    if (host.empty()) return;
    // The last session with this server name is offered for resumption; new ones are kept
    // under it (options_ outlives ssl_).
    SSL_set_ex_data(ssl_, ssl::detail::server_name_index(), &options_.server_hostname);
    if (SSL_SESSION* session = ctx.state()->session_for(host)) {
        SSL_set_session(ssl_, session);
        SSL_SESSION_free(session);
    }
    const bool ip = is_ip_address(host);
    if (!ip) SSL_set_tlsext_host_name(ssl_, host.c_str());  // SNI takes names only
    if (ctx.check_hostname()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                          : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
        if (ok != 1) ssl::detail::throw_from_queue("invalid server_hostname");
    }
}

SSLTransport::~SSLTransport() {
    handshake_timer_.cancel();
    shutdown_timer_.cancel();
    SSL_free(ssl_);  // (and both BIOs)
}

void SSLTransport::set_app(std::shared_ptr<BaseProtocol> app) {
    const auto [plain, buffered] = stream_protocol(app.get());
    app_plain_ = plain;
    app_buffered_ = buffered;
    app_ = std::move(app);
}

void SSLTransport::start_timer(TimerHandle& timer, Duration delay,
                               void (SSLTransport::*on_expiry)()) {
    timer = loop_.call_later(delay, [weak = weak_from_this(), on_expiry] {
        if (auto self = weak.lock()) ((*self).*on_expiry)();
    });
}

// ---- the transport below ----

void SSLTransport::connection_made(Transport& transport) {
    below_ = &transport;
    start_timer(handshake_timer_, options_.handshake_timeout, &SSLTransport::handshake_timed_out);
    do_handshake();  // a client's hello goes out now
}

void SSLTransport::data_received(std::string_view data) {
    if (phase_ == Phase::lost) return;
    while (!data.empty()) {
        const int n = BIO_write(incoming_, data.data(),
                                static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
        if (n <= 0) return fail(std::make_exception_ptr(std::bad_alloc()), "SSL buffer");
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    if (phase_ == Phase::handshaking) do_handshake();
    if (phase_ == Phase::open || phase_ == Phase::shutting_down) read_records();
}

// The peer's EOF without close_notify: during the handshake the connection was reset; after it,
// the end of the stream (asyncio reports it as connection_lost(None), not as an error). Either
// way the transport below closes.
bool SSLTransport::eof_received() {
    if (phase_ == Phase::handshaking)
        handshake_over(connection_reset("Connection lost during the SSL handshake"));
    return false;
}

void SSLTransport::connection_lost(std::exception_ptr exc) {
    const Phase was = std::exchange(phase_, Phase::lost);
    handshake_timer_.cancel();
    shutdown_timer_.cancel();
    below_ = nullptr;
    if (was == Phase::handshaking)
        handshake_over(exc ? exc : connection_reset("Connection lost during the SSL handshake"));
    on_handshake_ = nullptr;
    // (The application's protocol is let go: it may hold this transport.)
    auto app = std::move(app_);
    app_plain_ = nullptr;
    app_buffered_ = nullptr;
    if (app_connected_ && app) app->connection_lost(exc ? exc : error_);
}

void SSLTransport::pause_writing() {
    if (app_connected_ && app_) app_->pause_writing();
}

void SSLTransport::resume_writing() {
    if (app_connected_ && app_) app_->resume_writing();
}

// ---- the handshake ----

void SSLTransport::do_handshake() {
    const int r = SSL_do_handshake(ssl_);
    const int err = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    std::exception_ptr error;
    if (err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ) error = handshake_error(err);
    // The next flight, or the alert that says why it failed. A handshake step costs tens to
    // hundreds of microseconds of public-key work: its flight goes to the kernel now rather than
    // at the end of the loop's iteration, behind the steps of other connections (on io_uring,
    // batching them held every peer back and cost a sixth of the handshakes per second).
    if (send_records()) loop_.backend().submit();
    if (err == SSL_ERROR_WANT_READ) return;
    handshake_over(error);
}

// Why the handshake failed, as Python says it.
std::exception_ptr SSLTransport::handshake_error(int ssl_error) {
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
        ERR_clear_error();
        std::string message = X509_verify_cert_error_string(verify);
        if (verify == X509_V_ERR_HOSTNAME_MISMATCH)
            message = "Hostname mismatch, certificate is not valid for '" +
                      options_.server_hostname + "'.";
        else if (verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
            message = "IP address mismatch, certificate is not valid for '" +
                      options_.server_hostname + "'.";
        return std::make_exception_ptr(ssl::SSLCertVerificationError(verify, std::move(message)));
    }
    if (ssl_error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        return connection_reset("Connection lost during the SSL handshake");
    return std::make_exception_ptr(
        ssl::detail::error_from_queue(ssl_error, "SSL handshake failed"));
}

void SSLTransport::handshake_over(std::exception_ptr error) {
    if (phase_ == Phase::handshaking || phase_ == Phase::lost) {
        handshake_timer_.cancel();
        if (!error && phase_ == Phase::handshaking) phase_ = Phase::open;
    }
    auto callback = std::exchange(on_handshake_, nullptr);
    if (error) {
        // The connection closes after the alert (if any) is flushed; a close() from the
        // callback (a server's stream giving up) must not abort it.
        closing_ = true;
        if (below_) below_->close();
        if (callback) callback(error);
        if (!is_connection_error(error))
            loop_.call_exception_handler({"SSL handshake failed", error, {}});
        return;
    }
    if (callback) callback(nullptr);
    if (!app_ || closing_) return;
    app_connected_ = true;
    if (options_.call_connection_made) {
        try {
            app_->connection_made(*this);
        } catch (...) {
            return fail(std::current_exception(), "Fatal error: protocol.connection_made() failed");
        }
    }
    if (!pending_.empty() && phase_ == Phase::open) encrypt(std::exchange(pending_, {}));
}

void SSLTransport::handshake_timed_out() {
    if (phase_ != Phase::handshaking) return;
    // asyncio aborts with ConnectionAbortedError; the caller waiting for the handshake gets
    // TimeoutError, as the issue of the time asked.
    handshake_over(std::make_exception_ptr(TimeoutError()));
    if (below_) below_->abort();
}

void SSLTransport::shutdown_timed_out() {
    if (below_) below_->abort();  // the peer did not take the close_notify in time
}

// ---- reading ----

void SSLTransport::read_records() {
    static thread_local std::array<char, 16 * 1024> plain;
    while (phase_ != Phase::lost && app_) {
        std::span<char> into(plain);
        if (app_buffered_) {
            into = app_buffered_->get_buffer(plain.size());
            if (into.empty())
                return fail(
                    std::make_exception_ptr(RuntimeError("get_buffer() returned an empty buffer")),
                    "Fatal error on SSL transport");
        }
        const int n = SSL_read(ssl_, into.data(),
                               static_cast<int>(std::min<std::size_t>(into.size(), INT_MAX)));
        if (n > 0) {
            if (!app_connected_ || closing_) continue;  // (after close(): dropped, as asyncio)
            try {
                if (app_buffered_)
                    app_buffered_->buffer_updated(static_cast<std::size_t>(n));
                else
                    app_plain_->data_received(
                        std::string_view(into.data(), static_cast<std::size_t>(n)));
            } catch (...) {
                return fail(std::current_exception(),
                            "Fatal error: protocol.data_received() call failed.");
            }
            continue;
        }
        const int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ) break;
        if (err == SSL_ERROR_ZERO_RETURN) {  // the peer's close_notify: the end of its stream
            send_records();
            bool keep_open = false;
            if (app_connected_ && !closing_) {
                try {
                    keep_open = app_->eof_received();
                } catch (...) {
                    return fail(std::current_exception(),
                                "Fatal error: protocol.eof_received() call failed.");
                }
            }
            (void)keep_open;  // (TLS has no half-close: the connection ends either way)
            close();
            return;
        }
        return fail(std::make_exception_ptr(ssl::detail::error_from_queue(err, "SSL read failed")),
                    "Fatal error on SSL transport");
    }
    send_records();  // what reading made OpenSSL say (session tickets, key update answers)
    if (!pending_.empty() && phase_ == Phase::open) encrypt(std::exchange(pending_, {}));
}

// ---- writing ----

void SSLTransport::write(std::string_view data) {
    if (data.empty() || phase_ == Phase::lost || closing_) return;
    if (phase_ != Phase::open || !pending_.empty()) {
        pending_.append(data);
        return;
    }
    encrypt(data);
}

void SSLTransport::encrypt(std::string_view data) {
    while (!data.empty()) {
        const int n = SSL_write(ssl_, data.data(),
                                static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        const int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            pending_.append(data);  // retried after the peer's next records, never in a loop
            break;
        }
        send_records();
        return fail(std::make_exception_ptr(ssl::detail::error_from_queue(err, "SSL write failed")),
                    "Fatal error on SSL transport");
    }
    send_records();
}

// The records OpenSSL wrote go to the transport below, straight from the BIO's memory.
bool SSLTransport::send_records() {
    char* data = nullptr;
    const long n = BIO_get_mem_data(outgoing_, &data);
    if (n <= 0) return false;
    if (below_) below_->write(std::string_view(data, static_cast<std::size_t>(n)));
    (void)BIO_reset(outgoing_);
    return below_ != nullptr;
}

void SSLTransport::write_eof() {
    throw RuntimeError("SSL doesn't support half-closes");
}

std::size_t SSLTransport::get_write_buffer_size() const noexcept {
    return pending_.size() + (below_ ? below_->get_write_buffer_size() : 0);
}

void SSLTransport::write_limits_changed() {
    if (below_) below_->set_write_buffer_limits(high_water_, low_water_);
}

// ---- the rest of the application's transport ----

void SSLTransport::close() {
    if (closing_ || phase_ == Phase::lost) return;
    closing_ = true;
    if (!below_) return;
    if (phase_ == Phase::handshaking) {
        below_->abort();  // as asyncio: nothing was said yet worth a goodbye
        return;
    }
    if (!pending_.empty()) encrypt(std::exchange(pending_, {}));
    phase_ = Phase::shutting_down;
    SSL_shutdown(ssl_);  // close_notify; the peer's answer is not waited for
    send_records();
    ERR_clear_error();
    below_->close();
    start_timer(shutdown_timer_, options_.shutdown_timeout, &SSLTransport::shutdown_timed_out);
}

void SSLTransport::abort() {
    closing_ = true;
    pending_.clear();
    if (below_) below_->abort();
}

bool SSLTransport::is_closing() const noexcept {
    return closing_ || phase_ == Phase::lost;
}

void SSLTransport::set_protocol(std::shared_ptr<BaseProtocol> protocol) {
    set_app(std::move(protocol));
}

BaseProtocol* SSLTransport::get_protocol() const noexcept {
    return app_.get();
}

bool SSLTransport::is_reading() const noexcept {
    return below_ && below_->is_reading();
}

void SSLTransport::pause_reading() {
    if (below_) below_->pause_reading();
}

void SSLTransport::resume_reading() {
    if (below_) below_->resume_reading();
}

void SSLTransport::fail(std::exception_ptr error, const char* message) {
    if (!is_connection_error(error)) loop_.call_exception_handler({message, error, {}});
    if (!error_) error_ = error;
    closing_ = true;
    if (below_) below_->abort();
}

std::any SSLTransport::get_extra_info(std::string_view name) const {
    if (name == "sslcontext") return options_.context;
    if (name == "ssl_object") return ssl_;
    if (name == "compression") return {};
    if (name == "session_reused") return SSL_session_reused(ssl_) == 1;
    if (phase_ == Phase::handshaking) return below_ ? below_->get_extra_info(name) : std::any();
    if (name == "peercert") {
        X509* cert = SSL_get1_peer_certificate(ssl_);
        if (!cert) return {};
        // As Python's getpeercert(): a certificate that was not verified is not described.
        if (!(SSL_get_verify_mode(ssl_) & SSL_VERIFY_PEER)) {
            X509_free(cert);
            return ssl::PeerCertificate{};
        }
        ssl::PeerCertificate described = describe(cert);
        X509_free(cert);
        return described;
    }
    if (name == "cipher") {
        const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
        if (!cipher) return {};
        return ssl::CipherInfo{SSL_CIPHER_get_name(cipher), SSL_get_version(ssl_),
                               SSL_CIPHER_get_bits(cipher, nullptr)};
    }
    if (name == "selected_alpn_protocol") {
        const unsigned char* p = nullptr;
        unsigned len = 0;
        SSL_get0_alpn_selected(ssl_, &p, &len);
        if (len == 0) return {};
        return std::string(reinterpret_cast<const char*>(p), len);
    }
    return below_ ? below_->get_extra_info(name) : std::any();
}

}  // namespace aio::detail
