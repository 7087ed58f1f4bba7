package session

import (
	"errors"
	"testing"
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
