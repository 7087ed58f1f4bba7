package session

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	mterm "github.com/ssh-mosh/ssh-mosh/term"
)

func feedPrompt(ps *promptState, in string) (done bool) {
	for i := 0; i < len(in); i++ {
		if ps.feed(in[i]) {
			return true
		}
	}
	return false
}

func TestPromptAnswer(t *testing.T) {
	reply := make(chan PromptAnswer, 1)
	ps := &promptState{p: &Prompt{Question: "Enter passphrase: ", Reply: reply}}
	if feedPrompt(ps, "secrex\x7ft wö\x7fd") {
		t.Fatal("answered before Enter")
	}
	if got := ps.text(); got != "Enter passphrase: " {
		t.Errorf("a secret prompt shows %q", got)
	}
	if !feedPrompt(ps, "\r") {
		t.Fatal("Enter did not answer")
	}
	if a := <-reply; a.Err != nil || a.Text != "secret wd" {
		t.Errorf("answer %+v, want \"secret wd\"", a)
	}
}

func TestPromptEchoAndKill(t *testing.T) {
	reply := make(chan PromptAnswer, 1)
	ps := &promptState{p: &Prompt{Question: "login: ", Echo: true, Reply: reply}}
	feedPrompt(ps, "junk\x15root")
	if got := ps.text(); got != "login: root" {
		t.Errorf("echoed prompt shows %q", got)
	}
	if !feedPrompt(ps, "\x03") {
		t.Fatal("Ctrl-C did not end the prompt")
	}
	if a := <-reply; !errors.Is(a.Err, errPromptCancelled) {
		t.Errorf("Ctrl-C gave %+v", a)
	}
}

// A failed send while a question is in the bar (the SSH path is down
// while its re-dial asks for a passphrase) leaves the question there; it
// used to be replaced by the send error within three seconds.
func TestPromptSurvivesSendErrors(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	c, err := newClient(ClientConfig{Escape: ParseEscapeKey("", false), In: null, Out: io.Discard}, mterm.Display{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c.openPrompt(&Prompt{Question: "Enter passphrase for key id: ", Reply: make(chan PromptAnswer, 1)}, now)
	c.Sent(nil, errors.New("datapath: the stream path has ended"), now.Add(3*time.Second))
	if got := c.notes.Text(now.Add(3 * time.Second)); !strings.Contains(got, "Enter passphrase for key id:") {
		t.Fatalf("the bar shows %q, not the question", got)
	}
	c.prompt = nil
	c.Sent(nil, errors.New("datapath: the stream path has ended"), now.Add(6*time.Second))
	if got := c.notes.Text(now.Add(6 * time.Second)); !strings.Contains(got, "the stream path has ended") {
		t.Fatalf("with no question the bar shows %q, not the send error", got)
	}
}

// TestPromptTakesSSHEscape: with a question in the bar, "~." is part of
// the answer (a password may start so), not ssh's quit; mosh's key still
// reaches the escape.
func TestPromptTakesSSHEscape(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	c, err := newClient(ClientConfig{Escape: ParseEscapeKey("", false), SSHEscape: '~', In: null, Out: io.Discard}, mterm.Display{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	reply := make(chan PromptAnswer, 1)
	c.openPrompt(&Prompt{Question: "Password: ", Reply: reply}, now)
	nop := func() error { return nil }
	if c.userInput([]byte("~.pw\r"), now, func() {}, nop) || c.res.SSHEscapeQuit {
		t.Fatal("~. in a prompt quit the session")
	}
	if a := <-reply; a.Err != nil || a.Text != "~.pw" {
		t.Errorf("answer %+v, want \"~.pw\"", a)
	}
	// With the question answered, ~. at a line's start quits again.
	if !c.userInput([]byte("~."), now, func() {}, nop) && !c.res.SSHEscapeQuit {
		t.Error("~. after the prompt did not quit")
	}
}
