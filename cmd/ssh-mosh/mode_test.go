package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

func TestDecideTable(t *testing.T) {
	tests := []struct {
		args          []string
		stdin, stdout bool
		want          Mode
	}{
		{[]string{"host"}, true, true, ModeSession},
		{[]string{"-p22", "-l", "u", "-i", "k", "-J", "j", "-4", "-v", "-q", "-C", "-oUser=x", "host"}, true, true, ModeSession},
		{[]string{"-F", "cfg", "-o", "ForwardAgent=no", "user@host"}, true, true, ModeSession},
		{[]string{"-t", "host", "top"}, true, true, ModeSession},
		{[]string{"-E", "log", "host"}, true, true, ModeSession},
		{[]string{"--log=log", "-v", "host"}, true, true, ModeSession},
		{[]string{"-tt", "host", "top"}, true, true, ModeSession},
		{[]string{"host", "ls"}, true, true, ModePassthrough},
		{[]string{"host"}, false, true, ModePassthrough},
		{[]string{"host"}, true, false, ModePassthrough},
		{[]string{"-tt", "host", "top"}, false, true, ModePassthrough},
		{[]string{}, true, true, ModePassthrough},
		// RemoteCommand is the resolved config's to judge (DecideConfig).
		{[]string{"-o", "RemoteCommand=top", "host"}, true, true, ModeSession},
		{[]string{"-o", "RequestTTY no", "host"}, true, true, ModePassthrough},
		{[]string{"-o", "LocalForward=1 h:2", "host"}, true, true, ModeSession},
		{[]string{"-A", "-L", "1:h:2", "-R", "0:h:3", "-D", "1080", "-g", "host"}, true, true, ModeSession},
		{[]string{"-N", "-L", "1:h:2", "host"}, true, true, ModePassthrough},
		{[]string{"-L", "1:h:2", "host", "ls"}, true, true, ModePassthrough},
		{[]string{"-L", "1:h:2", "host"}, false, true, ModePassthrough},
		{[]string{"-o", "SessionType=none", "host"}, true, true, ModePassthrough},
		{[]string{"-o", "ForwardAgent=yes", "host"}, true, true, ModeSession},
		// A master is used (ControlPath), never become (-M, ControlMaster).
		{[]string{"-o", "ControlPath=/tmp/cm", "host"}, true, true, ModeSession},
		{[]string{"-S", "/tmp/ctl", "host"}, true, true, ModeSession},
		{[]string{"-M", "host"}, true, true, ModePassthrough},
		{[]string{"-o", "ControlMaster=auto", "host"}, true, true, ModePassthrough},
	}
	for _, letter := range "NfTsGVXYMKy" {
		tests = append(tests, struct {
			args          []string
			stdin, stdout bool
			want          Mode
		}{[]string{"-" + string(letter), "host"}, true, true, ModePassthrough})
	}
	for _, f := range [][]string{{"-W", "h:1"}, {"-O", "check"}, {"-Q", "cipher"},
		{"-w", "0"}, {"-B", "eth0"}, {"-b", "1.2.3.4"}, {"-c", "aes128-ctr"}, {"-m", "hmac-sha1"}, {"-I", "lib"}, {"-P", "tag"}} {
		tests = append(tests, struct {
			args          []string
			stdin, stdout bool
			want          Mode
		}{append(f, "host"), true, true, ModePassthrough})
	}
	for _, tt := range tests {
		o, rest := parse(t, tt.args...)
		got, why := Decide(o, rest, tt.stdin, tt.stdout)
		if got != tt.want {
			t.Errorf("Decide(%q, stdin tty %v, stdout tty %v) = %v (%s), want %v", tt.args, tt.stdin, tt.stdout, got, why, tt.want)
		}
		if why == "" {
			t.Errorf("Decide(%q): empty reason", tt.args)
		}
	}
}

func TestDecideConfig(t *testing.T) {
	for _, c := range []sshcfg.Config{{RemoteCommand: "x", RequestTTY: "auto"},
		{SessionType: "none"}, {RequestTTY: "no"}, {ForkAfterAuthentication: true}} {
		if m, _ := DecideConfig(&c, false, 0); m != ModePassthrough {
			t.Errorf("DecideConfig(%+v) = %v, want passthrough", c, m)
		}
	}
	if m, why := DecideConfig(&sshcfg.Config{RequestTTY: "auto", SessionType: "default", LocalForwards: []string{"1 h:2"}, ForwardAgent: "yes"}, false, 0); m != ModeSession {
		t.Errorf("plain config: %v (%s)", m, why)
	}
	// A RemoteCommand with a terminal is a session; beside a command on
	// the command line, or with RequestTTY no, it is ssh's.
	for _, tt := range []struct {
		tty     string
		command bool
		t       int
		want    Mode
	}{
		{"yes", false, 0, ModeSession}, {"force", false, 0, ModeSession}, {"auto", false, 1, ModeSession},
		{"auto", false, 0, ModePassthrough}, {"yes", true, 1, ModePassthrough}, {"no", false, 1, ModePassthrough},
	} {
		c := &sshcfg.Config{RemoteCommand: "tmux new -A -s main", RequestTTY: tt.tty, SessionType: "default"}
		if m, why := DecideConfig(c, tt.command, tt.t); m != tt.want {
			t.Errorf("RemoteCommand, RequestTTY %s, command %v, -t×%d: %v (%s), want %v", tt.tty, tt.command, tt.t, m, why, tt.want)
		}
	}
}

func TestPassthroughArgv(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"ssh-mosh", "-p22", "host", "ls", "--ssh=x"}, []string{"/usr/bin/ssh", "-p22", "host", "ls", "--ssh=x"}},
		{[]string{"ssh-mosh", "--predict=never", "-4", "--server", "/x", "-o", "User=u", "host"}, []string{"/usr/bin/ssh", "-4", "-o", "User=u", "host"}},
		{[]string{"ssh-mosh", "--ssh=ssh -p 2022 -o 'User=a b'", "-L", "1:h:2", "host", "cmd"}, []string{"/usr/bin/ssh", "-p", "2022", "-o", "User=a b", "-L", "1:h:2", "host", "cmd"}},
		{[]string{"ssh-mosh", "--verbose", "-p", "--predict", "host"}, []string{"/usr/bin/ssh", "-v", "-p", "--predict", "host"}},
		{[]string{"ssh-mosh", "-N", "--", "host", "--port=1"}, []string{"/usr/bin/ssh", "-N", "--", "host", "--port=1"}},
		{[]string{"ssh-mosh", "--log", "/tmp/l", "-E/tmp/e", "host", "ls"}, []string{"/usr/bin/ssh", "-E", "/tmp/l", "-E/tmp/e", "host", "ls"}},
	}
	for _, tt := range tests {
		got, err := PassthroughArgv("/usr/bin/ssh", tt.in)
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("PassthroughArgv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestConfigKeywordsHandedToOpenSSH: what a roaming session cannot honour
// sends the login to OpenSSH, from the config file or -o; the defaults and
// the values that ask for nothing keep the roaming session.
func TestConfigKeywordsHandedToOpenSSH(t *testing.T) {
	for _, tt := range []struct {
		line        string
		passthrough bool
	}{
		{"ForwardAgent yes", false}, {"ForwardAgent /tmp/agent.sock", false}, {"ForwardAgent no", false},
		{"ForwardX11 yes", true}, {"ForwardX11 no", false}, {"ForwardX11Trusted yes", false},
		{"Tunnel point-to-point", true}, {"Tunnel no", false},
		{"PermitLocalCommand yes", true}, {"PKCS11Provider /usr/lib/opensc-pkcs11.so", true}, {"PKCS11Provider none", false},
		{"ProxyUseFdpass yes", true}, {"CheckHostIP yes", true}, {"CheckHostIP no", false},
		{"HostbasedAuthentication yes", true}, {"BindAddress 127.0.0.1", true}, {"BindInterface lo", true},
		{"VerifyHostKeyDNS yes", true}, {"VerifyHostKeyDNS no", false}, {"NoHostAuthenticationForLocalhost yes", true},
		{"KnownHostsCommand /bin/echo %H", true}, {"ControlMaster auto", false}, {"GSSAPIAuthentication yes", false},
		{"SendEnv LANG LC_*", false}, {"HashKnownHosts yes", false},
	} {
		for _, viaFlag := range []bool{false, true} {
			cfg := writeConfig(t, "Host h\n  HostName 127.0.0.1\n")
			args := []string{"-F", cfg}
			if viaFlag {
				args = append(args, "-o", strings.Replace(tt.line, " ", "=", 1))
			} else {
				cfg = writeConfig(t, "Host h\n  HostName 127.0.0.1\n  "+tt.line+"\n")
				args = []string{"-F", cfg}
			}
			o, rest := parse(t, append(args, "h")...)
			c, err := (&sshcfg.Resolver{Home: t.TempDir(), SSH: "none"}).Resolve(o.CommandLine(), rest[0])
			if err != nil {
				t.Fatalf("%s: %v", tt.line, err)
			}
			if m, why := DecideConfig(c, false, 0); (m == ModePassthrough) != tt.passthrough {
				t.Errorf("%q (flag %v): %v (%s), want passthrough %v", tt.line, viaFlag, m, why, tt.passthrough)
			}
		}
	}
}

func TestPassthroughDropsMoshOptions(t *testing.T) {
	for _, tt := range []struct{ in, want []string }{
		{[]string{"ssh-mosh", "-o", "MoshTransport=ssh", "host", "ls"}, []string{"/ssh", "host", "ls"}},
		{[]string{"ssh-mosh", "-oMoshFallback=no", "-p22", "host"}, []string{"/ssh", "-p22", "host"}},
		{[]string{"ssh-mosh", "-4o", "MoshServer /x", "-o", "Port=22", "host"}, []string{"/ssh", "-4", "-o", "Port=22", "host"}},
		// ssh reads options after the destination too: ours are dropped there as well.
		{[]string{"ssh-mosh", "host", "-o", "MoshTransport=ssh"}, []string{"/ssh", "host"}},
		{[]string{"ssh-mosh", "host", "--predict=never", "-p", "22", "ls", "-o", "MoshTransport=ssh"}, []string{"/ssh", "host", "-p", "22", "ls", "-o", "MoshTransport=ssh"}},
		{[]string{"ssh-mosh", "--", "host", "--predict=never"}, []string{"/ssh", "--", "host", "--predict=never"}},
	} {
		got, err := PassthroughArgv("/ssh", tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("PassthroughArgv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
