package sshcfg

import (
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// Fuzz targets for the small parsers of user and remote input that
// FuzzResolve and FuzzParseConnect do not reach directly.

// FuzzSplitShellWords: --ssh=COMMAND and multi-word config values. Never
// panics; the words it returns, quoted with ShellQuote and joined, split
// back to the same words (so the remote command we build round-trips).
func FuzzSplitShellWords(f *testing.F) {
	for _, s := range []string{
		"ssh -p 2022", `ssh -o "ProxyCommand nc %h %p"`, `a\ b 'c d' "e \"f\" \$g \x"`, "'unterminated", `"unterminated`,
		"trailing\\", "a\\\nb", "\t\n  ", `'it'\''s'`, "\xff\xfe", `"\` + "\n" + `"`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitShellWords(s)
		if err != nil {
			if !strings.ContainsAny(s, `'"`) {
				t.Fatalf("SplitShellWords(%q) failed without a quote: %v", s, err)
			}
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			if !utf8.ValidString(w) {
				t.Fatalf("SplitShellWords(%q) word %d is not UTF-8: %q", s, i, w)
			}
			quoted[i] = ShellQuote(w)
		}
		again, err := SplitShellWords(strings.Join(quoted, " "))
		if err != nil || len(again) != len(words) {
			t.Fatalf("re-split of %q: %q, %v; want %q", s, again, err, words)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("re-split word %d: %q, want %q", i, again[i], words[i])
			}
		}
	})
}

// FuzzParseDestination: the command line's [user@]host or
// ssh://[user@]host[:port]. A destination is never empty, never looks like
// a flag, and has a port only in URI form, within 1..65535.
func FuzzParseDestination(f *testing.F) {
	for _, s := range []string{"host", "user@host", "a@b@host", "ssh://u@h:2222", "ssh://[::1]:22/", "ssh://[::1", "ssh://h:0", "ssh://h:99999",
		"-oProxyCommand=x", "@", "ssh://", "ssh://u@", "ssh://h:22:33", "ssh://[fe80::1%eth0]x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDestination(s)
		if err != nil {
			return
		}
		if d.host == "" || strings.HasPrefix(d.host, "-") {
			t.Fatalf("parseDestination(%q) accepted host %q", s, d.host)
		}
		if d.port < 0 || d.port > 65535 || (d.port != 0 && !strings.HasPrefix(s, "ssh://")) {
			t.Fatalf("parseDestination(%q) accepted port %d", s, d.port)
		}
		if strings.Contains(d.host, "@") && !strings.HasPrefix(s, "ssh://") {
			t.Fatalf("parseDestination(%q): host %q keeps an @", s, d.host)
		}
	})
}

// FuzzParseJumpList: ProxyJump values from config files and -J. Every hop
// has a host and a port of 0 (default) or 1..65535; the list has one hop
// per comma-separated part.
func FuzzParseJumpList(f *testing.F) {
	for _, s := range []string{"j1,ops@j2:2222", "none", "", "[::1]:22,u@[fe80::1]", "a@b:99999,,@", "ssh://u@h:22,x", "h:", ",", "[", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hops, err := parseJumpList(s, "fuzz")
		if err != nil {
			return
		}
		if len(hops) == 0 {
			if s != "" && !strings.EqualFold(s, "none") {
				t.Fatalf("parseJumpList(%q) accepted no hops", s)
			}
			return
		}
		if len(hops) != strings.Count(s, ",")+1 {
			t.Fatalf("parseJumpList(%q) = %d hops", s, len(hops))
		}
		for i, j := range hops {
			if j.Host == "" || j.Port < 0 || j.Port > 65535 {
				t.Fatalf("parseJumpList(%q) hop %d = %+v", s, i, j)
			}
		}
	})
}

// FuzzParseUnixSocketLine: a line of the remote server's output. Only an
// absolute path after the mark is taken, without surrounding blanks or a
// line end.
func FuzzParseUnixSocketLine(f *testing.F) {
	for _, s := range []string{UnixSocketMark + "/tmp/ssh-mosh-1/s.sock", UnixSocketMark + "/tmp/x\r\n", UnixSocketMark + "relative",
		UnixSocketMark, "MOSH CONNECT 60001 AAECAwQFBgcICQoLDA0ODw", "  " + UnixSocketMark + "/x", UnixSocketMark + " /a b \r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p, ok := ParseUnixSocketLine(line)
		if !ok {
			if p != "" {
				t.Fatalf("ParseUnixSocketLine(%q) = %q but not ok", line, p)
			}
			return
		}
		if !strings.HasPrefix(line, UnixSocketMark) || !strings.HasPrefix(p, "/") || strings.TrimSpace(p) != p || !strings.Contains(line, p) {
			t.Fatalf("ParseUnixSocketLine(%q) = %q", line, p)
		}
	})
}

// FuzzParseSSHTime: ConnectTimeout and ServerAliveInterval values. Like
// OpenSSH's convtime, an accepted time is a whole number of seconds from 0
// to INT_MAX; anything larger is an error, never a wrapped duration.
func FuzzParseSSHTime(f *testing.F) {
	for _, s := range []string{"90", "1m30s", "1w2d3h4m5s", "0", "", "5x", "s", "-1", "+5", "2147483647", "2147483648", "9223372037",
		"99999999999999999999", "9999999999w", "1m1", "1S1M1H1D1W"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseSSHTime(s)
		if err != nil {
			return
		}
		if d < 0 || d > math.MaxInt32*time.Second || d%time.Second != 0 {
			t.Fatalf("parseSSHTime(%q) = %v", s, d)
		}
	})
}

// The bound FuzzParseSSHTime checks is OpenSSH's: ssh -G accepts and
// rejects the same ConnectTimeout values as parseSSHTime.
func TestParseSSHTimeAgreesWithSSH(t *testing.T) {
	sshPath := testenv.MustHaveExec(t, "ssh")
	for _, v := range []string{"90", "1m1", "1S1M1H1D1W", "2147483647", "2147483648", "35791394m", "35791395m", "3550w", "3551w",
		"2147483647s1s", "9223372037", "5x"} {
		got, gotErr := parseSSHTime(v)
		out, err := exec.Command(sshPath, "-G", "-F", "/dev/null", "-o", "ConnectTimeout="+v, "x").CombinedOutput()
		if err != nil {
			if gotErr == nil {
				t.Errorf("ConnectTimeout=%s: ssh refuses it (%s), parseSSHTime gives %v", v, strings.TrimSpace(string(out)), got)
			}
			continue
		}
		want := ""
		for _, l := range strings.Split(string(out), "\n") {
			if s, ok := strings.CutPrefix(l, "connecttimeout "); ok {
				want = s
			}
		}
		if gotErr != nil || strconv.Itoa(int(got/time.Second)) != want {
			t.Errorf("ConnectTimeout=%s: parseSSHTime = %v, %v; ssh -G says %s", v, got, gotErr, want)
		}
	}
}
