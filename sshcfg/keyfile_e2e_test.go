package sshcfg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

const testPassphrase = "pass phrase"

// keyMaker writes one private key file in dir and returns its path.
type keyMaker func(t *testing.T, dir string) string

// sshKeygen makes a key with ssh-keygen (-m PEM, -m PKCS8 or the
// openssh-key-v1 default).
func sshKeygen(typ, format, pass string) keyMaker {
	return func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "id_"+typ)
		args := []string{"-q", "-t", typ, "-N", pass, "-C", "test-" + typ, "-f", p}
		if typ == "rsa" {
			args = append(args, "-b", "2048")
		}
		if format != "" {
			args = append(args, "-m", format)
		}
		runTool(t, testenv.MustHaveExec(t, "ssh-keygen"), args...)
		return p
	}
}

// opensslKey makes an encrypted PKCS#8 key with openssl, as CAs and
// openssl users have them.
func opensslKey(alg string, opts ...string) keyMaker {
	return func(t *testing.T, dir string) string {
		p := filepath.Join(dir, "id_openssl")
		args := append([]string{"genpkey", "-algorithm", alg}, opts...)
		args = append(args, "-aes-256-cbc", "-pass", "pass:"+testPassphrase, "-out", p)
		runTool(t, testenv.MustHaveExec(t, "openssl"), args...)
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func runTool(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// publicLine derives the authorized_keys line of a private key file.
func publicLine(t *testing.T, priv, pass string) string {
	t.Helper()
	return strings.TrimSpace(runTool(t, testenv.MustHaveExec(t, "ssh-keygen"), "-y", "-P", pass, "-f", priv))
}

// askpass writes an SSH_ASKPASS script that records each prompt in
// prompts and answers the nth prompt with answers[n].
func askpass(t *testing.T, answers ...string) (env []string, prompts string) {
	t.Helper()
	dir := t.TempDir()
	prompts = filepath.Join(dir, "prompts")
	ans := filepath.Join(dir, "answers")
	writeFileT(t, ans, strings.Join(answers, "\n")+"\n")
	script := filepath.Join(dir, "askpass")
	body := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$1\" >> %q\nn=$(wc -l < %q)\nsed -n \"${n}p\" %q\n", prompts, prompts, ans)
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return []string{"SSH_ASKPASS=" + script, "SSH_ASKPASS_REQUIRE=force", "DISPLAY="}, prompts
}

func readLines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// TestKeyFormatsAgainstOpenSSH logs in with every private key format
// OpenSSH reads, encrypted or not, with and without the .pub, through
// OpenSSH's ssh (passphrase from SSH_ASKPASS) and through Dial (passphrase
// from the Prompter): both log in, asking the same questions.
func TestKeyFormatsAgainstOpenSSH(t *testing.T) {
	testenv.Short(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	type keyCase struct {
		name    string
		make    keyMaker
		answers []string // to the passphrase questions, in order
		dropPub bool
	}
	cases := []keyCase{
		{name: "openssh ed25519 encrypted", make: sshKeygen("ed25519", "", testPassphrase), answers: []string{testPassphrase}},
		{name: "openssh ed25519 encrypted, no .pub", make: sshKeygen("ed25519", "", testPassphrase), answers: []string{testPassphrase}, dropPub: true},
		{name: "PEM RSA encrypted, no .pub", make: sshKeygen("rsa", "PEM", testPassphrase), answers: []string{testPassphrase}, dropPub: true},
		{name: "PEM RSA encrypted", make: sshKeygen("rsa", "PEM", testPassphrase), answers: []string{testPassphrase}},
		{name: "PEM RSA encrypted, wrong then right", make: sshKeygen("rsa", "PEM", testPassphrase), answers: []string{"wrong", testPassphrase}, dropPub: true},
		{name: "PEM ECDSA encrypted, no .pub", make: sshKeygen("ecdsa", "PEM", testPassphrase), answers: []string{testPassphrase}, dropPub: true},
		{name: "PEM RSA plain, no .pub", make: sshKeygen("rsa", "PEM", "")},
		{name: "PKCS8 RSA encrypted, no .pub", make: sshKeygen("rsa", "PKCS8", testPassphrase), answers: []string{testPassphrase}, dropPub: true},
		{name: "PKCS8 RSA encrypted", make: sshKeygen("rsa", "PKCS8", testPassphrase), answers: []string{testPassphrase}},
		{name: "PKCS8 ECDSA encrypted, no .pub", make: sshKeygen("ecdsa", "PKCS8", testPassphrase), answers: []string{testPassphrase}, dropPub: true},
		{name: "PKCS8 RSA plain", make: sshKeygen("rsa", "PKCS8", ""), dropPub: true},
		{name: "openssl PKCS8 EC encrypted", make: opensslKey("EC", "-pkeyopt", "ec_paramgen_curve:P-256"), answers: []string{testPassphrase}},
		{name: "openssl PKCS8 RSA encrypted", make: opensslKey("RSA", "-pkeyopt", "rsa_keygen_bits:2048"), answers: []string{testPassphrase}},
	}
	// One sshd accepts every key; each case offers only its own.
	privs := make([]string, len(cases))
	var pubs []string
	for i, tc := range cases {
		privs[i] = tc.make(t, t.TempDir())
		pass := ""
		if len(tc.answers) > 0 {
			pass = testPassphrase
		}
		pubs = append(pubs, publicLine(t, privs[i], pass))
		if tc.dropPub {
			os.Remove(privs[i] + ".pub")
		}
	}
	sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: pubs})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath, _ := sshd.ClientConfig(t, "target", privs[i])

			env, promptsFile := askpass(t, tc.answers...)
			want := runOpenSSH(t, env, "-F", cfgPath, "-o", "LogLevel=INFO", "target", "echo", "in")
			if want.code != 0 || want.stdout != "in\n" {
				t.Fatalf("OpenSSH did not log in (status %d): %s", want.code, want.stderr)
			}
			wantPrompts := readLines(promptsFile)

			p := &recordingPrompter{answers: append([]string(nil), tc.answers...)}
			conn := mustDial(t, resolveFor(t, cfgPath, "target"), p.prompter())
			if got := remoteOutput(t, conn, "echo in"); got != "in\n" {
				t.Fatalf("output %q", got)
			}
			if strings.Join(p.questions, "\n") != strings.Join(wantPrompts, "\n") {
				t.Fatalf("ssh-mosh asked %q\n       ssh asked %q", p.questions, wantPrompts)
			}
		})
	}
}

// TestEncryptedKeyAfterAgentKey: an encrypted key without .pub comes after
// the agent's keys, as in ssh; when an agent key logs in, neither asks
// for the passphrase, and when none does, both ask.
func TestEncryptedKeyAfterAgentKey(t *testing.T) {
	testenv.Short(t)
	dir := t.TempDir()
	enc := sshKeygen("rsa", "PEM", testPassphrase)(t, dir)
	encPub := publicLine(t, enc, testPassphrase)
	os.Remove(enc + ".pub")
	agentKey, agentPub := testenv.NewUserKey(t, "", "")
	sock := testenv.StartSSHAgent(t, agentKey)
	t.Setenv("SSH_AUTH_SOCK", sock)
	for _, tc := range []struct {
		name       string
		authorized string
		asks       int
	}{
		{"agent key authorized", agentPub, 0},
		{"only the file key authorized", encPub, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{tc.authorized}})
			cfgPath, _ := sshd.ClientConfig(t, "target", "")
			body, _ := os.ReadFile(cfgPath)
			writeFileT(t, cfgPath, string(body)+fmt.Sprintf("  IdentityFile %s\n", enc))
			env, promptsFile := askpass(t, testPassphrase)
			want := runOpenSSH(t, append(env, "SSH_AUTH_SOCK="+sock), "-F", cfgPath, "target", "echo", "in")
			if want.code != 0 || len(readLines(promptsFile)) != tc.asks {
				t.Fatalf("OpenSSH: status %d, prompts %q: %s", want.code, readLines(promptsFile), want.stderr)
			}
			p := &recordingPrompter{answers: []string{testPassphrase}}
			conn := mustDial(t, resolveFor(t, cfgPath, "target"), p.prompter())
			remoteOutput(t, conn, "true")
			if len(p.questions) != tc.asks {
				t.Fatalf("ssh-mosh asked %q, ssh asked %d times", p.questions, tc.asks)
			}
		})
	}
}

// TestAddKeysToAgentAgainstOpenSSH: with AddKeysToAgent yes, the key whose
// passphrase was typed ends up in a real ssh-agent as with ssh (ssh-add -l
// shows the same line), and the next login asks nothing.
func TestAddKeysToAgentAgainstOpenSSH(t *testing.T) {
	testenv.Short(t)
	for _, tc := range []struct {
		name    string
		make    keyMaker
		dropPub bool
		// agentOnly: IdentitiesOnly no, so the agent's keys are offered
		// even when they match no identity file's known public key.
		agentOnly bool
		asksAgain bool
	}{
		// With IdentitiesOnly and no .pub, ssh cannot tell the agent's
		// copy is the file's key: it asks again, and so does ssh-mosh.
		{"PEM RSA, no .pub", sshKeygen("rsa", "PEM", testPassphrase), true, false, true},
		{"PEM RSA, no .pub, IdentitiesOnly no", sshKeygen("rsa", "PEM", testPassphrase), true, true, false},
		{"openssh ed25519", sshKeygen("ed25519", "", testPassphrase), false, false, false},
		{"PKCS8 ECDSA, no .pub, IdentitiesOnly no", sshKeygen("ecdsa", "PKCS8", testPassphrase), true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			priv := tc.make(t, t.TempDir())
			pub := publicLine(t, priv, testPassphrase)
			if tc.dropPub {
				os.Remove(priv + ".pub")
			}
			sshd := testenv.StartSSHD(t, testenv.SSHDOptions{AuthorizedKeys: []string{pub}})
			cfgPath, _ := sshd.ClientConfig(t, "target", priv)
			body, _ := os.ReadFile(cfgPath)
			cfg := string(body) + "  AddKeysToAgent yes\n"
			if tc.agentOnly {
				cfg = strings.Replace(cfg, "IdentitiesOnly yes", "IdentitiesOnly no", 1)
			}
			writeFileT(t, cfgPath, cfg)
			sshAdd := testenv.MustHaveExec(t, "ssh-add")
			list := func(sock string) string {
				cmd := exec.Command(sshAdd, "-l")
				cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
				out, _ := cmd.CombinedOutput()
				return strings.TrimSpace(string(out))
			}

			sshSock := testenv.StartSSHAgent(t)
			env, _ := askpass(t, testPassphrase)
			if r := runOpenSSH(t, append(env, "SSH_AUTH_SOCK="+sshSock), "-F", cfgPath, "target", "true"); r.code != 0 {
				t.Fatalf("ssh: %d %s", r.code, r.stderr)
			}
			want := list(sshSock)
			// ssh's second login: what it asks now is what ssh-mosh's
			// second login must ask.
			env, prompts := askpass(t, testPassphrase)
			if r := runOpenSSH(t, append(env, "SSH_AUTH_SOCK="+sshSock), "-F", cfgPath, "target", "true"); r.code != 0 {
				t.Fatalf("ssh again: %d %s", r.code, r.stderr)
			}
			wantAgain := readLines(prompts)
			if (len(wantAgain) > 0) != tc.asksAgain {
				t.Fatalf("ssh's second login asked %q", wantAgain)
			}

			sock := testenv.StartSSHAgent(t)
			t.Setenv("SSH_AUTH_SOCK", sock)
			p := &recordingPrompter{answers: []string{testPassphrase}}
			conn := mustDial(t, resolveFor(t, cfgPath, "target"), p.prompter())
			conn.Close()
			if got := list(sock); got != want || !strings.Contains(got, "SHA256:") {
				t.Fatalf("ssh-add -l after ssh-mosh: %q\n          after ssh: %q", got, want)
			}
			// The next login takes the key from the agent.
			again := &recordingPrompter{answers: []string{testPassphrase}}
			conn = mustDial(t, resolveFor(t, cfgPath, "target"), again.prompter())
			remoteOutput(t, conn, "true")
			if strings.Join(again.questions, "\n") != strings.Join(wantAgain, "\n") {
				t.Fatalf("second login: ssh-mosh asked %q, ssh asked %q", again.questions, wantAgain)
			}
		})
	}
}
