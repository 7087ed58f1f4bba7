package loginrec

import (
	"log/syslog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// The lines reach a syslog socket as mosh-server's do: LOG_AUTH at
// LOG_INFO (priority 38), tagged mosh-server[PID].
func TestSyslogLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Skipf("no unix datagram socket: %v", err)
	}
	defer ln.Close()
	w, err := syslog.Dial("unixgram", path, priority, tag)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r := New(Config{User: "carol", PID: 1, Log: w})
	r.Ended()
	want := []string{"user carol session begin", "user carol session end"}
	for _, msg := range want {
		_ = ln.SetReadDeadline(time.Now().Add(10 * time.Second))
		b := make([]byte, 1024)
		n, err := ln.Read(b)
		if err != nil {
			t.Fatalf("reading the line %q: %v", msg, err)
		}
		re := regexp.MustCompile(`^<38>\w{3} [ \d]\d \d\d:\d\d:\d\d mosh-server\[` + strconv.Itoa(os.Getpid()) + `\]: ` + regexp.QuoteMeta(msg) + `\n$`)
		if !re.Match(b[:n]) {
			t.Errorf("syslog got %q, want %s", b[:n], re)
		}
	}
}
