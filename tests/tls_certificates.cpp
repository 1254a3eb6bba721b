#include "tls_certificates.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aio_test {

namespace {

struct Key {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    Key() {
        if (!pkey) throw std::runtime_error("EVP_EC_gen failed");
    }
    ~Key() { EVP_PKEY_free(pkey); }
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;
};

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw std::runtime_error("bad extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A certificate for key, signed by issuer_key (itself when issuer is null), valid from
// `from_days` to `to_days` days from now.
X509* make_certificate(const Key& key, const char* common_name, X509* issuer, const Key& issuer_key,
                       bool is_ca, long from_days, long to_days, long serial) {
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), from_days * 24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), to_days * 24 * 3600);
    X509_set_pubkey(cert, key.pkey);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("aio tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509* signer = issuer ? issuer : cert;
    if (is_ca) {
        add_extension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_extension(cert, signer, NID_basic_constraints, "CA:FALSE");
        add_extension(cert, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
        add_extension(cert, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    add_extension(cert, signer, NID_subject_key_identifier, "hash");
    if (!X509_sign(cert, issuer_key.pkey, EVP_sha256())) throw std::runtime_error("X509_sign");
    return cert;
}

std::string write_cert(const std::string& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    return path;
}

std::string write_key(const std::string& path, const Key& key) {
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_PrivateKey(f, key.pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    return path;
}

TlsFiles make_files() {
    TlsFiles out;
    char dir[] = "/tmp/aio-tls-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp");
    out.dir = dir;
    const Key ca_key, server_key, expired_key, self_key;
    X509* ca = make_certificate(ca_key, "aio test CA", nullptr, ca_key, true, -1, 3650, 1);
    X509* server = make_certificate(server_key, "localhost", ca, ca_key, false, -1, 365, 2);
    X509* expired = make_certificate(expired_key, "localhost", ca, ca_key, false, -30, -1, 3);
    X509* self = make_certificate(self_key, "localhost", nullptr, self_key, false, -1, 365, 4);
    out.ca_cert = write_cert(out.dir + "/ca.pem", ca);
    out.server_cert = write_cert(out.dir + "/server.pem", server);
    out.server_key = write_key(out.dir + "/server.key", server_key);
    out.expired_cert = write_cert(out.dir + "/expired.pem", expired);
    out.expired_key = write_key(out.dir + "/expired.key", expired_key);
    out.self_signed_cert = write_cert(out.dir + "/self.pem", self);
    out.self_signed_key = write_key(out.dir + "/self.key", self_key);
    for (X509* c : {ca, server, expired, self})
        X509_free(c);
    std::ifstream in(out.ca_cert);
    std::stringstream text;
    text << in.rdbuf();
    out.ca_pem = text.str();
    return out;
}

}  // namespace

const TlsFiles& tls_files() {
    static const TlsFiles files = [] {
        TlsFiles f = make_files();
        // (Removed at exit: the keys do not outlive the run.)
        static const std::string dir = f.dir;
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        });
        return f;
    }();
    return files;
}

aio::ssl::SSLContext server_context(const std::string& cert, const std::string& key) {
    auto ctx = aio::ssl::create_default_context(aio::ssl::Purpose::CLIENT_AUTH);
    ctx.load_cert_chain(cert, key);
    return ctx;
}

aio::ssl::SSLContext server_context() {
    return server_context(tls_files().server_cert, tls_files().server_key);
}

aio::ssl::SSLContext client_context() {
    return aio::ssl::create_default_context(aio::ssl::Purpose::SERVER_AUTH, tls_files().ca_cert);
}

const aio::ssl::SSLContext& server_ctx() {
    static const auto ctx = server_context();
    return ctx;
}

const aio::ssl::SSLContext& client_ctx() {
    static const auto ctx = client_context();
    return ctx;
}

}  // namespace aio_test
