#include "inflate.hpp"

#include "aio/http/client.hpp"

namespace aio::http::detail {

Inflater::Inflater(bool gzip) : gzip_(gzip) {
    if (inflateInit2(&z_, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
        throw ClientPayloadError("cannot start decompressing");
}

Inflater::~Inflater() {
    inflateEnd(&z_);
}

std::string Inflater::feed(std::string_view data) {
    std::string out;
    if (finished_) return out;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    char chunk[16384];
    while (z_.avail_in > 0 || !finished_) {
        z_.next_out = reinterpret_cast<Bytef*>(chunk);
        z_.avail_out = sizeof chunk;
        int rc = inflate(&z_, Z_NO_FLUSH);
        if (rc == Z_DATA_ERROR && !gzip_ && !started_) {
            // "deflate" sent raw, without the zlib header many servers leave out.
            inflateEnd(&z_);
            z_ = z_stream{};
            if (inflateInit2(&z_, -MAX_WBITS) != Z_OK)
                throw ClientPayloadError("cannot start decompressing");
            z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
            z_.avail_in = static_cast<uInt>(data.size());
            started_ = true;
            continue;
        }
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            throw ClientPayloadError("cannot decode the body: " +
                                     std::string(z_.msg ? z_.msg : "bad data"));
        started_ = true;
        out.append(chunk, sizeof chunk - z_.avail_out);
        if (rc == Z_STREAM_END) finished_ = true;
        if (rc == Z_BUF_ERROR || (z_.avail_out != 0 && z_.avail_in == 0)) break;
    }
    return out;
}

}  // namespace aio::http::detail
