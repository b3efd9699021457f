// delayrelay forwards TCP connections and holds every byte for a fixed time in each direction,
// adding round-trip latency where the kernel has no netem. Data keeps flowing while it waits, so
// bandwidth is not reduced: like a long cable, not a slow one.
//
// Usage: delayrelay -listen 127.0.0.1:9000 -upstream 10.77.0.2:8080 -delay 10ms
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"time"
)

type segment struct {
	data []byte
	due  time.Time
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to accept on")
	upstream := flag.String("upstream", "", "address to forward to")
	delay := flag.Duration("delay", 10*time.Millisecond, "one-way delay added in each direction")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on %s -> %s, %s each way", ln.Addr(), *upstream, *delay)
	for {
		client, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go relay(client, *upstream, *delay)
	}
}

func relay(client net.Conn, upstream string, delay time.Duration) {
	server, err := net.Dial("tcp", upstream)
	if err != nil {
		client.Close()
		return
	}
	done := make(chan struct{}, 2)
	go pipe(server, client, delay, done)
	go pipe(client, server, delay, done)
	<-done
	<-done
	client.Close()
	server.Close()
}

// pipe copies src to dst, each read delivered `delay` after it arrived.
func pipe(dst, src net.Conn, delay time.Duration, done chan<- struct{}) {
	queue := make(chan segment, 4096)
	go func() {
		for s := range queue {
			if wait := time.Until(s.due); wait > 0 {
				time.Sleep(wait)
			}
			if _, err := dst.Write(s.data); err != nil {
				break
			}
		}
		if tcp, ok := dst.(*net.TCPConn); ok {
			tcp.CloseWrite()
		}
		for range queue {
		}
		done <- struct{}{}
	}()
	for {
		buf := make([]byte, 64*1024)
		n, err := src.Read(buf)
		if n > 0 {
			queue <- segment{buf[:n], time.Now().Add(delay)}
		}
		if err != nil {
			if err != io.EOF {
				src.Close()
			}
			break
		}
	}
	close(queue)
}
