// The Go echo server of bench/compare, as the net package's documentation writes one: a
// goroutine per connection, io.Copy from the connection to itself. Prints "Serving on
// 127.0.0.1:PORT"; SIGTERM ends it. bench/compare runs it with GOMAXPROCS=1 on one CPU.
//   echo_go [PORT]
package main

import (
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
