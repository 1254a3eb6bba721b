// The chat room's web page (examples/chat_server serves it at /): the room's lines as they come,
// over a WebSocket to /ws, and a box to type in. The first line typed is the nickname, as on a
// terminal; ?nick=NAME joins as NAME at once (the browser test uses it).
#pragma once

inline constexpr const char* kChatPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>aio chat</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 0; display: flex; flex-direction: column;
         height: 100vh; }
  h1 { font-size: 18px; margin: 0; padding: 10px 14px; background: #24394f; color: #fff; }
  #log { flex: 1; overflow-y: auto; list-style: none; margin: 0; padding: 10px 14px; }
  #log li { padding: 2px 0; white-space: pre-wrap; }
  #log li.notice { color: #666; font-style: italic; }
  form { display: flex; padding: 10px 14px; border-top: 1px solid #ccc; }
  input { flex: 1; font: inherit; padding: 6px; }
  button { font: inherit; margin-left: 8px; }
</style>
</head>
<body>
<h1>aio chat</h1>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off" autofocus
  placeholder="Your nickname first, then messages; /who, /nick NEW, /quit, !help">
<button>Send</button></form>
<script>
const params = new URLSearchParams(location.search);
const log = document.getElementById("log");
const text = document.getElementById("text");
const ws = new WebSocket("ws://" + location.host + "/ws");
let nick = null;  // once joined (the server says "* Hello NICK. ...")
function show(line) {
  const item = document.createElement("li");
  item.textContent = line;
  if (line.startsWith("* ") || !line.includes(": ")) item.className = "notice";
  log.appendChild(item);
  log.scrollTop = log.scrollHeight;
}
ws.onmessage = (event) => {
  show(event.data);
  if (event.data.startsWith("Welcome") && params.get("nick")) ws.send(params.get("nick"));
  const hello = event.data.match(/^\* Hello ([^ .]+)\./);
  const renamed = event.data.match(/^\* (\S+) is now (\S+)$/);
  if (renamed && renamed[1] === nick) nick = renamed[2];
  if (hello && !nick) nick = hello[1];
};
// The server sends a message to everyone else: the page shows its own.
function say(line) {
  ws.send(line);
  if (nick && !line.startsWith("/")) show(nick + ": " + line);
}
ws.onclose = () => show("* Disconnected");
document.getElementById("form").onsubmit = (event) => {
  event.preventDefault();
  if (text.value) say(text.value);
  text.value = "";
};
</script>
</body>
</html>
)html";
