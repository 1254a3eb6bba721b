#include "aio/http/static_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <system_error>
#include <vector>

#include "aio/executor.hpp"
#include "aio/files.hpp"
#include "aio/http/url.hpp"
#include "response_writer.hpp"

namespace aio::http {

namespace {

// The route's file name, percent-decoded, as path segments; nullopt if it names something
// outside the directory or cannot be a file name.
std::optional<std::string> safe_relative_path(std::string_view encoded) {
    const std::string name = percent_decode(encoded);
    std::string out;
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t slash = name.find('/', start);
        if (slash == std::string::npos) slash = name.size();
        const std::string_view segment(name.data() + start, slash - start);
        if (segment == ".." || segment.find('\0') != std::string_view::npos) return std::nullopt;
        if (!segment.empty() && segment != ".") {
            if (!out.empty()) out += '/';
            out += segment;
        }
        start = slash + 1;
    }
    return out;
}

std::string html_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Python's http.server listing, in its words.
Task<Response> listing(std::string dir, std::string shown) {
    // (A directory is read on a worker thread: readdir has no io_uring request. The function is
    // named first: g++ 12 destroys a temporary made inside a co_await's arguments twice.)
    std::function<std::vector<std::string>()> read_names = [dir] {
        std::vector<std::string> found;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            found.push_back(entry.path().filename().string() + (entry.is_directory() ? "/" : ""));
        std::sort(found.begin(), found.end());
        return found;
    };
    std::vector<std::string> names = co_await to_thread(std::move(read_names));
    std::string title = "Directory listing for " + html_escape(shown);
    std::string body =
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + title +
        "</title>\n</head>\n<body>\n<h1>" + title + "</h1>\n<hr>\n<ul>\n";
    for (const auto& n : names)
        body += "<li><a href=\"" + html_escape(n) + "\">" + html_escape(n) + "</a></li>\n";
    body += "</ul>\n<hr>\n</body>\n</html>\n";
    co_return Response(std::move(body), 200, "text/html; charset=utf-8");
}

// "bytes=FIRST-LAST", "bytes=FIRST-", "bytes=-SUFFIX" of a file of `size` bytes: the offset and
// count, nullopt when unsatisfiable; the whole file (offset 0, count size) for a form this
// server does not serve (several ranges), which RFC 9110 allows.
struct ByteRange {
    std::uint64_t offset = 0, count = 0;
    bool partial = false;
};
std::optional<ByteRange> parse_range(std::string_view value, std::uint64_t size) {
    ByteRange whole{0, size, false};
    if (value.substr(0, 6) != "bytes=") return whole;
    value.remove_prefix(6);
    if (value.find(',') != std::string_view::npos) return whole;
    const auto dash = value.find('-');
    if (dash == std::string_view::npos) return whole;
    auto number = [](std::string_view s, std::uint64_t& n) {
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        return !s.empty() && ec == std::errc() && end == s.data() + s.size();
    };
    std::uint64_t first = 0, last = 0;
    if (dash == 0) {  // the last N bytes
        if (!number(value.substr(1), last) || last == 0 || size == 0) return std::nullopt;
        last = std::min(last, size);
        return ByteRange{size - last, last, true};
    }
    if (!number(value.substr(0, dash), first)) return whole;
    if (first >= size) return std::nullopt;
    if (dash + 1 == value.size()) return ByteRange{first, size - first, true};
    if (!number(value.substr(dash + 1), last) || last < first) return whole;
    last = std::min(last, size - 1);
    return ByteRange{first, last - first + 1, true};
}

Task<Response> serve_file(std::string root, Request& request) {
    auto relative = safe_relative_path(request.param("filename"));
    if (!relative) co_return Response("Not Found", 404);
    std::string path = root + "/" + *relative;
    FileStat st;
    try {
        st = co_await stat(path);
        if (S_ISDIR(st.mode)) {
            if (request.path().empty() || request.path().back() != '/') {
                Response moved("", 301, "");
                moved.headers.add("Location", std::string(request.path()) + "/");
                co_return moved;
            }
            bool has_index = true;
            try {
                st = co_await stat(path + "/index.html");
                path += "/index.html";
            } catch (const std::system_error&) {
                has_index = false;
            }
            if (!has_index) co_return co_await listing(path, std::string(request.path()));
        }
    } catch (const std::system_error& e) {
        if (e.code().value() == EACCES) co_return Response("Forbidden", 403);
        co_return Response("Not Found", 404);
    }
    if (!S_ISREG(st.mode)) co_return Response("Not Found", 404);

    char etag_text[64];
    std::snprintf(etag_text, sizeof etag_text, "\"%llx-%llx\"",
                  static_cast<unsigned long long>(st.mtime_ns),
                  static_cast<unsigned long long>(st.size));
    const std::string etag = etag_text;
    const std::time_t mtime = static_cast<std::time_t>(st.mtime_ns / 1000000000);
    const std::string last_modified = detail::http_date(mtime);
    auto validators = [&](Response& r) {
        r.headers.add("ETag", etag);
        r.headers.add("Last-Modified", last_modified);
    };
    // Conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    bool not_modified = false;
    if (auto inm = request.headers.get("If-None-Match")) {
        not_modified = *inm == "*" || inm->find(etag) != std::string_view::npos;
    } else if (auto ims = request.headers.get("If-Modified-Since")) {
        auto since = detail::parse_http_date(*ims);
        not_modified = since && mtime <= *since;
    }
    if (not_modified) {
        Response r("", 304, "");
        validators(r);
        co_return r;
    }
    std::optional<ByteRange> range = ByteRange{0, st.size, false};
    if (auto value = request.headers.get("Range")) range = parse_range(*value, st.size);
    if (!range) {
        Response r("Range Not Satisfiable", 416);
        r.headers.add("Content-Range", "bytes */" + std::to_string(st.size));
        co_return r;
    }
    File file;
    try {
        file = co_await open(path);
    } catch (const std::system_error& e) {
        if (e.code().value() == EACCES) co_return Response("Forbidden", 403);
        co_return Response("Not Found", 404);
    }
    Response head("", range->partial ? 206 : 200, std::string(content_type_for(path)));
    validators(head);
    head.headers.add("Accept-Ranges", "bytes");
    head.headers.add("Content-Length", std::to_string(range->count));
    if (range->partial)
        head.headers.add("Content-Range", "bytes " + std::to_string(range->offset) + "-" +
                                              std::to_string(range->offset + range->count - 1) +
                                              "/" + std::to_string(st.size));
    auto out = co_await request.prepare(std::move(head));
    co_await out.sendfile(file.fileno(), range->offset, range->count);
    co_await file.close();
    co_return out;
}

}  // namespace

Handler static_files(std::string directory) {
    while (directory.size() > 1 && directory.back() == '/')
        directory.pop_back();
    return [directory](Request& request) { return serve_file(directory, request); };
}

std::string_view content_type_for(std::string_view filename) noexcept {
    static const std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/markdown; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
        {".xml", "application/xml"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/vnd.microsoft.icon"},
        {".wasm", "application/wasm"},
        {".pdf", "application/pdf"},
        {".zip", "application/zip"},
        {".gz", "application/gzip"},
        {".tar", "application/x-tar"},
        {".mp4", "video/mp4"},
        {".webm", "video/webm"},
        {".mp3", "audio/mpeg"},
        {".woff", "font/woff"},
        {".woff2", "font/woff2"},
    };
    const auto dot = filename.rfind('.');
    const auto slash = filename.rfind('/');
    if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
        const std::string_view ext = filename.substr(dot);
        for (const auto& [e, type] : types)
            if (iequals(e, ext)) return type;
    }
    return "application/octet-stream";
}

}  // namespace aio::http
