package netem

import (
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestPipe(t *testing.T) {
	a, b := Pipe()
	defer a.Close()
	defer b.Close()
	msg := []byte("hello")
	if n, err := a.WriteTo(msg, b.LocalAddr()); n != 5 || err != nil {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	msg[0] = 'j' // the pipe copied it
	buf := make([]byte, 16)
	n, from, err := b.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello" || from.String() != "pipe-a" || from.Network() != "memory" {
		t.Fatalf("ReadFrom = %q, %v, %v", buf[:n], from, err)
	}
	// Short buffers truncate, as for UDP.
	if _, err := b.WriteTo([]byte("abcdef"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if n, _, err := a.ReadFrom(buf[:3]); n != 3 || err != nil || string(buf[:3]) != "abc" {
		t.Fatalf("short read %q %v", buf[:n], err)
	}
}

func TestPipeCloseWakesReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe()
		defer b.Close()
		var err error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err = a.ReadFrom(make([]byte, 10))
		}()
		synctest.Wait() // the reader is blocked
		a.Close()
		wg.Wait()
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked ReadFrom after Close: %v", err)
		}
		if _, _, err := a.ReadFrom(nil); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("ReadFrom after Close: %v", err)
		}
		if _, err := a.WriteTo([]byte("x"), nil); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("WriteTo after Close: %v", err)
		}
		// Writing to a closed peer vanishes without error, like UDP.
		if _, err := b.WriteTo([]byte("x"), nil); err != nil {
			t.Fatalf("WriteTo a closed peer: %v", err)
		}
	})
}

func TestPipeReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe()
		defer a.Close()
		defer b.Close()
		start := time.Now()
		if err := a.SetReadDeadline(start.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		_, _, err := a.ReadFrom(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != time.Second {
			t.Fatalf("ReadFrom = %v after %v", err, time.Since(start))
		}
		// A deadline in the past fails at once; clearing it blocks again
		// until data arrives.
		if _, _, err := a.ReadFrom(nil); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("expired deadline: %v", err)
		}
		a.SetReadDeadline(time.Time{})
		go func() {
			time.Sleep(5 * time.Second)
			b.WriteTo([]byte("late"), nil)
		}()
		buf := make([]byte, 8)
		n, _, err := a.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "late" || time.Since(start) != 6*time.Second {
			t.Fatalf("ReadFrom = %q %v at %v", buf[:n], err, time.Since(start))
		}
		// A deadline set while a reader is blocked wakes it.
		done := make(chan error)
		go func() {
			_, _, err := a.ReadFrom(buf)
			done <- err
		}()
		synctest.Wait()
		a.SetReadDeadline(time.Now().Add(time.Millisecond))
		if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("after SetReadDeadline: %v", err)
		}
	})
}

// TestImpairedPipeDelay runs on synctest's fake clock: the delay is exact.
func TestImpairedPipeDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe()
		ia, err := Impair(a, Config{Delay: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer ia.Close()
		defer b.Close()
		start := time.Now()
		for _, m := range []string{"1", "2", "3"} {
			if _, err := ia.WriteTo([]byte(m), b.LocalAddr()); err != nil {
				t.Fatal(err)
			}
		}
		buf := make([]byte, 4)
		for _, want := range []string{"1", "2", "3"} {
			n, _, err := b.ReadFrom(buf)
			if err != nil || string(buf[:n]) != want || time.Since(start) != 100*time.Millisecond {
				t.Fatalf("got %q %v at %v, want %q at 100ms", buf[:n], err, time.Since(start), want)
			}
		}
		// Reads pass through the wrapper undelayed.
		b.WriteTo([]byte("back"), ia.LocalAddr())
		if n, _, err := ia.ReadFrom(buf); err != nil || string(buf[:n]) != "back" {
			t.Fatalf("read through wrapper: %q %v", buf[:n], err)
		}
	})
}

// TestImpairedPipeReorderAndLoss: under a delay, reordered datagrams skip
// it and overtake the others; counts add up and every forwarded copy
// arrives.
func TestImpairedPipeReorderAndLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe()
		ia, err := Impair(a, Config{Delay: 50 * time.Millisecond, Reorder: 0.5, Loss: 0.2, Duplicate: 0.1, Seed: 11})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		const n = 500
		for i := range n {
			ia.WriteTo([]byte{byte(i), byte(i >> 8)}, nil)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		st := ia.Stats()
		if st.Received != n || st.Received+st.Duplicated != st.Forwarded+st.Dropped {
			t.Fatalf("stats %+v", st)
		}
		within(t, "dropped", int(st.Dropped), n, 0.2)
		var got []int
		b.SetReadDeadline(time.Now())
		buf := make([]byte, 2)
		for {
			k, _, err := b.ReadFrom(buf)
			if err != nil {
				break
			}
			if k != 2 {
				t.Fatalf("datagram of %d bytes", k)
			}
			got = append(got, int(buf[0])|int(buf[1])<<8)
		}
		if uint64(len(got)) != st.Forwarded {
			t.Fatalf("read %d datagrams, forwarded %d", len(got), st.Forwarded)
		}
		inversions := 0
		for i := 1; i < len(got); i++ {
			if got[i] < got[i-1] {
				inversions++
			}
		}
		if inversions == 0 {
			t.Fatal("reorder 0.5 kept the order")
		}
		ia.Close()
		if _, err := ia.WriteTo([]byte("x"), nil); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("WriteTo after Close: %v", err)
		}
	})
}

func TestImpairBlackout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pipe()
		ia, err := Impair(a, Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer ia.Close()
		defer b.Close()
		ia.Blackout(true)
		ia.WriteTo([]byte("x"), nil)
		ia.Blackout(false)
		ia.SetConfig(Config{Duplicate: 1})
		ia.WriteTo([]byte("y"), nil)
		synctest.Wait()
		buf := make([]byte, 1)
		for range 2 {
			if _, _, err := b.ReadFrom(buf); err != nil || buf[0] != 'y' {
				t.Fatalf("got %q %v", buf, err)
			}
		}
		if st := ia.Stats(); st.Dropped != 1 || st.Duplicated != 1 || st.Forwarded != 2 {
			t.Fatalf("stats %+v", st)
		}
	})
}
