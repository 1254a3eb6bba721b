// The Node peer of bench/http_compare: the http module's server, the TechEmpower plaintext and
// json endpoints. Prints "Serving on 127.0.0.1:PORT"; SIGTERM ends it.
//   node http_node.js [PORT]
const http = require("http");

const server = http.createServer((req, res) => {
    if (req.url === "/plaintext") {
        res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 13 });
        res.end("Hello, World!");
    } else if (req.url === "/json") {
        const body = JSON.stringify({ message: "Hello, World!" });
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
        res.end(body);
    } else {
        res.writeHead(404);
        res.end();
    }
});
server.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
    console.log(`Serving on 127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => process.exit(0));
