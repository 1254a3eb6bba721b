// aio::http: HTTP/1.1 on aio's transports (the aiohttp role). Link aio::http.
#pragma once
#include "aio/http/application.hpp"
#include "aio/http/client.hpp"
#include "aio/http/headers.hpp"
#include "aio/http/request.hpp"
#include "aio/http/response.hpp"
#include "aio/http/server.hpp"
#include "aio/http/static_files.hpp"
#include "aio/http/url.hpp"
#include "aio/http/websocket.hpp"
