package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interruptible returns a context that SIGINT, SIGTERM or SIGHUP cancels,
// for the steps before a session owns the terminal (the terminal is in
// its ordinary mode then, so there is nothing to restore). status is the
// exit status a shell reports for a death by the signal that came (128+n,
// 130 for Ctrl-C), 0 while none did. stop ends the relay; after it the
// signals have their default effect again.
func interruptible(parent context.Context) (ctx context.Context, status func() int, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	got := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			got <- 128 + int(s.(syscall.Signal))
			cancel()
		case <-done:
		}
	}()
	status = func() int {
		select {
		case n := <-got:
			got <- n
			return n
		default:
			return 0
		}
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		signal.Stop(sigs)
		close(done)
		cancel()
	}
	return ctx, status, stop
}
