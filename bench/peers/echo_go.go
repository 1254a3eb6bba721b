// The Go echo server of bench/compare, as the net package's documentation writes one: a
// goroutine per connection, io.Copy from the connection to itself. Prints "Serving on
// 127.0.0.1:PORT"; SIGTERM ends it. bench/compare runs it with GOMAXPROCS=1 on one CPU. Given
// a certificate and its key, it serves TLS with crypto/tls's defaults (bench/tls_compare).
//   echo_go [PORT [CERT KEY]]
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err == nil && len(os.Args) > 3 {
		var cert tls.Certificate
		cert, err = tls.LoadX509KeyPair(os.Args[2], os.Args[3])
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Serving on %s\n", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			io.Copy(c, c)
		}(conn)
	}
}
