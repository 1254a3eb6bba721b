// ssl.SSLContext over OpenSSL's SSL_CTX, with Python's defaults and error texts.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <stdexcept>

#include "aio/ssl.hpp"
#include "ssl_state.hpp"

namespace aio::ssl {

namespace {

class SSLCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "ssl"; }
    std::string message(int code) const override {
        switch (code) {
            case SSL_ERROR_SSL:
                return "SSL error";
            case SSL_ERROR_WANT_READ:
                return "the read operation did not complete";
            case SSL_ERROR_WANT_WRITE:
                return "the write operation did not complete";
            case SSL_ERROR_SYSCALL:
                return "EOF occurred in violation of protocol";
            case SSL_ERROR_ZERO_RETURN:
                return "TLS/SSL connection has been closed (EOF)";
            default:
                return "SSL error " + std::to_string(code);
        }
    }
};

// OpenSSL's library names as Python shows them ("SSL", not "SSL routines").
std::string library_name(unsigned long err) {
    switch (ERR_GET_LIB(err)) {
        case ERR_LIB_SSL:
            return "SSL";
        case ERR_LIB_X509:
            return "X509";
        case ERR_LIB_PEM:
            return "PEM";
        case ERR_LIB_SYS:
            return "SYS";
        case ERR_LIB_EVP:
            return "EVP";
        case ERR_LIB_ASN1:
            return "ASN1";
        default:
            if (const char* lib = ERR_lib_error_string(err)) return lib;
            return "SSL";
    }
}

// "wrong version number" -> "WRONG_VERSION_NUMBER", the mnemonic Python prints.
std::string mnemonic(const std::string& reason) {
    std::string out;
    for (char c : reason)
        out += c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

int to_openssl(TLSVersion v) {
    switch (v) {
        case TLSVersion::TLSv1:
            return TLS1_VERSION;
        case TLSVersion::TLSv1_1:
            return TLS1_1_VERSION;
        case TLSVersion::TLSv1_2:
            return TLS1_2_VERSION;
        case TLSVersion::TLSv1_3:
            return TLS1_3_VERSION;
        default:
            return 0;  // the library's lowest or highest
    }
}

TLSVersion from_openssl(long v, TLSVersion unset) {
    switch (v) {
        case TLS1_VERSION:
            return TLSVersion::TLSv1;
        case TLS1_1_VERSION:
            return TLSVersion::TLSv1_1;
        case TLS1_2_VERSION:
            return TLSVersion::TLSv1_2;
        case TLS1_3_VERSION:
            return TLSVersion::TLSv1_3;
        default:
            return unset;
    }
}

int password_callback(char* buf, int size, int, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    if (!password || password->empty() || static_cast<int>(password->size()) > size) return 0;
    password->copy(buf, password->size());
    return static_cast<int>(password->size());
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned in_len, void* arg) {
    const auto& wire = static_cast<SSLContext::State*>(arg)->alpn_wire;
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, out_len, wire.data(), static_cast<unsigned>(wire.size()), in,
                              in_len) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

int on_server_name(SSL* ssl, int* alert, void* arg) {
    auto* state = static_cast<SSLContext::State*>(arg);
    if (!state->sni) return SSL_TLSEXT_ERR_OK;
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    try {
        if (auto other = state->sni(name ? name : ""))
            SSL_set_SSL_CTX(ssl, static_cast<SSL_CTX*>(other->native_handle()));
        return SSL_TLSEXT_ERR_OK;
    } catch (...) {
        *alert = SSL_AD_HANDSHAKE_FAILURE;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
}

int on_new_session(SSL* ssl, SSL_SESSION* session) {
    const auto* name =
        static_cast<const std::string*>(SSL_get_ex_data(ssl, detail::server_name_index()));
    auto* state = static_cast<SSLContext::State*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (!name || name->empty() || !state) return 0;
    state->remember_session(*name, session);
    return 1;  // the cache owns the reference now
}

void apply_verify_mode(SSLContext::State& s) {
    int mode = SSL_VERIFY_NONE;
    if (s.verify_mode != VerifyMode::CERT_NONE) mode = SSL_VERIFY_PEER;
    if (s.verify_mode == VerifyMode::CERT_REQUIRED && s.side == Side::server)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(s.ctx, mode, nullptr);
}

}  // namespace

const std::error_category& ssl_category() noexcept {
    static const SSLCategory category;
    return category;
}

SSLError::SSLError(int code, std::string library, std::string reason, std::string message)
    : std::system_error(code, ssl_category(), message),
      library_(std::move(library)),
      reason_(std::move(reason)),
      message_(std::move(message)) {}

SSLCertVerificationError::SSLCertVerificationError(long verify_code, std::string verify_message)
    : SSLError(SSL_ERROR_SSL, "SSL", "CERTIFICATE_VERIFY_FAILED",
               "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + verify_message),
      verify_code_(verify_code),
      verify_message_(std::move(verify_message)) {}

namespace detail {

int server_name_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

SSLError error_from_queue(int code, const char* fallback) {
    const unsigned long err = ERR_peek_last_error();
    ERR_clear_error();
    if (err == 0) return SSLError(code, "SSL", "", fallback);
    const char* reason_text = ERR_reason_error_string(err);
    const std::string reason = reason_text ? reason_text : "unknown error";
    const std::string lib = library_name(err);
    return SSLError(code, lib, mnemonic(reason),
                    "[" + lib + ": " + mnemonic(reason) + "] " + reason);
}

[[noreturn]] void throw_from_queue(const char* fallback) {
    throw error_from_queue(SSL_ERROR_SSL, fallback);
}

}  // namespace detail

SSLContext::State::~State() {
    for (auto& [name, session] : sessions)
        SSL_SESSION_free(session);
    SSL_CTX_free(ctx);
}

void SSLContext::State::remember_session(const std::string& server_name, SSL_SESSION* session) {
    constexpr std::size_t kMaxSessions = 256;
    std::lock_guard lock(sessions_mutex);
    auto it = sessions.find(server_name);
    if (it != sessions.end()) {
        SSL_SESSION_free(it->second);
        it->second = session;
        return;
    }
    if (sessions.size() >= kMaxSessions) {  // (bounded: the oldest name goes)
        SSL_SESSION_free(sessions.begin()->second);
        sessions.erase(sessions.begin());
    }
    sessions.emplace(server_name, session);
}

SSL_SESSION* SSLContext::State::session_for(const std::string& server_name) {
    std::lock_guard lock(sessions_mutex);
    auto it = sessions.find(server_name);
    if (it == sessions.end() || !SSL_SESSION_is_resumable(it->second)) return nullptr;
    SSL_SESSION_up_ref(it->second);
    return it->second;
}

SSLContext::SSLContext(Side side) : state_(std::make_shared<State>()) {
    State& s = *state_;
    s.side = side;
    s.ctx = SSL_CTX_new(side == Side::client ? TLS_client_method() : TLS_server_method());
    if (!s.ctx) detail::throw_from_queue("cannot create an SSL context");
    SSL_CTX_set_min_proto_version(s.ctx, TLS1_2_VERSION);
    // Python's defaults, and no renegotiation (refused cleanly, never half-done); buffers are
    // let go while a connection is idle.
    SSL_CTX_set_options(
        s.ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(s.ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(s.ctx, &password_callback);
    static const unsigned char kSessionContext[] = "aio";
    SSL_CTX_set_session_id_context(s.ctx, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_app_data(s.ctx, &s);
    if (side == Side::client) {
        SSL_CTX_set_session_cache_mode(s.ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(s.ctx, &on_new_session);
    }
    s.check_hostname = side == Side::client;
    s.verify_mode = side == Side::client ? VerifyMode::CERT_REQUIRED : VerifyMode::CERT_NONE;
    apply_verify_mode(s);
}

Side SSLContext::side() const noexcept {
    return state_->side;
}

void SSLContext::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                                 const std::string& password) {
    State& s = *state_;
    SSL_CTX_set_default_passwd_cb_userdata(s.ctx, const_cast<std::string*>(&password));
    const bool ok =
        SSL_CTX_use_certificate_chain_file(s.ctx, certfile.c_str()) == 1 &&
        SSL_CTX_use_PrivateKey_file(s.ctx, (keyfile.empty() ? certfile : keyfile).c_str(),
                                    SSL_FILETYPE_PEM) == 1 &&
        SSL_CTX_check_private_key(s.ctx) == 1;
    SSL_CTX_set_default_passwd_cb_userdata(s.ctx, nullptr);
    if (!ok) detail::throw_from_queue("cannot load the certificate chain");
}

void SSLContext::load_verify_locations(const std::string& cafile, const std::string& capath,
                                       const std::string& cadata) {
    State& s = *state_;
    if (cafile.empty() && capath.empty() && cadata.empty())
        throw std::invalid_argument("cafile, capath and cadata cannot be all omitted");
    if ((!cafile.empty() || !capath.empty()) &&
        SSL_CTX_load_verify_locations(s.ctx, cafile.empty() ? nullptr : cafile.c_str(),
                                      capath.empty() ? nullptr : capath.c_str()) != 1)
        detail::throw_from_queue("cannot load the verify locations");
    if (cadata.empty()) return;
    BIO* bio = BIO_new_mem_buf(cadata.data(), static_cast<int>(cadata.size()));
    X509_STORE* store = SSL_CTX_get_cert_store(s.ctx);
    int loaded = 0;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, cert);
        X509_free(cert);
        ++loaded;
    }
    BIO_free(bio);
    ERR_clear_error();  // (the end of the text reads as "no start line")
    if (loaded == 0)
        throw SSLError(SSL_ERROR_SSL, "X509", "NO_CERTIFICATE_OR_CRL_FOUND",
                       "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found");
}

void SSLContext::set_default_verify_paths() {
    if (SSL_CTX_set_default_verify_paths(state_->ctx) != 1)
        detail::throw_from_queue("cannot load the default verify paths");
}

bool SSLContext::check_hostname() const noexcept {
    return state_->check_hostname;
}

void SSLContext::set_check_hostname(bool on) {
    State& s = *state_;
    if (on && s.verify_mode == VerifyMode::CERT_NONE) {
        s.verify_mode = VerifyMode::CERT_REQUIRED;
        apply_verify_mode(s);
    }
    s.check_hostname = on;
}

VerifyMode SSLContext::verify_mode() const noexcept {
    return state_->verify_mode;
}

void SSLContext::set_verify_mode(VerifyMode mode) {
    State& s = *state_;
    if (mode == VerifyMode::CERT_NONE && s.check_hostname)
        throw std::invalid_argument(
            "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
    s.verify_mode = mode;
    apply_verify_mode(s);
}

TLSVersion SSLContext::minimum_version() const noexcept {
    return from_openssl(SSL_CTX_get_min_proto_version(state_->ctx), TLSVersion::MINIMUM_SUPPORTED);
}

TLSVersion SSLContext::maximum_version() const noexcept {
    return from_openssl(SSL_CTX_get_max_proto_version(state_->ctx), TLSVersion::MAXIMUM_SUPPORTED);
}

void SSLContext::set_minimum_version(TLSVersion v) {
    if (SSL_CTX_set_min_proto_version(state_->ctx, to_openssl(v)) != 1)
        detail::throw_from_queue("unsupported protocol version");
}

void SSLContext::set_maximum_version(TLSVersion v) {
    if (SSL_CTX_set_max_proto_version(state_->ctx, to_openssl(v)) != 1)
        detail::throw_from_queue("unsupported protocol version");
}

void SSLContext::set_ciphers(const std::string& ciphers) {
    if (SSL_CTX_set_cipher_list(state_->ctx, ciphers.c_str()) != 1) {
        ERR_clear_error();
        throw SSLError(SSL_ERROR_SSL, "SSL", "", "No cipher can be selected.");
    }
}

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
    State& s = *state_;
    std::vector<unsigned char> wire;
    for (const auto& p : protocols) {
        if (p.empty() || p.size() > 255)
            throw std::invalid_argument("an ALPN protocol name is 1 to 255 bytes long");
        wire.push_back(static_cast<unsigned char>(p.size()));
        wire.insert(wire.end(), p.begin(), p.end());
    }
    s.alpn_wire = std::move(wire);
    if (s.side == Side::client) {
        // (0 is success here)
        if (SSL_CTX_set_alpn_protos(s.ctx, s.alpn_wire.data(),
                                    static_cast<unsigned>(s.alpn_wire.size())) != 0)
            detail::throw_from_queue("cannot set the ALPN protocols");
    } else {
        SSL_CTX_set_alpn_select_cb(s.ctx, &select_alpn, &s);
    }
}

void SSLContext::set_sni_callback(SNICallback callback) {
    State& s = *state_;
    s.sni = std::move(callback);
    SSL_CTX_set_tlsext_servername_callback(s.ctx, &on_server_name);
    SSL_CTX_set_tlsext_servername_arg(s.ctx, &s);
}

void* SSLContext::native_handle() const noexcept {
    return state_->ctx;
}

SSLContext create_default_context(Purpose purpose, const std::string& cafile,
                                  const std::string& capath, const std::string& cadata) {
    SSLContext ctx(purpose == Purpose::SERVER_AUTH ? Side::client : Side::server);
    if (!cafile.empty() || !capath.empty() || !cadata.empty())
        ctx.load_verify_locations(cafile, capath, cadata);
    else if (ctx.verify_mode() != VerifyMode::CERT_NONE)
        ctx.set_default_verify_paths();
    return ctx;
}

}  // namespace aio::ssl
