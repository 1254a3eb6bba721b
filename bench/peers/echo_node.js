// The Node.js echo server of bench/compare, as Node's `net` documentation writes one: every
// connection piped into itself (pipe() handles back-pressure). Prints "Serving on
// 127.0.0.1:PORT"; SIGTERM ends it. Given a certificate and its key, it serves TLS with the
// `tls` module's defaults (bench/tls_compare).
//   node echo_node.js [PORT [CERT KEY]]
'use strict';
const fs = require('fs');
const net = require('net');
const tls = require('tls');

const [port, cert, key] = process.argv.slice(2);
const echo = (socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
};
const server = cert
  ? tls.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, echo)
  : net.createServer(echo);
server.listen(Number(port || 0), '127.0.0.1', () => {
  console.log(`Serving on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
