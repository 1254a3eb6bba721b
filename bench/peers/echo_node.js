// The Node.js echo server of bench/compare, as Node's `net` documentation writes one: every
// connection piped into itself (pipe() handles back-pressure). Prints "Serving on
// 127.0.0.1:PORT"; SIGTERM ends it.
//   node echo_node.js [PORT]
'use strict';
const net = require('net');

const server = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => {
  console.log(`Serving on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
