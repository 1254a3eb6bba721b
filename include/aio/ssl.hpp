// TLS (Python's ssl module, as asyncio uses it): an SSLContext says how connections are secured
// and is given as `ssl` to open_connection, start_server, create_connection and create_server
// (and their Unix variants); the connection's bytes then go through OpenSSL over the plain
// transport. Contexts made by create_default_context() verify the peer's certificate and host
// name against the system's CA store, as Python's do:
//
//   auto ctx = aio::ssl::create_default_context();
//   auto [reader, writer] = co_await aio::open_connection("example.org", 443, {.ssl = ctx});
//
// SSL errors are std::system_error (Python's SSLError is an OSError) in aio::ssl::ssl_category().
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace aio::ssl {

// The library the errors come from: its codes are OpenSSL's SSL_get_error() values
// (SSL_ERROR_SSL = 1, SSL_ERROR_SYSCALL = 5, ...), as Python's SSLError.errno.
const std::error_category& ssl_category() noexcept;

// ssl.SSLError: what() is Python's text, "[SSL: WRONG_VERSION_NUMBER] wrong version number".
class SSLError : public std::system_error {
  public:
    SSLError(int code, std::string library, std::string reason, std::string message);
    const char* what() const noexcept override { return message_.c_str(); }
    // OpenSSL's names for where it failed and why ("SSL", "WRONG_VERSION_NUMBER").
    const std::string& library() const noexcept { return library_; }
    const std::string& reason() const noexcept { return reason_; }

  private:
    std::string library_, reason_, message_;
};

// ssl.SSLCertVerificationError: the peer's certificate did not check out.
class SSLCertVerificationError : public SSLError {
  public:
    SSLCertVerificationError(long verify_code, std::string verify_message);
    // OpenSSL's X509_V_ERR_* code and its text ("self-signed certificate", "certificate has
    // expired", "Hostname mismatch, certificate is not valid for 'x'.").
    long verify_code() const noexcept { return verify_code_; }
    const std::string& verify_message() const noexcept { return verify_message_; }

  private:
    long verify_code_;
    std::string verify_message_;
};

// ssl.PROTOCOL_TLS_CLIENT / PROTOCOL_TLS_SERVER.
enum class Side { client, server };
// ssl.Purpose: what the peer's certificate is checked for. SERVER_AUTH makes a client's
// context, CLIENT_AUTH a server's.
enum class Purpose { SERVER_AUTH, CLIENT_AUTH };
// ssl.VerifyMode.
enum class VerifyMode { CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED };
// ssl.TLSVersion.
enum class TLSVersion { MINIMUM_SUPPORTED, TLSv1, TLSv1_1, TLSv1_2, TLSv1_3, MAXIMUM_SUPPORTED };

// ssl.SSLContext. A handle: copies share one context (as Python's references do), so settings
// made on a copy apply to every connection made with it. A client context also keeps the last
// session of each server name and offers it on the next connection to that name (resumption;
// Python makes the caller pass `session=`): get_extra_info("session_reused") tells.
class SSLContext {
  public:
    // As Python's SSLContext(PROTOCOL_TLS_CLIENT): check_hostname on, CERT_REQUIRED, no CA
    // loaded yet; for a server: CERT_NONE. TLS 1.2 at least.
    explicit SSLContext(Side side = Side::client);

    Side side() const noexcept;
    // The certificate (chain) and private key this end presents; password for an encrypted
    // key. SSLError if the files cannot be read or the key does not match.
    void load_cert_chain(const std::string& certfile, const std::string& keyfile = "",
                         const std::string& password = "");
    // CA certificates to verify the peer with: a PEM file, a hashed directory, or PEM text.
    void load_verify_locations(const std::string& cafile = "", const std::string& capath = "",
                               const std::string& cadata = "");
    // The system's CA store (the ca-certificates package).
    void set_default_verify_paths();
    void load_default_certs() { set_default_verify_paths(); }

    bool check_hostname() const noexcept;
    // Turning it on makes verify_mode CERT_REQUIRED (as Python does).
    void set_check_hostname(bool on);
    VerifyMode verify_mode() const noexcept;
    // ValueError in Python, std::invalid_argument here: CERT_NONE while check_hostname is on.
    void set_verify_mode(VerifyMode mode);
    TLSVersion minimum_version() const noexcept;
    TLSVersion maximum_version() const noexcept;
    void set_minimum_version(TLSVersion v);
    void set_maximum_version(TLSVersion v);
    // OpenSSL's cipher list for TLS 1.2 and below (TLS 1.3's suites stay OpenSSL's defaults);
    // SSLError "No cipher can be selected." if nothing matches.
    void set_ciphers(const std::string& ciphers);
    // ALPN, in order of preference ("h2", "http/1.1"); get_extra_info("selected_alpn_protocol")
    // tells what was agreed.
    void set_alpn_protocols(const std::vector<std::string>& protocols);
    // A server's SNI callback: called with the name the client asked for (empty if none)
    // during the handshake; it may return another context whose certificate the connection
    // should use. Throwing refuses the handshake.
    using SNICallback = std::function<std::optional<SSLContext>(std::string_view server_name)>;
    void set_sni_callback(SNICallback callback);

    // For the transports: OpenSSL's SSL_CTX*, and the state behind this handle.
    void* native_handle() const noexcept;
    struct State;
    explicit SSLContext(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}
    const std::shared_ptr<State>& state() const noexcept { return state_; }

  private:
    std::shared_ptr<State> state_;
};

// ssl.create_default_context(purpose, cafile, capath, cadata): verification on, the system's CA
// store (or the given CAs instead) loaded; for CLIENT_AUTH a server context that asks nothing
// of its clients.
SSLContext create_default_context(Purpose purpose = Purpose::SERVER_AUTH,
                                  const std::string& cafile = "", const std::string& capath = "",
                                  const std::string& cadata = "");

// loop.start_tls's keyword arguments (and StreamWriter::start_tls's).
struct StartTLSOptions {
    bool server_side = false;
    // A client's: the name the certificate must be valid for, sent as SNI. (A view, so that the
    // options stay trivially destructible: see aio::ConnectOptions.)
    std::string_view server_hostname{};
    std::chrono::nanoseconds ssl_handshake_timeout = std::chrono::seconds(60);
    std::chrono::nanoseconds ssl_shutdown_timeout = std::chrono::seconds(30);
};

// The negotiated cipher, as Python's SSLSocket.cipher(): (name, protocol version, secret bits).
struct CipherInfo {
    std::string name;
    std::string version;
    int bits = 0;
};

// The peer's certificate, the parts Python's getpeercert() gives. get_extra_info("peercert")
// holds none when the peer sent none (Python's None), and an empty one when the context does
// not verify certificates (verify_mode CERT_NONE: Python's {}).
struct PeerCertificate {
    std::string subject;  // "CN=localhost,O=..." (RFC 2253)
    std::string issuer;
    std::string not_before, not_after;           // "Jan  1 00:00:00 2026 GMT"
    std::string serial_number;                   // hex
    std::vector<std::string> subject_alt_names;  // "DNS:localhost", "IP Address:127.0.0.1"
    std::string pem;                             // the certificate itself
};

}  // namespace aio::ssl
