// The routes of a web application (aiohttp's web.Application and its router): a handler per
// method and path pattern, where "{name}" matches one path segment and gives it to the handler
// as a path parameter, and a last segment "{name:.*}" matches the rest of the path. A request no
// route matches gets 404; a path some route has but not for this method gets 405 with Allow; HEAD
// is served by the GET route, without the body.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aio/http/request.hpp"
#include "aio/http/response.hpp"
#include "aio/task.hpp"

namespace aio::http {

// A handler is a coroutine given the request (valid until it returns) and answering a Response.
using Handler = std::function<Task<Response>(Request&)>;

class Application {
  public:
    // Adds a route; the first route added that matches wins. std::invalid_argument for a path
    // that does not start with '/' or a pattern segment that is not "{name}" whole.
    Application& route(std::string method, std::string path, Handler handler);
    Application& get(std::string path, Handler handler);
    Application& post(std::string path, Handler handler);
    Application& put(std::string path, Handler handler);
    Application& del(std::string path, Handler handler);  // DELETE
    // aiohttp's add_static: GET (and HEAD) of prefix/NAME serve the file NAME under directory
    // (aio/http/static_files.hpp).
    Application& add_static(std::string prefix, std::string directory);

    // Finds the route for the request (filling request.match_info) and runs its handler; the
    // 404/405 answer when there is none.
    Task<Response> handle(Request& request) const;

  private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;  // a "{name}" segment captures; "{name:.*}" the rest
        bool has_parameters = false;        // else the path is compared whole
        Handler handler;
    };
    bool match(const Route& route, std::string_view path, Request* request) const;
    std::vector<Route> routes_;
};

}  // namespace aio::http
