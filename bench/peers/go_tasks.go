// bench/tasks_compare's Go side, run with GOMAXPROCS=1 (one thread runs goroutines, as one loop
// runs aio's tasks): the same measurements and output lines as bench/core_bench.cpp.
//   go_tasks spawn|spawn_all|sleepers|pingpong N
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func statusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), field) {
			v, _ := strconv.ParseInt(strings.Fields(s.Text())[1], 10, 64)
			return v
		}
	}
	return -1
}

func per(d time.Duration, n int) float64 { return float64(d.Nanoseconds()) / float64(n) }

func main() {
	mode := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	switch mode {
	case "spawn": // start a goroutine, wait for its result, n times
		done := make(chan int)
		t0 := time.Now()
		total := 0
		for i := 0; i < n; i++ {
			go func() { done <- 1 }()
			total += <-done
		}
		fmt.Printf("spawn n=%d ns_per_task=%.1f check=%d\n", n, per(time.Since(t0), n), total)
	case "spawn_all": // start n goroutines, then wait for them all
		results := make(chan int, n)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			go func() { results <- 1 }()
		}
		total := 0
		for i := 0; i < n; i++ {
			total += <-results
		}
		fmt.Printf("spawn_all n=%d ns_per_task=%.1f check=%d\n", n, per(time.Since(t0), n), total)
	case "sleepers":
		var wg sync.WaitGroup
		before := statusKB("VmRSS:")
		wg.Add(n)
		for i := 0; i < n; i++ {
			go func() {
				time.Sleep(time.Second)
				wg.Done()
			}()
		}
		time.Sleep(100 * time.Millisecond)
		peak := statusKB("VmHWM:")
		wg.Wait()
		fmt.Printf("sleepers n=%d bytes_per_task=%.1f rss_before_kb=%d peak_kb=%d\n", n,
			float64(peak-before)*1024/float64(n), before, peak)
	case "pingpong": // two goroutines, two channels of capacity 1 (Queue(1))
		there, back := make(chan int, 1), make(chan int, 1)
		go func() {
			for i := 0; i < n; i++ {
				back <- (<-there) + 1
			}
		}()
		t0 := time.Now()
		value := 0
		for i := 0; i < n; i++ {
			there <- value
			value = <-back
		}
		fmt.Printf("pingpong n=%d ns_per_round_trip=%.1f check=%d\n", n, per(time.Since(t0), n), value)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
}
