#include "aio/http/response.hpp"

#include <cstdio>
#include <ctime>
#include <optional>
#include <vector>

#include "response_writer.hpp"

namespace aio::http {

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100:
            return "Continue";
        case 101:
            return "Switching Protocols";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 206:
            return "Partial Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 426:
            return "Upgrade Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

Response::Response(std::string body_text, int status_code, std::string type)
    : status(status_code), content_type(std::move(type)), body(std::move(body_text)) {}

Response Response::json(std::string json_text, int status_code) {
    return Response(std::move(json_text), status_code, "application/json");
}

Response::Response(StreamResponse&&) noexcept : streamed_(true) {}

Response::Response(WebSocket&&) noexcept : streamed_(true) {}

HTTPException::HTTPException(int status, std::string text)
    : std::runtime_error(std::to_string(status) + " " + std::string(reason_phrase(status))),
      status_(status),
      text_(std::move(text)) {}

namespace detail {

std::string http_date(std::time_t t) {
    static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[40];
    const int n = std::snprintf(text, sizeof text, "%s, %02d %s %d %02d:%02d:%02d GMT",
                                days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(text, n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
    std::tm tm{};
    const std::string s(text);
    const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end != '\0') return std::nullopt;
    return timegm(&tm);
}

namespace {

// "Date: Mon, 07 Dec 2026 16:43:53 GMT\r\n", formatted once a second per thread.
std::string_view date_field() {
    thread_local std::time_t cached_second = -1;
    thread_local std::string field;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        field = "Date: " + http_date(now) + "\r\n";
        cached_second = now;
    }
    return field;
}

void append_number(std::string& out, std::uint64_t n) {
    char digits[24];
    int i = sizeof digits;
    do {
        digits[--i] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n);
    out.append(digits + i, sizeof digits - static_cast<std::size_t>(i));
}

// "HTTP/1.1 200 OK\r\n", made once per status.
std::string_view status_line(int status) {
    static const auto lines = [] {
        std::vector<std::string> all(600);
        for (int s = 100; s < 600; ++s)
            all[static_cast<std::size_t>(s)] =
                "HTTP/1.1 " + std::to_string(s) + " " + std::string(reason_phrase(s)) + "\r\n";
        return all;
    }();
    return lines[static_cast<std::size_t>(status)];
}

bool owned_by_server(std::string_view name) noexcept {
    return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
           iequals(name, "Connection");
}

void append_head(std::string& out, const Response& response, bool close) {
    if (response.reason.empty() && response.status >= 100 && response.status < 600) {
        out += status_line(response.status);
    } else {
        out += "HTTP/1.1 ";
        append_number(out, static_cast<std::uint64_t>(response.status));
        out += ' ';
        out += response.reason.empty() ? reason_phrase(response.status) : response.reason;
        out += "\r\n";
    }
    if (!response.content_type.empty()) {
        out += "Content-Type: ";
        out += response.content_type;
        out += "\r\n";
    }
    bool has_date = false, has_server = false;
    for (const auto& [name, value] : response.headers) {
        if (owned_by_server(name)) continue;
        if (!response.content_type.empty() && iequals(name, "Content-Type")) continue;
        has_date = has_date || iequals(name, "Date");
        has_server = has_server || iequals(name, "Server");
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!has_date) out += date_field();
    if (!has_server) out += "Server: aio\r\n";
    if (close) out += "Connection: close\r\n";
}

bool has_no_body(int status) noexcept {
    return (status >= 100 && status < 200) || status == 204 || status == 304;
}

bool clean(std::string_view s) noexcept {
    for (char c : s)  // (not find_first_of: that is a memchr per character)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

}  // namespace

void append_response(std::string& out, const Request& request, const Response& response,
                     bool close) {
    append_head(out, response, close);
    if (!close && request.version_minor == 0) out += "Connection: keep-alive\r\n";
    const bool bodiless = has_no_body(response.status);
    if (!bodiless) {
        out += "Content-Length: ";
        append_number(out, response.body.size());
        out += "\r\n";
    }
    out += "\r\n";
    if (!bodiless && request.method != "HEAD") out += response.body;
}

void append_stream_head(std::string& out, const Response& head, bool chunked, bool close) {
    append_head(out, head, close);
    if (chunked) {
        out += "Transfer-Encoding: chunked\r\n";
    } else if (auto length = head.headers.get("Content-Length")) {
        out += "Content-Length: ";
        out += *length;
        out += "\r\n";
    }
    out += "\r\n";
}

void append_chunk_size(std::string& out, std::size_t size) {
    char hex[24];
    const int n = std::snprintf(hex, sizeof hex, "%zx\r\n", size);
    out.append(hex, static_cast<std::size_t>(n));
}

Response error_response(int status, std::string text) {
    if (text.empty()) text = std::string(reason_phrase(status));
    return Response(std::move(text), status);
}

bool has_valid_fields(const Response& response) noexcept {
    // (The fields were checked as they were added.)
    return clean(response.reason) && clean(response.content_type) && response.status >= 100 &&
           response.status <= 999;
}

bool wants_close(const Response& response) noexcept {
    auto connection = response.headers.get("Connection");
    return connection && iequals(*connection, "close");
}

}  // namespace detail
}  // namespace aio::http
