#include "aio/http/application.hpp"

#include "aio/http/static_files.hpp"
#include "aio/http/url.hpp"

#include <charconv>
#include <stdexcept>

namespace aio::http {

namespace {

// "{name:.*}": the rest of the path.
bool is_tail(std::string_view segment) {
    return segment.size() > 5 && segment.front() == '{' &&
           segment.substr(segment.size() - 4) == ":.*}";
}

std::vector<std::string> split_pattern(const std::string& path) {
    if (path.empty() || path.front() != '/')
        throw std::invalid_argument("route path must start with '/': \"" + path + "\"");
    std::vector<std::string> segments;
    std::size_t start = 1;
    while (true) {
        const std::size_t slash = path.find('/', start);
        std::string segment = path.substr(start, slash - start);
        const auto brace = segment.find_first_of("{}");
        if (brace != std::string::npos &&
            (segment.size() < 3 || segment.front() != '{' || segment.back() != '}' ||
             segment.find_first_of("{}", 1) != segment.size() - 1))
            throw std::invalid_argument("a route segment with a parameter must be \"{name}\": \"" +
                                        path + "\"");
        const bool tail = is_tail(segment);
        if (segment.find(':') != std::string::npos && !tail)
            throw std::invalid_argument(
                "the only pattern a parameter may have is \".*\", in the "
                "last segment: \"" +
                path + "\"");
        segments.push_back(std::move(segment));
        if (slash == std::string::npos) break;
        if (tail)
            throw std::invalid_argument("a \"{name:.*}\" segment must be the last: \"" + path +
                                        "\"");
        start = slash + 1;
    }
    return segments;
}

}  // namespace

// ---- Request: the target's parts ----

std::string_view Request::path() const noexcept {
    std::string_view t = target;
    if (!t.empty() && t.front() != '/') {  // absolute-form: scheme://authority/path?query
        const auto scheme = t.find("://");
        if (scheme != std::string_view::npos) {
            const auto slash = t.find('/', scheme + 3);
            if (slash == std::string_view::npos) return "/";
            t.remove_prefix(slash);
        }
    }
    std::size_t end = 0;  // (not find_first_of: that is a memchr per character)
    while (end < t.size() && t[end] != '?' && t[end] != '#')
        ++end;
    return t.substr(0, end);
}

std::string_view Request::query_string() const noexcept {
    std::string_view t = target;
    const auto q = t.find('?');
    if (q == std::string_view::npos) return {};
    t.remove_prefix(q + 1);
    return t.substr(0, t.find('#'));
}

std::optional<std::string> Request::query(std::string_view name) const {
    std::string_view q = query_string();
    while (!q.empty()) {
        const auto amp = q.find('&');
        const std::string_view pair = q.substr(0, amp);
        const auto eq = pair.find('=');
        if (percent_decode(pair.substr(0, eq), true) == name)
            return eq == std::string_view::npos ? std::string()
                                                : percent_decode(pair.substr(eq + 1), true);
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    }
    return std::nullopt;
}

std::string_view Request::param(std::string_view name) const noexcept {
    for (const auto& [n, v] : match_info)
        if (n == name) return v;
    return {};
}

std::optional<std::uint64_t> Request::content_length() const noexcept {
    auto value = headers.get("Content-Length");
    if (!value) return std::nullopt;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
    return n;
}

// ---- Application ----

Application& Application::route(std::string method, std::string path, Handler handler) {
    if (!handler) throw std::invalid_argument("route handler is empty");
    auto segments = split_pattern(path);
    const bool has_parameters = path.find('{') != std::string::npos;
    routes_.push_back(Route{std::move(method), std::move(path), std::move(segments), has_parameters,
                            std::move(handler)});
    return *this;
}

Application& Application::get(std::string path, Handler handler) {
    return route("GET", std::move(path), std::move(handler));
}
Application& Application::post(std::string path, Handler handler) {
    return route("POST", std::move(path), std::move(handler));
}
Application& Application::put(std::string path, Handler handler) {
    return route("PUT", std::move(path), std::move(handler));
}
Application& Application::del(std::string path, Handler handler) {
    return route("DELETE", std::move(path), std::move(handler));
}
Application& Application::add_static(std::string prefix, std::string directory) {
    while (!prefix.empty() && prefix.back() == '/')
        prefix.pop_back();
    return get(prefix + "/{filename:.*}", static_files(std::move(directory)));
}

bool Application::match(const Route& route, std::string_view path, Request* request) const {
    if (!route.has_parameters) return path == route.pattern;
    if (path.empty() || path.front() != '/') return false;
    path.remove_prefix(1);
    std::size_t i = 0;
    while (true) {
        if (i == route.segments.size()) return false;
        const auto slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        const std::string& pattern = route.segments[i];
        if (is_tail(pattern)) {
            if (request)
                request->match_info.emplace_back(pattern.substr(1, pattern.size() - 5), path);
            return true;
        }
        if (!pattern.empty() && pattern.front() == '{') {
            if (segment.empty()) return false;
            if (request)
                request->match_info.emplace_back(pattern.substr(1, pattern.size() - 2), segment);
        } else if (segment != pattern) {
            return false;
        }
        ++i;
        if (slash == std::string_view::npos) return i == route.segments.size();
        path.remove_prefix(slash + 1);
    }
}

Task<Response> Application::handle(Request& request) const {
    const std::string_view path = request.path();
    std::string_view method = request.method;
    if (method == "HEAD") method = "GET";
    std::string allowed;
    for (const Route& route : routes_) {
        if (!match(route, path, nullptr)) continue;
        if (route.method == method || (route.method == "HEAD" && request.method == "HEAD")) {
            request.match_info.clear();
            match(route, path, &request);
            co_return co_await route.handler(request);
        }
        if (allowed.find(route.method) == std::string::npos)
            allowed += (allowed.empty() ? "" : ", ") + route.method;
    }
    if (allowed.empty()) co_return Response("Not Found", 404);
    Response response("Method Not Allowed", 405);
    response.headers.add("Allow", std::move(allowed));
    co_return response;
}

}  // namespace aio::http
