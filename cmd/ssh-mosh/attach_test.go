package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestAttachFlags(t *testing.T) {
	for _, c := range []struct {
		args         []string
		attach, kill string
		sessions     bool
		rest         []string
	}{
		{[]string{"--attach", "host"}, attachDetached, "", false, []string{"host"}},
		{[]string{"--attach=123", "host"}, "123", "", false, []string{"host"}},
		{[]string{"--kill=7", "host"}, "", "7", false, []string{"host"}},
		{[]string{"--sessions", "host"}, "", "", true, []string{"host"}},
	} {
		var o Options
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.SetOutput(devNull{})
		fs.SetInterspersed(false)
		o.AddFlags(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if o.Attach != c.attach || o.Kill != c.kill || o.Sessions != c.sessions || len(fs.Args()) != 1 || fs.Args()[0] != "host" {
			t.Errorf("%q: attach %q kill %q sessions %v args %q", c.args, o.Attach, o.Kill, o.Sessions, fs.Args())
		}
		if err := o.Validate(); err != nil {
			t.Errorf("%q: %v", c.args, err)
		}
	}
	for _, o := range []Options{{Attach: "abc"}, {Attach: "-1"}, {Attach: "01"}, {Kill: "x"}, {Kill: "0"}, {Sessions: true, Kill: "3"}, {Attach: "4", Kill: "4"}} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v): no error", o)
		}
	}
}

func TestParseSessions(t *testing.T) {
	out := "ID\tSTATE\tSTARTED\tLAST-CONTACT\tSIZE\tCOMMAND\n" +
		"12\tdetached\t2026-12-06T17:36:36Z\t-\t80x24\t-bash\n" +
		"345\tattached\t2026-12-06T17:37:36Z\t2026-12-06T17:40:00Z\t120x40\tvim a b\n" +
		"garbage line\n\n"
	ss := parseSessions([]byte(out))
	if len(ss) != 2 || ss[0].ID != "12" || !ss[0].Detached || ss[1].ID != "345" || ss[1].Detached {
		t.Fatalf("parsed %+v", ss)
	}
	if len(parseSessions([]byte("ID\tSTATE\n"))) != 0 {
		t.Error("a header alone gave sessions")
	}
}

// FuzzParseSessions: whatever the remote prints, every session parsed
// has a numeric ID that starts its line.
func FuzzParseSessions(f *testing.F) {
	f.Add([]byte("ID\tSTATE\n12\tdetached\t-\t-\t80x24\tsh\n"))
	f.Add([]byte("0\tdetached\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range parseSessions(b) {
			if !isSessionID(s.ID) || len(s.Line) <= len(s.ID) || s.Line[:len(s.ID)+1] != s.ID+"\t" {
				t.Fatalf("bad session %+v", s)
			}
		}
	})
}

// On a terminal the listing's columns line up under their headings; piped,
// it stays tab-separated; anything else passes unchanged.
func TestWriteSessionsAligns(t *testing.T) {
	out := "ID\tSTATE\tSTARTED\tLAST-CONTACT\tSIZE\tCOMMAND\n" +
		"4346\tdetached\t2026-12-07T23:59:14Z\t2026-12-07T23:59:17Z\t160x14\t-bash\n" +
		"11188\tattached\t2026-12-08T00:18:39Z\t-\t80x24\ttmux new -A -s main\n"
	var b bytes.Buffer
	writeSessionsTo(&b, []byte(out), true)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || strings.Contains(b.String(), "\t") {
		t.Fatalf("aligned listing:\n%s", b.String())
	}
	for _, heading := range []string{"STATE", "STARTED", "LAST-CONTACT", "SIZE", "COMMAND"} {
		col := strings.Index(lines[0], heading)
		for _, l := range lines[1:] {
			if col >= len(l) || l[col] == ' ' || l[col-1] != ' ' {
				t.Errorf("column %s (at %d) not lined up in %q", heading, col, l)
			}
		}
	}
	for _, raw := range []string{out, "mosh-server: unknown command sessions\n", "ID\tSTATE\n1\tdetached\x1b[2J\n"} {
		b.Reset()
		writeSessionsTo(&b, []byte(raw), raw != out)
		if b.String() != raw {
			t.Errorf("%q came out as %q", raw, b.String())
		}
	}
}
