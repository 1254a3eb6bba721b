// The Go peer of bench/http_compare: net/http as its documentation writes a server, the
// TechEmpower plaintext and json endpoints. Prints "Serving on 127.0.0.1:PORT"; SIGTERM ends it.
// bench/http_compare runs it with GOMAXPROCS=1 on one CPU.
//   http_go [PORT]
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
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
	http.HandleFunc("/plaintext", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Hello, World!"))
	})
	http.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"message": "Hello, World!"})
	})
	fmt.Printf("Serving on %s\n", ln.Addr())
	http.Serve(ln, nil)
}
