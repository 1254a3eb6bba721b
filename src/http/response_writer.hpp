// How responses are put on the wire: the status line, the handler's fields (checked), the
// fields the server owns (Date, Server, Content-Length, Connection), the body.
#pragma once
#include <cstddef>
#include <ctime>
#include <optional>
#include <string>

#include "aio/http/request.hpp"
#include "aio/http/response.hpp"

namespace aio::http::detail {

// The whole response, appended to out. HEAD and 1xx/204/304 answers have no body.
void append_response(std::string& out, const Request& request, const Response& response,
                     bool close);
// The head of a streamed response (chunked: Transfer-Encoding: chunked; else the head's own
// Content-Length, or none and a close).
void append_stream_head(std::string& out, const Response& head, bool chunked, bool close);
// A chunk's size line.
void append_chunk_size(std::string& out, std::size_t size);
// The response for an error status: the text (or the reason phrase) as text/plain.
Response error_response(int status, std::string text);
// The status, reason phrase and content type are fit to send (the fields were checked as they
// were added): no CR, LF or NUL, which would let a value inject fields.
bool has_valid_fields(const Response& response) noexcept;
// RFC 9110's date format ("Mon, 07 Dec 2026 16:43:53 GMT"), both ways (nullopt: not one).
std::string http_date(std::time_t t);
std::optional<std::time_t> parse_http_date(std::string_view text);
// The handler asked for the connection to close (Connection: close).
bool wants_close(const Response& response) noexcept;

}  // namespace aio::http::detail
