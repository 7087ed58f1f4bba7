package main

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// parse runs args through a flag set configured as cmd/ssh-mosh does.
func parse(t *testing.T, args ...string) (*Options, []string) {
	t.Helper()
	var o Options
	fs := pflag.NewFlagSet("ssh-mosh", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return &o, fs.Args()
}

func TestFlagsGetoptForms(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*Options) bool
		rest  []string
	}{
		{"attached port", []string{"-p22", "h"}, func(o *Options) bool { return o.Port == 22 }, []string{"h"}},
		{"separate port", []string{"-p", "2222", "h"}, func(o *Options) bool { return o.Port == 2222 }, []string{"h"}},
		{"attached option", []string{"-oPort=22", "h"}, func(o *Options) bool { return cmp.Equal(o.ConfigOptions, []string{"Port=22"}) }, []string{"h"}},
		{"separate option", []string{"-o", "Port=22", "-o", "User x", "h"}, func(o *Options) bool {
			return cmp.Equal(o.ConfigOptions, []string{"Port=22", "User x"})
		}, []string{"h"}},
		{"double t", []string{"-tt", "h", "top"}, func(o *Options) bool { return o.TTY == 2 }, []string{"h", "top"}},
		{"bundle 4v", []string{"-4v", "h"}, func(o *Options) bool { return o.IPv4 && o.Verbose == 1 }, []string{"h"}},
		{"bundle ending in value flag", []string{"-4p", "99", "h"}, func(o *Options) bool { return o.IPv4 && o.Port == 99 }, []string{"h"}},
		{"local forward", []string{"-L", "8080:localhost:80", "-L9090:x:90", "h"}, func(o *Options) bool {
			return cmp.Equal(o.LocalForwards, []string{"8080:localhost:80", "9090:x:90"})
		}, []string{"h"}},
		{"double dash", []string{"-v", "--", "h", "cmd", "-x"}, func(o *Options) bool { return o.Verbose == 1 }, []string{"h", "cmd", "-x"}},
		{"command flags stay with command", []string{"h", "ls", "-la"}, func(o *Options) bool { return o.SeenFlags() == "" }, []string{"h", "ls", "-la"}},
		{"repeatable identities", []string{"-i", "a", "-ib", "h"}, func(o *Options) bool { return cmp.Equal(o.IdentityFiles, []string{"a", "b"}) }, []string{"h"}},
		{"verbose long and short", []string{"-vv", "--verbose", "h"}, func(o *Options) bool { return o.Verbose == 3 }, []string{"h"}},
		{"jump and login", []string{"-J", "u@j:2", "-l", "bob", "h"}, func(o *Options) bool { return o.ProxyJump == "u@j:2" && o.LoginName == "bob" }, []string{"h"}},
		{"mosh options", []string{"--predict=never", "--port", "60001:60010", "--no-init", "--delay=200ms", "--loss", "0.1", "--server=/opt/mosh-server", "h"},
			func(o *Options) bool {
				return o.Predict == "never" && o.UDPPort == "60001:60010" && o.NoInit && o.Delay == 200*time.Millisecond &&
					o.Loss == 0.1 && o.Server == "/opt/mosh-server" && o.Validate() == nil
			}, []string{"h"}},
		{"ssh command flags honoured", []string{"--ssh=ssh -p 2022 -o 'User=a b'", "h"}, func(o *Options) bool {
			return o.Port == 2022 && o.SSHProgram == "ssh" && cmp.Equal(o.ConfigOptions, []string{"User=a b"})
		}, []string{"h"}},
		{"all boolean letters", []string{"-1246AaCfGgKkMNnqsTtVvXxYy", "h"}, func(o *Options) bool { return o.SeenFlags() == "1246AaCfGgKkMNnqsTtVvXxYy" }, []string{"h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, rest := parse(t, tt.args...)
			if !tt.check(o) {
				t.Errorf("options after %q: %+v", tt.args, o)
			}
			if !cmp.Equal(rest, tt.rest) {
				t.Errorf("positional args = %q, want %q", rest, tt.rest)
			}
		})
	}
}

func TestFlagsErrors(t *testing.T) {
	for _, args := range [][]string{{"-p", "x", "h"}, {"-p0", "h"}, {"-p", "65536", "h"}, {"--ssh=ssh 'unterminated", "h"}, {"--ssh=ssh host", "h"}, {"-Z", "h"}} {
		var o Options
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		fs.SetOutput(devNull{})
		o.AddFlags(fs)
		if err := fs.Parse(args); err == nil {
			t.Errorf("parse %q: no error", args)
		}
	}
	for _, o := range []Options{{Predict: "sometimes"}, {Family: "ipx"}, {Transport: "tcp"}, {UDPPort: "0:5"}, {UDPPort: "9:3"}, {Loss: 2}} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v): no error", o)
		}
	}
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

func TestLossFlag(t *testing.T) {
	for in, want := range map[string]float64{"0.05": 0.05, "5%": 0.05, "0": 0, "100%": 1} {
		var o Options
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse([]string{"--loss", in}); err != nil {
			t.Fatalf("--loss %s: %v", in, err)
		}
		if o.Loss < want-1e-9 || o.Loss > want+1e-9 {
			t.Errorf("--loss %s = %v, want %v", in, o.Loss, want)
		}
	}
	var o Options
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	if err := fs.Parse([]string{"--loss", "lots"}); err == nil {
		t.Error("--loss lots accepted")
	}
}
