// The parts of an http(s) or ws(s) URL a client needs (the role yarl.URL plays for aiohttp):
// scheme, host, port (the scheme's default when absent) and the request target.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aio::http {

// A URL that cannot be requested (aiohttp's InvalidURL).
class InvalidURL : public std::invalid_argument {
  public:
    explicit InvalidURL(const std::string& url) : std::invalid_argument("invalid URL: " + url) {}
};

struct URL {
    std::string scheme;  // "http", "https", "ws", "wss" (lower case)
    std::string host;    // an IPv6 address without its brackets
    std::uint16_t port = 0;
    std::string target;  // path and query, "/" at least

    // InvalidURL for another scheme, no host, a bad port, or spaces or control characters.
    static URL parse(std::string_view text);
    bool secure() const noexcept { return scheme == "https" || scheme == "wss"; }
    bool default_port() const noexcept;
    // "host" or "host:port" (the port when not the scheme's), for the Host field.
    std::string authority() const;
    std::string to_string() const;
    // A Location: an absolute URL, "//host/...", "/path", or a path relative to this one.
    URL resolve(std::string_view location) const;
};

// %XX sequences decoded (a malformed one is kept as it is); with plus_is_space, '+' is a
// space, as in a query string (application/x-www-form-urlencoded).
std::string percent_decode(std::string_view text, bool plus_is_space = false);

}  // namespace aio::http
