// The talks' chatbot: one chat room for terminal clients (TCP, a line per message) and browsers
// (the page at http://HOST:WEB_PORT/, which talks WebSocket to /ws). The first line a client
// sends is its nickname; every line after it goes to everyone else as "nick: text". /who lists
// the room, /nick NEW renames, /quit leaves; joins and leaves are announced; the bot answers
// !time and !help. A client that falls too far behind (kMaxBehind bytes waiting for it) is
// disconnected, so that it never holds up the others. SIGINT or SIGTERM tell everyone and end
// the server. Prints "Serving on HOST:PORT" and "Web page on http://HOST:WEB_PORT/".
//   chat_server [--host 127.0.0.1] [--port 8888] [--web-port 8080] [--backend io_uring|epoll]
#include <aio/aio.hpp>
#include <aio/http.hpp>

#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chat_page.hpp"

namespace http = aio::http;

namespace {

// What may wait for one client (beyond its transport's buffer); a client with more is dropped.
// (Bytes, not lines: a busy room sends anyone bursts of short lines. Enough for a client that
// reads to ride out a flood; a client that stopped reading reaches it.)
constexpr std::size_t kMaxBehind = 4 * 1024 * 1024;
// Longer messages are cut to this many bytes.
constexpr std::size_t kMaxMessage = 2000;

// How a member's lines travel: a TCP stream of lines, or WebSocket text messages.
class Channel {
  public:
    virtual ~Channel() = default;
    // The next line the client sent; nullopt once it is gone.
    virtual aio::Task<std::optional<std::string>> receive() = 0;
    // Waits while the client is behind (the transport's buffer over its high-water mark).
    virtual aio::Task<> send(std::string line) = 0;
    // Ends the connection: after what was sent has gone, or at once (abort) for a client that
    // stopped reading.
    virtual aio::Task<> close(bool abort) = 0;
};

class LineChannel final : public Channel {
  public:
    LineChannel(aio::StreamReader reader, aio::StreamWriter writer)
        : reader_(std::move(reader)), writer_(std::move(writer)) {}

    aio::Task<std::optional<std::string>> receive() override {
        std::string line;
        try {
            line = co_await reader_.readline();
        } catch (const std::exception&) {  // reset, or a line over the reader's limit
            co_return std::nullopt;
        }
        if (line.empty()) co_return std::nullopt;  // EOF
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        co_return line;
    }
    aio::Task<> send(std::string line) override {
        line += '\n';
        writer_.write(std::move(line));
        co_await writer_.drain();
    }
    aio::Task<> close(bool abort) override {
        if (auto transport = writer_.transport(); abort && transport)
            transport->abort();
        else
            writer_.close();
        co_return;
    }

  private:
    aio::StreamReader reader_;
    aio::StreamWriter writer_;
};

class WebSocketChannel final : public Channel {
  public:
    explicit WebSocketChannel(http::WebSocket& ws) : ws_(ws) {}

    aio::Task<std::optional<std::string>> receive() override {
        while (auto message = co_await ws_.receive())
            if (message->type == http::WSMsgType::text) co_return std::move(message->data);
        co_return std::nullopt;
    }
    aio::Task<> send(std::string line) override { co_await ws_.send_str(std::move(line)); }
    aio::Task<> close(bool) override {
        aio::Task<> closing = ws_.close(1000, "");  // (named: g++ 12 and default arguments)
        co_await std::move(closing);
    }

  private:
    http::WebSocket& ws_;
};

struct Member {
    Member(std::string n, Channel& c) : nick(std::move(n)), channel(c) {}
    std::string nick;
    Channel& channel;
    aio::Queue<std::string> outbox;
    std::size_t behind = 0;               // bytes in the outbox
    aio::TaskHandle<>* sender = nullptr;  // the task sending the outbox
    bool in_room = false;
    bool dropped = false;  // fell too far behind
};

bool valid_nickname(const std::string& nick) {
    if (nick.empty() || nick.size() > 20 || nick == "bot") return false;
    for (unsigned char c : nick)
        if (!std::isalnum(c) && c != '_' && c != '-') return false;
    return true;
}

class Room {
  public:
    bool taken(const std::string& nick) const { return members_.count(nick) > 0; }

    std::string who() const {
        std::string names;
        for (const auto& [nick, member] : members_)
            names += (names.empty() ? "" : ", ") + nick;
        return names.empty() ? "nobody" : names;
    }

    void join(Member& member) {
        const std::string here = members_.empty() ? "nobody else yet" : who();
        members_[member.nick] = &member;
        member.in_room = true;
        tell(member, "* Hello " + member.nick + ". Here: " + here +
                         ". Commands: /who, /nick NEW, /quit; !help for the bot.");
        broadcast("* " + member.nick + " has joined", &member);
    }

    // Takes the member out and announces why; its outbox delivers what it holds, then ends.
    void leave(Member& member, const std::string& why) {
        if (!member.in_room) return;
        members_.erase(member.nick);
        member.in_room = false;
        member.outbox.shutdown();
        broadcast("* " + member.nick + " " + why, nullptr);
    }

    void rename(Member& member, const std::string& nick) {
        const std::string old = member.nick;
        members_.erase(old);
        member.nick = nick;
        members_[nick] = &member;
        broadcast("* " + old + " is now " + nick, nullptr);
    }

    // To everyone but `except`. Whoever has no room left for the line is dropped.
    void broadcast(const std::string& line, Member* except) {
        std::vector<Member*> behind;
        for (auto& [nick, member] : members_) {
            if (member == except) continue;
            if (!post(*member, line)) behind.push_back(member);
        }
        for (Member* member : behind) {
            // (Its sender may be waiting for the client to read: it stops now.)
            member->dropped = true;
            member->outbox.shutdown(true);
            if (member->sender) member->sender->cancel();
            leave(*member, "was disconnected: too far behind");
        }
    }

    void tell(Member& member, const std::string& line) { post(member, line); }

    // Server shutdown: the notice to everyone, then each outbox ends after it.
    void close(const std::string& notice) {
        broadcast(notice, nullptr);
        for (auto& [nick, member] : members_) {
            member->in_room = false;
            member->outbox.shutdown();
        }
        members_.clear();
    }

  private:
    // Queues the line for the member; false if that would put it too far behind.
    static bool post(Member& member, const std::string& line) {
        if (member.behind + line.size() > kMaxBehind) return false;
        member.behind += line.size();
        member.outbox.put_nowait(line);
        return true;
    }

    std::map<std::string, Member*> members_;  // by nickname (sorted, for /who)
};

Room room;
long sessions = 0;
aio::Event* no_sessions = nullptr;  // set when the last session ends (shutdown waits for it)

std::string bot_answer(const std::string& text) {
    if (text == "!help") return "bot: I answer !time (the time, UTC) and !help.";
    if (text != "!time") return {};
    std::time_t now = std::time(nullptr);
    char clock[16];
    std::tm utc{};
    std::strftime(clock, sizeof clock, "%H:%M:%S", gmtime_r(&now, &utc));
    return std::string("bot: It is ") + clock + " UTC.";
}

// Asks until the client gives a free, valid nickname; nullopt if it leaves first.
aio::Task<std::optional<std::string>> choose_nickname(Channel& channel) {
    co_await channel.send("Welcome to the aio chat room! What is your nickname?");
    while (true) {
        auto nick = co_await channel.receive();
        if (!nick) co_return std::nullopt;
        if (!valid_nickname(*nick))
            co_await channel.send("Nicknames are 1 to 20 letters, digits, _ or -. Another?");
        else if (room.taken(*nick))
            co_await channel.send("Sorry, " + *nick + " is taken. Another?");
        else
            co_return nick;
    }
}

void command(Member& member, const std::string& line) {
    if (line == "/who") {
        room.tell(member, "* Here: " + room.who());
    } else if (line == "/quit") {
        room.tell(member, "* Bye!");
        room.leave(member, "has left");
    } else if (line.rfind("/nick ", 0) == 0) {
        const std::string nick = line.substr(6);
        if (!valid_nickname(nick))
            room.tell(member, "* Nicknames are 1 to 20 letters, digits, _ or -.");
        else if (room.taken(nick))
            room.tell(member, "* Sorry, " + nick + " is taken.");
        else
            room.rename(member, nick);
    } else {
        room.tell(member, "* Unknown command " + line + ". Commands: /who, /nick NEW, /quit");
    }
}

// The member's lines, until it leaves or is gone.
aio::Task<> read_messages(Member& member) {
    while (member.in_room) {
        auto line = co_await member.channel.receive();
        if (!line) break;
        if (line->size() > kMaxMessage) line->resize(kMaxMessage);
        if (line->empty()) continue;
        if ((*line)[0] == '/') {
            command(member, *line);
            continue;
        }
        room.broadcast(member.nick + ": " + *line, &member);
        if (auto answer = bot_answer(*line); !answer.empty()) room.broadcast(answer, nullptr);
    }
    room.leave(member, "has left");
}

// Sends the member's outbox until it ends (the member left) or the client is gone.
aio::Task<> deliver(Member& member) {
    while (true) {
        std::string line;
        try {
            line = co_await member.outbox.get();
        } catch (const aio::QueueShutDown&) {
            break;
        }
        member.behind -= line.size();
        bool sent = true;
        try {
            co_await member.channel.send(std::move(line));
        } catch (const std::system_error&) {  // the connection is gone
            sent = false;
        }
        if (!sent) break;
    }
}

// Counts the sessions, so that shutdown can wait for the last.
struct SessionCount {
    SessionCount() { ++sessions; }
    ~SessionCount() {
        if (--sessions == 0 && no_sessions) no_sessions->set();
    }
};

// Cancels the task (if it is still running) and waits for it to end.
aio::Task<> finish(aio::TaskHandle<>& task) {
    task.cancel();
    try {
        co_await task;
    } catch (const aio::CancelledError&) {
    }
}

// One client, from its greeting to its goodbye.
aio::Task<> chat(Channel& channel) {
    SessionCount counted;
    std::optional<std::string> nick;
    try {
        nick = co_await choose_nickname(channel);
    } catch (const std::system_error&) {  // gone while choosing
    }
    if (!nick) {
        co_await channel.close(false);
        co_return;
    }
    Member member(*nick, channel);
    room.join(member);
    // The sender ends when the member has left (after its last lines), when the client is
    // gone, or when it is dropped; the reader, when the client leaves or is gone.
    auto reader = aio::create_task(read_messages(member));
    auto sender = aio::create_task(deliver(member));
    member.sender = &sender;
    bool cancelled = false;  // this session (not the drop, which cancels only the sender)
    try {
        co_await sender;
    } catch (const aio::CancelledError&) {
        cancelled = !member.dropped;
    }
    co_await finish(sender);
    co_await finish(reader);
    room.leave(member, "has left");
    co_await channel.close(member.dropped || cancelled);
    if (cancelled) throw aio::CancelledError();
}

aio::Task<> terminal_client(aio::StreamReader reader, aio::StreamWriter writer) {
    LineChannel channel(std::move(reader), std::move(writer));
    co_await chat(channel);
}

aio::Task<http::Response> page(http::Request&) {
    co_return http::Response(kChatPage, 200, "text/html");
}

aio::Task<http::Response> browser_client(http::Request& request) {
    http::WebSocketOptions options;
    options.max_msg_size = 64 * 1024;
    options.close_timeout = std::chrono::seconds(2);
    auto ws = co_await request.websocket(std::move(options));
    WebSocketChannel channel(ws);
    co_await chat(channel);
    co_return ws;
}

aio::Task<> amain(std::string host, std::uint16_t port, std::uint16_t web_port) {
    aio::Event stop;
    auto& loop = aio::get_running_loop();
    for (int sig : {SIGINT, SIGTERM})
        loop.add_signal_handler(sig, [&stop] { stop.set(); });
    aio::StreamHandler handler = terminal_client;  // (named: g++ 12)
    auto server = co_await aio::start_server(std::move(handler), host, port);
    http::Application app;
    app.get("/", page).get("/ws", browser_client);
    auto web = co_await http::serve(std::move(app), host, web_port);
    std::printf("Serving on %s\n", server.sockets()[0].to_string().c_str());
    std::printf("Web page on http://%s/\n", web.sockets()[0].to_string().c_str());
    std::fflush(stdout);

    co_await stop.wait();
    server.close();
    aio::Event drained;
    no_sessions = &drained;
    room.close("* The server is shutting down. Bye!");
    if (sessions > 0) {
        try {
            co_await aio::wait_for(drained.wait(), std::chrono::seconds(5));
        } catch (const aio::TimeoutError&) {
        }
    }
    no_sessions = nullptr;
    co_await web.shutdown(std::chrono::seconds(1));
    co_await server.wait_closed();
    std::printf("Shut down\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    int port = 8888, web_port = 8080;
    aio::LoopOptions options;
    const char* usage =
        "usage: chat_server [--host H] [--port P] [--web-port P] [--backend io_uring|epoll]\n";
    if (argc % 2 == 0) {
        std::fputs(usage, stderr);
        return 2;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string arg = argv[i], value = argv[i + 1];
        if (arg == "--host") {
            host = value;
        } else if (arg == "--port") {
            port = std::atoi(value.c_str());
        } else if (arg == "--web-port") {
            web_port = std::atoi(value.c_str());
        } else if (arg == "--backend" && (value == "io_uring" || value == "epoll")) {
            options.backend =
                value == "epoll" ? aio::BackendKind::epoll : aio::BackendKind::io_uring;
        } else {
            std::fputs(usage, stderr);
            return 2;
        }
    }
    aio::run(amain(host, static_cast<std::uint16_t>(port), static_cast<std::uint16_t>(web_port)),
             options);
}
