// A response body's Content-Encoding undone as it arrives (gzip, or deflate in its zlib or raw
// form), with zlib.
#pragma once
#include <zlib.h>

#include <string>
#include <string_view>

namespace aio::http::detail {

class Inflater {
  public:
    // gzip: true for "gzip", false for "deflate".
    explicit Inflater(bool gzip);
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    // The decoded bytes of the next piece; ClientPayloadError for data that is not the encoding.
    std::string feed(std::string_view data);
    // Whether the encoded stream ended properly.
    bool finished() const noexcept { return finished_; }

  private:
    z_stream z_{};
    bool gzip_;
    bool started_ = false;
    bool finished_ = false;
};

}  // namespace aio::http::detail
