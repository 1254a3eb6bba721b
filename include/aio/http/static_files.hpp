// Files from a directory (aiohttp's app.router.add_static, Python's http.server): sent with
// sendfile(2), with Content-Type from the name, Last-Modified and ETag, conditional requests
// (If-None-Match, If-Modified-Since: 304), single byte ranges (Range: 206, 416), HEAD, and
// directories as their index.html or a listing.
#pragma once
#include <string>

#include "aio/http/application.hpp"

namespace aio::http {

// A handler serving the file named by the route's "filename" parameter (a "{filename:.*}" tail)
// under `directory`. A name that climbs out of the directory ("..") is 404, as a missing file
// is; an unreadable one is 403.
Handler static_files(std::string directory);

// The Content-Type for a file name, by its extension ("application/octet-stream" when unknown).
std::string_view content_type_for(std::string_view filename) noexcept;

}  // namespace aio::http
