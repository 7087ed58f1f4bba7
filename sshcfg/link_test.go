package sshcfg

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeLinkConn answers keepalives as told: at once, never (until closed),
// or with an error.
type fakeLinkConn struct {
	name   string
	mu     sync.Mutex
	silent bool
	pings  int
	closed chan struct{}
	once   sync.Once
}

func newFakeLinkConn(name string) *fakeLinkConn {
	return &fakeLinkConn{name: name, closed: make(chan struct{})}
}

func (f *fakeLinkConn) Ping() error {
	f.mu.Lock()
	f.pings++
	silent := f.silent
	f.mu.Unlock()
	select {
	case <-f.closed:
		return errors.New("closed")
	default:
	}
	if silent {
		<-f.closed
		return errors.New("closed")
	}
	return nil
}

func (f *fakeLinkConn) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeLinkConn) isClosed() bool {
	select {
	case <-f.closed:
		return true
	default:
		return false
	}
}

func (f *fakeLinkConn) setSilent() {
	f.mu.Lock()
	f.silent = true
	f.mu.Unlock()
}

// fakeDialer hands out connections, failing the first fails attempts, and
// records when each attempt was made.
type fakeDialer struct {
	mu       sync.Mutex
	fails    int
	attempts []time.Time
	made     []*fakeLinkConn
}

func (d *fakeDialer) dial(ctx context.Context, old LinkConn) (LinkConn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.attempts = append(d.attempts, time.Now())
	if len(d.attempts) <= d.fails {
		return nil, errors.New("connect to host h port 22: Connection refused")
	}
	c := newFakeLinkConn("redialled")
	d.made = append(d.made, c)
	return c, nil
}

func startLink(t *testing.T, first *fakeLinkConn, interval time.Duration, countMax int, d *fakeDialer, opts LinkOptions) (*Link, context.CancelFunc, chan error) {
	t.Helper()
	l := newLink(first, interval, countMax, opts)
	l.redial = d.dial
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	return l, cancel, done
}

// A connection that answers is never replaced, and an idle link sends one
// keepalive per interval.
func TestLinkKeepsAnsweringConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{}
		l, cancel, done := startLink(t, first, 10*time.Second, 3, d, LinkOptions{})
		time.Sleep(95 * time.Second)
		synctest.Wait()
		if len(d.attempts) != 0 || l.current() != first {
			t.Fatalf("re-dialled a live connection: %d attempts", len(d.attempts))
		}
		first.mu.Lock()
		pings := first.pings
		first.mu.Unlock()
		if pings != 9 {
			t.Errorf("%d keepalives in 95 s at 10 s, want 9", pings)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
		if first.isClosed() {
			t.Error("Run closed the connection it leaves to its caller")
		}
	})
}

// ServerAliveInterval × ServerAliveCountMax of silence and the connection
// is dead: the re-dial starts then, not before; the old connection is
// closed only after the new one is installed; users learn of it.
func TestLinkMissedKeepalivesRedial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{}
		var lost []error
		l, cancel, done := startLink(t, first, 5*time.Second, 2, d, LinkOptions{Status: func(err error) { lost = append(lost, err) }})
		_, changed := l.Client()
		time.Sleep(7 * time.Second) // one answered keepalive at 5 s
		first.setSilent()
		start := time.Now()
		<-changed
		// Sent at 10 s, unanswered at 15 s and 20 s: dead at 20 s.
		if got := time.Since(start); got != 13*time.Second {
			t.Errorf("re-dialled %v after the silence began, want 13s", got)
		}
		synctest.Wait()
		if !first.isClosed() {
			t.Error("the dead connection was not closed once the new one was up")
		}
		if l.current() != d.made[0] {
			t.Error("the new connection is not current")
		}
		if len(lost) != 1 || lost[0] != nil {
			t.Errorf("status calls %v, want one loss", lost)
		}
		cancel()
		<-done
	})
}

// The default when ServerAliveInterval is unset is DefaultAliveInterval,
// and a ServerAliveCountMax of 0 still needs one missed answer.
func TestLinkDefaults(t *testing.T) {
	l := newLink(newFakeLinkConn("x"), 0, 0, LinkOptions{})
	if l.interval != DefaultAliveInterval || l.countMax != 1 {
		t.Errorf("interval %v countMax %d, want %v and 1", l.interval, l.countMax, DefaultAliveInterval)
	}
}

// A failed keepalive (the connection was reset) is a death at once.
func TestLinkClosedConnectionRedialsAtNextKeepalive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{}
		l, cancel, done := startLink(t, first, 3*time.Second, 3, d, LinkOptions{})
		_, changed := l.Client()
		first.Close()
		start := time.Now()
		<-changed
		if got := time.Since(start); got != 3*time.Second {
			t.Errorf("re-dialled %v after the reset, want 3s (the next keepalive)", got)
		}
		cancel()
		<-done
	})
}

// Suspect checks at once: a reset connection is replaced without waiting
// for the interval, a silent one after one interval.
func TestLinkSuspect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{}
		l, cancel, done := startLink(t, first, 30*time.Second, 3, d, LinkOptions{})
		_, changed := l.Client()
		time.Sleep(time.Second)
		first.Close()
		start := time.Now()
		l.Suspect()
		<-changed
		if got := time.Since(start); got != 0 {
			t.Errorf("reset connection replaced after %v, want at once", got)
		}
		second := d.made[0]
		_, changed = l.Client()
		time.Sleep(time.Second)
		second.setSilent()
		start = time.Now()
		l.Suspect()
		<-changed
		if got := time.Since(start); got != 30*time.Second {
			t.Errorf("silent suspected connection replaced after %v, want one interval (30s)", got)
		}
		cancel()
		<-done
		_ = l.current().Close()
	})
}

// Failed re-dials back off from redialFirst, doubling, up to redialMax,
// and each failure is reported.
func TestLinkRedialBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{fails: 9}
		var fails int
		l, cancel, done := startLink(t, first, time.Second, 1, d, LinkOptions{Status: func(err error) {
			if err != nil {
				fails++
			}
		}})
		_, changed := l.Client()
		first.Close()
		<-changed
		if len(d.attempts) != 10 {
			t.Fatalf("%d attempts, want 10", len(d.attempts))
		}
		want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
			4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second}
		for i, w := range want {
			if got := d.attempts[i+1].Sub(d.attempts[i]); got != w {
				t.Errorf("wait before attempt %d = %v, want %v", i+2, got, w)
			}
		}
		if fails != 9 {
			t.Errorf("%d failures reported, want 9", fails)
		}
		cancel()
		<-done
	})
}

// Cancelling during the re-dial's backoff ends Run at once, with every
// goroutine it started ended (synctest fails the test otherwise), and a
// connection dialled after the cancel is closed, not leaked.
func TestLinkCancelDuringRedial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{fails: 1000}
		_, cancel, done := startLink(t, first, time.Second, 1, d, LinkOptions{})
		first.Close()
		time.Sleep(20 * time.Second)
		start := time.Now()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
		if time.Since(start) != 0 {
			t.Error("Run did not end at once")
		}
	})
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		l := newLink(first, time.Second, 1, LinkOptions{})
		ctx, cancel := context.WithCancel(context.Background())
		var made *fakeLinkConn
		l.redial = func(context.Context, LinkConn) (LinkConn, error) {
			cancel() // the user quit while the dial finished
			made = newFakeLinkConn("late")
			return made, nil
		}
		first.Close()
		if err := l.Run(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
		if !made.isClosed() || l.current() != first {
			t.Error("a connection dialled after the cancel was installed or left open")
		}
	})
}

// Run a second time is refused, and Done closes when Run returns.
func TestLinkRunOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l, cancel, done := startLink(t, newFakeLinkConn("a"), time.Second, 1, &fakeDialer{}, LinkOptions{})
		synctest.Wait()
		if err := l.Run(context.Background()); err == nil {
			t.Error("second Run accepted")
		}
		cancel()
		<-done
		<-l.Done()
	})
}

// Sleep closes the connection and leaves the link idle (no keepalive, no
// dial) until Wake, which dials at once; the new connection is Current's,
// and its channel says so.
func TestLinkSleepAndWake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{}
		l, cancel, done := startLink(t, first, 3*time.Second, 3, d, LinkOptions{})
		time.Sleep(10 * time.Second)
		synctest.Wait()
		first.mu.Lock()
		pings := first.pings
		first.mu.Unlock()
		_, changed := l.Current()
		l.Sleep()
		synctest.Wait()
		if !first.isClosed() {
			t.Fatal("the connection is still open after Sleep")
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		first.mu.Lock()
		if first.pings != pings {
			t.Errorf("%d keepalives while asleep", first.pings-pings)
		}
		first.mu.Unlock()
		if len(d.attempts) != 0 {
			t.Fatalf("%d dials while asleep", len(d.attempts))
		}
		l.Wake()
		synctest.Wait()
		select {
		case <-changed:
		default:
			t.Fatal("Current's channel did not say the connection changed")
		}
		if len(d.attempts) != 1 || l.current() != d.made[0] {
			t.Fatalf("after Wake: %d dials, current %v", len(d.attempts), l.current())
		}
		// A Wake while awake is not kept for the next Sleep.
		l.Wake()
		l.Sleep()
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(d.attempts) != 1 || !d.made[0].isClosed() {
			t.Errorf("asleep again: %d dials, connection closed %v", len(d.attempts), d.made[0].isClosed())
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}

// Sleep during a re-dial that keeps failing stops the attempts until Wake
// (UDP answered again while SSH is unreachable: nothing should keep
// dialling).
func TestLinkSleepStopsRedialing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := newFakeLinkConn("first")
		d := &fakeDialer{fails: 1000}
		l, cancel, done := startLink(t, first, 3*time.Second, 3, d, LinkOptions{})
		l.Sleep()
		synctest.Wait()
		l.Wake()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		d.mu.Lock()
		tried := len(d.attempts)
		d.mu.Unlock()
		if tried < 2 {
			t.Fatalf("%d attempts in 10 s of failing re-dials", tried)
		}
		l.Sleep()
		time.Sleep(time.Hour)
		synctest.Wait()
		d.mu.Lock()
		more := len(d.attempts) - tried
		d.mu.Unlock()
		if more > 1 { // one may have been under way
			t.Fatalf("%d attempts while asleep", more)
		}
		l.Wake()
		time.Sleep(time.Second)
		synctest.Wait()
		d.mu.Lock()
		woke := len(d.attempts) - tried - more
		d.mu.Unlock()
		if woke < 1 {
			t.Errorf("no attempt after Wake")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}
