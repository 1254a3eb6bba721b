// Go's net/http client under load (bench/http_client_compare): CONCURRENCY goroutines sharing
// one http.Client (keep-alive, as many idle connections as goroutines), each GETting URL and
// reading the body, until REQUESTS responses have come. Run with GOMAXPROCS=1.
//   http_client_go URL [REQUESTS] [CONCURRENCY]
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func cpu() float64 {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Sec+u.Stime.Sec) + float64(u.Utime.Usec+u.Stime.Usec)/1e6
}

func main() {
	url := os.Args[1]
	requests, concurrency := int64(100000), 64
	if len(os.Args) > 2 {
		requests, _ = strconv.ParseInt(os.Args[2], 10, 64)
	}
	if len(os.Args) > 3 {
		concurrency, _ = strconv.Atoi(os.Args[3])
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency,
		MaxConnsPerHost: concurrency}}
	left, errors := requests, int64(0)
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpu()
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&left, -1) >= 0 {
				r, err := client.Get(url)
				if err != nil {
					atomic.AddInt64(&errors, 1)
					continue
				}
				io.Copy(io.Discard, r.Body)
				r.Body.Close()
				if r.StatusCode != 200 {
					atomic.AddInt64(&errors, 1)
				}
			}
		}()
	}
	wg.Wait()
	seconds := time.Since(start).Seconds()
	fmt.Printf("requests=%d seconds=%.3f rps=%.0f cpu_us_per_req=%.2f errors=%d\n", requests, seconds,
		float64(requests)/seconds, (cpu()-cpu0)*1e6/float64(requests), errors)
}
