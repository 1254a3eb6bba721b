#include "aio/http/url.hpp"

#include <charconv>

namespace aio::http {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::uint16_t scheme_port(std::string_view scheme) {
    return scheme == "https" || scheme == "wss" ? 443 : 80;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (plus_is_space && s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

URL URL::parse(std::string_view text) {
    const std::string whole(text);
    for (unsigned char c : text)
        if (c <= 0x20 || c == 0x7F) throw InvalidURL(whole);
    URL url;
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) throw InvalidURL(whole);
    for (char c : text.substr(0, colon))
        url.scheme += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (url.scheme != "http" && url.scheme != "https" && url.scheme != "ws" && url.scheme != "wss")
        throw InvalidURL(whole);
    std::string_view rest = text.substr(colon + 3);
    const auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);  // (credentials are not sent)
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) throw InvalidURL(whole);
        url.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') throw InvalidURL(whole);
            port_text = authority.substr(close + 2);
        }
    } else {
        const auto port_colon = authority.rfind(':');
        url.host = authority.substr(0, port_colon);
        if (port_colon != std::string_view::npos) port_text = authority.substr(port_colon + 1);
    }
    if (url.host.empty()) throw InvalidURL(whole);
    url.port = scheme_port(url.scheme);
    if (!port_text.empty()) {
        unsigned value = 0;
        auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            throw InvalidURL(whole);
        url.port = static_cast<std::uint16_t>(value);
    }
    target = target.substr(0, target.find('#'));  // a fragment is not sent
    if (target.empty() || target.front() != '/') url.target = '/';
    url.target.append(target);
    return url;
}

bool URL::default_port() const noexcept {
    return port == scheme_port(scheme);
}

std::string URL::authority() const {
    std::string a;
    if (host.find(':') != std::string::npos) {
        a += '[';
        a += host;
        a += ']';
    } else {
        a = host;
    }
    if (!default_port()) {
        a += ':';
        a += std::to_string(port);
    }
    return a;
}

std::string URL::to_string() const {
    std::string text = scheme;
    text += "://";
    text += authority();
    text += target;
    return text;
}

URL URL::resolve(std::string_view location) const {
    if (location.find("://") != std::string_view::npos) return parse(location);
    if (location.substr(0, 2) == "//") {
        std::string absolute = scheme;
        absolute += ':';
        absolute += location;
        return parse(absolute);
    }
    URL next = *this;
    if (!location.empty() && location.front() == '/') {
        next.target = std::string(location);
    } else {
        std::string base = target.substr(0, target.find('?'));
        next.target = base.substr(0, base.rfind('/') + 1);
        next.target += location;
    }
    next.target = next.target.substr(0, next.target.find('#'));
    return next;
}

}  // namespace aio::http
