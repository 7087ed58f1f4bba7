package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// parseSSHStyle parses args as cmd/ssh-mosh does: a non-interspersed parse,
// then ParseAfterDestination.
func parseSSHStyle(args ...string) (*Options, []string, error) {
	var o Options
	fs := pflag.NewFlagSet("ssh-mosh", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	rest, err := o.ParseAfterDestination(fs, fs.Args(), fs.ArgsLenAtDash())
	return &o, rest, err
}

// TestOptionsAfterDestination: ssh reads options after the destination up
// to the first word that is not one, and "--" ends them.
func TestOptionsAfterDestination(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		wantArgs []string
		port     int
		user     string
	}{
		{[]string{"host", "-p", "2201", "-l", "alice"}, []string{"host"}, 2201, "alice"},
		{[]string{"host", "-p2201", "ls", "-l"}, []string{"host", "ls", "-l"}, 2201, ""},
		{[]string{"host", "ls", "-p", "1"}, []string{"host", "ls", "-p", "1"}, 0, ""},
		{[]string{"host", "--", "-p", "1"}, []string{"host", "-p", "1"}, 0, ""},
		{[]string{"--", "host", "-p", "1"}, []string{"host", "-p", "1"}, 0, ""},
		{[]string{"-4", "host", "-t", "--predict=never", "top"}, []string{"host", "top"}, 0, ""},
		{[]string{"host"}, []string{"host"}, 0, ""},
		{[]string{"host", "-"}, []string{"host", "-"}, 0, ""},
	} {
		o, rest, err := parseSSHStyle(tt.args...)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !cmp.Equal(rest, tt.wantArgs) || o.Port != tt.port || o.LoginName != tt.user {
			t.Errorf("%q: args %q port %d user %q; want %q %d %q", tt.args, rest, o.Port, o.LoginName, tt.wantArgs, tt.port, tt.user)
		}
	}
	if _, _, err := parseSSHStyle("host", "-p", "x"); err == nil {
		t.Error("host -p x: want an error")
	}
}

// TestCommandLineAgainstOpenSSH resolves command lines with options before
// and after the destination natively and through OpenSSH's ssh -G, the
// oracle: the same user, host name and port.
func TestCommandLineAgainstOpenSSH(t *testing.T) {
	ssh := testenv.MustHaveExec(t, "ssh")
	cfg := writeConfig(t, "Host alias\n  HostName real.example\n  Port 2022\n  User cfguser\n")
	for _, args := range [][]string{
		{"alias"},
		{"alias", "-p", "2201", "-l", "alice"},
		{"-p", "1", "alias", "-p", "2"},
		{"-l", "first", "alias", "-l", "second"},
		{"bob@alias", "-l", "carol"},
		{"-l", "carol", "bob@alias"},
		{"alias", "-oPort=7", "-o", "User=u7"},
		{"alias", "-4", "-v", "-p", "9", "ls", "-p", "10"},
		{"ssh://dave@alias:2400"},
		{"alias", "--", "-p", "5"},
	} {
		full := append([]string{"-F", cfg}, args...)
		out, err := exec.Command(ssh, append([]string{"-G"}, full...)...).Output()
		if err != nil {
			t.Fatalf("ssh -G %q: %v", full, err)
		}
		want := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), " "); ok && (k == "user" || k == "hostname" || k == "port") {
				want[k] = v
			}
		}
		o, rest, err := parseSSHStyle(full...)
		if err != nil {
			t.Fatalf("%q: %v", full, err)
		}
		// Natively, and through ssh -G as Resolve runs it for what it
		// does not evaluate itself (the flags must reach it in order).
		for _, r := range []*sshcfg.Resolver{{Home: t.TempDir(), SSH: "none"}, {Home: t.TempDir(), SSH: ssh, ForceSSHG: true}} {
			c, err := r.Resolve(o.CommandLine(), rest[0])
			if err != nil {
				t.Fatalf("resolve %q: %v", full, err)
			}
			got := map[string]string{"user": c.User, "hostname": c.HostName, "port": strconv.Itoa(c.Port)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%q (%s): ssh -G vs ours (-want +got):\n%s", args, c.Source, diff)
			}
		}
	}
}

// TestInvalidNamesAgainstOpenSSH: names with shell syntax are refused with
// OpenSSH's words before anything is expanded or run; OpenSSH refuses the
// same ones.
func TestInvalidNamesAgainstOpenSSH(t *testing.T) {
	ssh := testenv.MustHaveExec(t, "ssh")
	cfg := writeConfig(t, "Host *\n  ProxyCommand touch /nonexistent/%h\n")
	for _, tt := range []struct {
		args []string
		want error
	}{
		{[]string{"x$(touch F).corp"}, sshcfg.ErrInvalidHostname},
		{[]string{"x;touch F;.corp"}, sshcfg.ErrInvalidHostname},
		{[]string{"x`id`"}, sshcfg.ErrInvalidHostname},
		{[]string{"a b"}, sshcfg.ErrInvalidHostname},
		{[]string{"h\nx"}, sshcfg.ErrInvalidHostname},
		{[]string{"a\\b"}, sshcfg.ErrInvalidHostname},
		{[]string{"u;x@h.corp"}, sshcfg.ErrInvalidUser},
		{[]string{"u -x@h"}, sshcfg.ErrInvalidUser},
		{[]string{"u\\@h"}, sshcfg.ErrInvalidUser},
		{[]string{"-l", "u$(touch F)", "h.corp"}, sshcfg.ErrInvalidUser},
		{[]string{"h.corp", "-l", "u|x"}, sshcfg.ErrInvalidUser},
		{[]string{"-o", "User=u;x", "h.corp"}, sshcfg.ErrInvalidUser},
		{[]string{"u$x@h.corp"}, nil},
		{[]string{"u x@h.corp"}, nil},
		{[]string{"h*x"}, nil},
		{[]string{"héllo"}, nil},
	} {
		full := append([]string{"-F", cfg}, tt.args...)
		out, err := exec.Command(ssh, append([]string{"-G"}, full...)...).CombinedOutput()
		oracleRefuses := err != nil
		if oracleRefuses != (tt.want != nil) || (tt.want != nil && !strings.Contains(string(out), tt.want.Error())) {
			t.Errorf("oracle ssh -G %q: err %v, %q; want refusal %v", tt.args, err, out, tt.want)
		}
		o, rest, err := parseSSHStyle(full...)
		if err != nil {
			t.Fatalf("%q: %v", full, err)
		}
		_, err = (&sshcfg.Resolver{Home: t.TempDir(), SSH: "none"}).Resolve(o.CommandLine(), rest[0])
		if tt.want == nil && err != nil {
			t.Errorf("%q: %v, want it accepted", tt.args, err)
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%q: err %v, want %v", tt.args, err, tt.want)
		}
	}
}
