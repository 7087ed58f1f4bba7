package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
	"github.com/ssh-mosh/ssh-mosh/sshcfg"
)

// completionHome is a HOME with an ssh config (and an Include), and a
// known_hosts with a plain and a hashed name.
func completionHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	files := map[string]string{
		".ssh/config":         "Include conf.d/*\nHost zz-alpha-box zz-*.wild completion\n  HostName 127.0.0.1\n",
		".ssh/conf.d/more":    "Host zz-included\n",
		".ssh/known_hosts":    "zz-known.example,192.0.2.9 ssh-ed25519 AAAA\n|1|c2FsdA==|aGFzaA== ssh-ed25519 AAAA\n",
		"keys/id_zz_test":     "",
		"keys/id_zz_test.pub": "",
		"keys/unrelated-file": "",
	}
	for name, data := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// completionEnv runs our binary from PATH with home as HOME.
func completionEnv(t *testing.T, home string) []string {
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	return []string{"HOME=" + home, "PATH=" + filepath.Dir(bin) + ":/usr/bin:/bin", "LANG=C.UTF-8"}
}

func completionScript(t *testing.T, env []string, shell string) string {
	t.Helper()
	cmd := exec.Command(testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh"), "--completion="+shell)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ssh-mosh --completion=%s: %v", shell, err)
	}
	p := filepath.Join(t.TempDir(), "ssh-mosh."+shell)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCompletionBash sources the generated bash script and completes as
// bash does on TAB: COMP_LINE/COMP_POINT/COMP_WORDS/COMP_CWORD set, the
// function called, COMPREPLY read back. bash's default COMP_WORDBREAKS
// (with = @ :) is in force, so the replies are what readline substitutes
// for the text after the last break (from the break on for @ and $,
// readline's special prefixes). Checked by hand in an interactive bash.
func TestCompletionBash(t *testing.T) {
	bash := testenv.MustHaveExec(t, "bash")
	home := completionHome(t)
	env := completionEnv(t, home)
	script := completionScript(t, env, "bash")
	tests := []struct{ line, want string }{
		{"ssh-mosh zz-al", "zz-alpha-box"},
		{"ssh-mosh zz-inc", "zz-included"},     // through Include
		{"ssh-mosh zz-kn", "zz-known.example"}, // known_hosts
		{"ssh-mosh zz-", "zz-alpha-box zz-included zz-known.example"},
		{"ssh-mosh me@zz-al", "@zz-alpha-box"}, // from the @ on
		{"ssh-mosh comp", "completion"},        // a host, not a subcommand
		{"ssh-mosh -p 2222 -4v zz-al", "zz-alpha-box"},
		{"ssh-mosh -p zz", ""},  // the port, not a host
		{"ssh-mosh -tp zz", ""}, // -t then -p's value
		{"ssh-mosh -p2222 zz-al", "zz-alpha-box"},
		{"ssh-mosh zz-alpha-box zz-al", ""},
		{"ssh-mosh zz-alpha-box --no-i", "--no-init"}, // options after the destination
		{"ssh-mosh zz-alpha-box -p 22 zz-al", ""},
		{"ssh-mosh zz-alpha-box ls --no-i", ""}, // the remote command
		{"ssh-mosh --pred", "--predict-overwrite --predict="},
		{"ssh-mosh --predict=al", "always"}, // after the = break
		{"ssh-mosh --predict al", "always"},
		{"ssh-mosh --transport=", "auto ssh udp"},
		{"ssh-mosh --server /x zz-al", "zz-alpha-box"},
		{"ssh-mosh --compl", "--completion="},
		{"ssh-mosh --complete-h", ""}, // hidden
		{"ssh-mosh -i " + home + "/keys/id_zz", home + "/keys/id_zz_test " + home + "/keys/id_zz_test.pub"},
	}
	var prog strings.Builder
	prog.WriteString("source " + script + "\n")
	prog.WriteString(`comp() {
    COMP_LINE=$1; COMP_POINT=${#1}
    read -r -a COMP_WORDS <<< "$1"
    [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _ssh_mosh
    local IFS=' '
    echo "${COMPREPLY[*]}"
}
`)
	for _, tt := range tests {
		prog.WriteString("comp " + sshcfg.ShellQuote(tt.line) + "\n")
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog.String())
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("bash: %v\n%s", err, stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(tests) {
		t.Fatalf("%d replies for %d lines:\n%s", len(got), len(tests), out)
	}
	for i, tt := range tests {
		// bash sorts what it shows; the order of COMPREPLY is free.
		words := strings.Fields(got[i])
		sort.Strings(words)
		got[i] = strings.Join(words, " ")
		if got[i] != tt.want {
			t.Errorf("%q<TAB>: %q, want %q", tt.line, got[i], tt.want)
		}
	}
}

// TestCompletionFish asks fish itself what it completes after sourcing
// the generated script (complete -C runs the completion machinery).
func TestCompletionFish(t *testing.T) {
	fish := testenv.MustHaveExec(t, "fish")
	home := completionHome(t)
	env := completionEnv(t, home)
	script := completionScript(t, env, "fish")
	for _, tt := range []struct{ line, want string }{
		{"ssh-mosh zz-al", "zz-alpha-box"},
		{"ssh-mosh zz-inc", "zz-included"},
		{"ssh-mosh zz-kn", "zz-known.example"},
		{"ssh-mosh --predict=ne", "--predict=never"},
		{"ssh-mosh --no-fa", "--no-fallback"},
	} {
		cmd := exec.Command(fish, "--no-config", "-c", "source "+script+"; complete -C "+sshcfg.ShellQuote(tt.line))
		cmd.Env = append(env, "XDG_CONFIG_HOME="+home, "XDG_DATA_HOME="+home)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q<TAB>: %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestCompletionZshParses: zsh accepts the script (zsh -n), and loading it
// into a shell with compinit registers the function for ssh-mosh.
func TestCompletionZshParses(t *testing.T) {
	zsh := testenv.MustHaveExec(t, "zsh")
	home := completionHome(t)
	env := completionEnv(t, home)
	script := completionScript(t, env, "zsh")
	if out, err := exec.Command(zsh, "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("zsh -n: %v\n%s", err, out)
	}
	cmd := exec.Command(zsh, "-f", "-c", "autoload -Uz compinit && compinit -u -D && source "+script+" && print -r -- $_comps[ssh-mosh]")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_ssh_mosh" {
		t.Fatalf("zsh: %v: %q, want _ssh_mosh registered", err, out)
	}
}

// TestCompletionValuesValid: every value the scripts offer is one that
// ssh-mosh accepts, and every shell offered has a script.
func TestCompletionValuesValid(t *testing.T) {
	for name, vals := range optionValues {
		for _, v := range vals {
			var o Options
			var err error
			switch name {
			case "predict":
				o.Predict = v
				err = o.Validate()
			case "transport":
				o.Transport = v
				err = o.Validate()
			case "family":
				o.Family = v
				err = o.Validate()
			case "completion":
				err = writeCompletion(&bytes.Buffer{}, v, nil)
			default:
				t.Fatalf("no check for --%s", name)
			}
			if err != nil {
				t.Errorf("--%s=%s offered but refused: %v", name, v, err)
			}
		}
	}
	if err := writeCompletion(&bytes.Buffer{}, "tcsh", nil); err == nil {
		t.Error("--completion=tcsh accepted")
	}
}

// TestCompletionOptionsFromFlags: the scripts list every visible long
// option and ssh's letters, with the right ones taking values.
func TestCompletionOptionsFromFlags(t *testing.T) {
	cmd := &cobra.Command{Use: "ssh-mosh"}
	var o Options
	o.AddFlags(cmd.Flags())
	addExtraFlags(cmd)
	byName := map[string]compOption{}
	for _, c := range completionOptions(cmd.Flags()) {
		key := c.long + "/"
		if c.short != 0 {
			key += string(c.short)
		}
		byName[key] = c
	}
	for key, wantArg := range map[string]bool{
		"predict/": true, "no-fallback/": false, "version/": false, "completion/": true,
		"/p": true, "/t": false, "/J": true, "verbose/v": false, "/i": true,
	} {
		c, ok := byName[key]
		if !ok {
			t.Errorf("%s not offered", key)
			continue
		}
		if c.arg != wantArg {
			t.Errorf("%s: takes a value %v, want %v", key, c.arg, wantArg)
		}
	}
	if !byName["/i"].files || byName["/p"].files {
		t.Error("-i should complete files, -p not")
	}
	if _, ok := byName["complete-hosts/"]; ok {
		t.Error("the hidden --complete-hosts is offered")
	}
}

// TestAliasSafety: words that look like subcommands are destinations, as
// they are for ssh (`ssh-mosh -G` runs OpenSSH's ssh -G, which prints the
// configuration it would use for that host).
func TestAliasSafety(t *testing.T) {
	testenv.MustHaveExec(t, "ssh")
	home := completionHome(t)
	env := completionEnv(t, home)
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	for _, word := range []string{"completion", "version", "help"} {
		// -F: OpenSSH reads the home directory from the password file,
		// not from $HOME.
		cmd := exec.Command(bin, "-F", filepath.Join(home, ".ssh", "config"), "-G", word)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "\nhostname ") {
			t.Fatalf("ssh-mosh -G %s: %v\n%s", word, err, out)
		}
		if word == "completion" && !strings.Contains(string(out), "hostname 127.0.0.1\n") {
			t.Errorf("ssh-mosh -G completion did not use Host completion's config:\n%s", out)
		} else if word != "completion" && !strings.Contains(string(out), "hostname "+word+"\n") {
			t.Errorf("ssh-mosh -G %s: not treated as a host:\n%s", word, out)
		}
	}
}

// TestVersionFlag: `ssh-mosh --version` names our version first and the
// protocol spoken; -V stays OpenSSH's.
func TestVersionFlag(t *testing.T) {
	bin := testenv.GoBuild(t, "./cmd/ssh-mosh", "ssh-mosh")
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(string(out), "\n")
	if first != "ssh-mosh devel" || !strings.Contains(rest, "mosh protocol version 2") {
		t.Errorf("--version printed %q", out)
	}
	// After the destination, as ssh reads -V there.
	if after, err := exec.Command(bin, "somehost", "--version").Output(); err != nil || string(after) != string(out) {
		t.Errorf("ssh-mosh somehost --version: %q, %v", after, err)
	}
	testenv.MustHaveExec(t, "ssh")
	out, _ = exec.Command(bin, "-V").CombinedOutput()
	if !strings.HasPrefix(string(out), "OpenSSH") {
		t.Errorf("ssh-mosh -V printed %q, want OpenSSH's version", out)
	}
}
