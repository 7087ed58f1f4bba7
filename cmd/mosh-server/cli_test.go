package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// cliResult is what one `mosh-server …` invocation printed, normalized so
// that ours and the real one can be compared: the binary's path is BIN,
// the build tag, port, key and pid are placeholders.
type cliResult struct {
	Stdout, Stderr string
	Code           int
	port, pid      int
}

var (
	cliConnectRE  = regexp.MustCompile(`MOSH CONNECT (\d+) [A-Za-z0-9/+]{22}`)
	cliDetachedRE = regexp.MustCompile(`\[mosh-server detached, pid = (\d+)\]`)
	cliBuildRE    = regexp.MustCompile(`\[build [^\]]*\]`)
)

// runCLI runs bin with args in a clean environment (UTF-8 locale, no
// SSH_CONNECTION) plus env, stdin from /dev/null. A server that detached is
// stopped at cleanup.
func runCLI(t *testing.T, bin string, env []string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "SSH_CONNECTION" || name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(append(cmd.Env, "LANG=C.UTF-8"), env...)
	// Files, not pipes: a detached server keeps no pipe of ours open, but
	// its parent's output must be complete when Run returns.
	dir := t.TempDir()
	outF, errF := mustCreate(t, dir+"/out"), mustCreate(t, dir+"/err")
	cmd.Stdout, cmd.Stderr = outF, errF
	err := cmd.Run()
	_ = outF.Close()
	_ = errF.Close()
	stdout.WriteString(mustRead(t, outF.Name()))
	stderr.WriteString(mustRead(t, errF.Name()))
	r := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	if m := cliDetachedRE.FindStringSubmatch(r.Stderr); m != nil {
		r.pid, _ = strconv.Atoi(m[1])
		t.Cleanup(func() { testenv.KillTree(r.pid) })
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", bin, err)
	}
	if m := cliConnectRE.FindStringSubmatch(r.Stdout); m != nil {
		r.port, _ = strconv.Atoi(m[1])
	}
	norm := func(s string) string {
		s = strings.ReplaceAll(s, bin, "BIN")
		s = cliBuildRE.ReplaceAllString(s, "[build X]")
		s = cliConnectRE.ReplaceAllString(s, "MOSH CONNECT PORT KEY")
		return cliDetachedRE.ReplaceAllString(s, "[mosh-server detached, pid = PID]")
	}
	r.Stdout, r.Stderr = norm(r.Stdout), norm(r.Stderr)
	return r
}

func mustCreate(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCLIMatchesRealMoshServer: for the invocations that end before any
// socket is bound (help, version, bad port ranges, bad colours), our
// output and exit status are the real mosh-server's, byte for byte.
func TestCLIMatchesRealMoshServer(t *testing.T) {
	real := testenv.MustHaveExec(t, "mosh-server")
	ours := ourServer(t)
	cases := [][]string{
		{"--help"},
		{"-h"},
		{"new", "-v", "--help"},
		{"--version"},
		{"new", "-p", "99999"},
		{"new", "-p", "10:5"},
		{"new", "-p", "0:5"},
		{"new", "-p", "abc"},
		{"new", "-p", "-5"},
		{"new", "-p", "5:x"},
		{"new", "-p", "5:70000"},
		{"new", "-p", "1:"},
		{"new", "-p", ":5"},
		{"new", "-p", "1x"},
		{"new", "-c", "abc"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			args := append(args, "--", "/bin/true")
			want := runCLI(t, real, nil, args...)
			got := runCLI(t, ours, nil, args...)
			if want.pid != 0 || got.pid != 0 {
				t.Fatalf("a server detached (real pid %d, ours %d); this case should end at once", want.pid, got.pid)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(cliResult{})); diff != "" {
				t.Errorf("mosh-server %q: ours differs from the real one (-real +ours):\n%s", args, diff)
			}
		})
	}
}

// TestCLIWarningsMatchRealMoshServer: non-fatal complaints (unknown option,
// -s without a usable SSH_CONNECTION) are printed as the real server prints
// them, and the server still starts.
func TestCLIWarningsMatchRealMoshServer(t *testing.T) {
	real := testenv.MustHaveExec(t, "mosh-server")
	ours := ourServer(t)
	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"unknown option", nil, []string{"new", "-x", "-i", "127.0.0.1", "-p", "0"}},
		{"-s without SSH_CONNECTION", nil, []string{"new", "-s", "-i", "127.0.0.1", "-p", "0"}},
		{"-s with a bad SSH_CONNECTION", []string{"SSH_CONNECTION=garbage"}, []string{"new", "-i", "127.0.0.1", "-s", "-p", "0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(c.args, "--", "/bin/true")
			want := runCLI(t, real, c.env, args...)
			got := runCLI(t, ours, c.env, args...)
			if got.Code != 0 || got.pid == 0 || got.port == 0 {
				t.Fatalf("ours did not start: %+v", got)
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(cliResult{}), cmp.FilterPath(func(p cmp.Path) bool {
				return p.Last().String() == ".port" || p.Last().String() == ".pid"
			}, cmp.Ignore())); diff != "" {
				t.Errorf("mosh-server %q: ours differs from the real one (-real +ours):\n%s", args, diff)
			}
		})
	}
}

// boundOn reports on which of 127.0.0.1 and 127.0.0.2 the UDP port is
// taken: a server bound to one address leaves the other free, a wildcard
// server takes both.
func boundOn(t *testing.T, port int) (one, two bool) {
	t.Helper()
	try := func(ip string) bool {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip), Port: port})
		if err != nil {
			return true
		}
		_ = c.Close()
		return false
	}
	return try("127.0.0.1"), try("127.0.0.2")
}

// TestCLIBinding: -p 0, -p LOW:HIGH, -i and -s choose the socket as the
// real mosh-server does; each case runs against both servers.
func TestCLIBinding(t *testing.T) {
	testenv.Short(t)
	real := testenv.MustHaveExec(t, "mosh-server")
	for _, srv := range []struct{ name, bin string }{{"real", real}, {"ours", ourServer(t)}} {
		t.Run(srv.name+"/p0 i", func(t *testing.T) {
			r := runCLI(t, srv.bin, nil, "new", "-p", "0", "-i", "127.0.0.1", "--", "/bin/true")
			if r.Code != 0 || r.port <= 0 {
				t.Fatalf("%+v", r)
			}
			if one, two := boundOn(t, r.port); !one || two {
				t.Errorf("-i 127.0.0.1 -p 0: port %d taken on 127.0.0.1 %v, on 127.0.0.2 %v; want only 127.0.0.1", r.port, one, two)
			}
		})
		t.Run(srv.name+"/range", func(t *testing.T) {
			// Hold the range's first port: the server must take the next.
			hold, low := holdUDPPort(t, "127.0.0.1")
			defer func() { _ = hold.Close() }()
			spec := strconv.Itoa(low) + ":" + strconv.Itoa(low+5)
			r := runCLI(t, srv.bin, nil, "new", "-p", spec, "-i", "127.0.0.1", "--", "/bin/true")
			if r.Code != 0 || r.port <= low || r.port > low+5 {
				t.Fatalf("-p %s with %d taken: port %d; %+v", spec, low, r.port, r)
			}
		})
		t.Run(srv.name+"/s", func(t *testing.T) {
			for _, conn := range []string{"127.0.0.9 4444 127.0.0.2 22", "::ffff:127.0.0.9 4444 ::ffff:127.0.0.2 22"} {
				r := runCLI(t, srv.bin, []string{"SSH_CONNECTION=" + conn}, "new", "-s", "-p", "0", "--", "/bin/true")
				if r.Code != 0 || r.port <= 0 || r.Stderr == "" {
					t.Fatalf("%+v", r)
				}
				if strings.Contains(r.Stderr, "Warning") {
					t.Errorf("SSH_CONNECTION=%q: unexpected warning:\n%s", conn, r.Stderr)
				}
				if one, two := boundOn(t, r.port); one || !two {
					t.Errorf("-s with SSH_CONNECTION=%q: port %d taken on 127.0.0.1 %v, on 127.0.0.2 %v; want only 127.0.0.2",
						conn, r.port, one, two)
				}
			}
		})
	}
}

// holdUDPPort binds a UDP port on ip whose next five ports were free a
// moment ago, and returns the socket and the port.
func holdUDPPort(t *testing.T, ip string) (*net.UDPConn, int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		free := p+5 <= 65535
		for q := p + 1; free && q <= p+5; q++ {
			d, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip), Port: q})
			if err != nil {
				free = false
				break
			}
			_ = d.Close()
		}
		if free {
			return c, p
		}
		_ = c.Close()
	}
	t.Fatal("no run of six free UDP ports")
	return nil, 0
}
