package sshcfg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// Prompter is how Dial talks to the user: questions (passphrases, passwords,
// unknown host keys) and notices (warnings, "Permanently added ..."). It is
// only used before the session takes over the terminal.
type Prompter interface {
	// Prompt shows question and reads one line; echo false hides input.
	Prompt(question string, echo bool) (string, error)
	// Notice shows a message that needs no answer.
	Notice(msg string)
}

// ErrNoPrompt is returned by prompters that cannot ask (batch mode, no
// terminal).
var ErrNoPrompt = errors.New("sshcfg: cannot prompt: no terminal")

// TerminalPrompter asks on the controlling terminal (/dev/tty), as ssh does,
// so that prompts work even when stdin/stdout are redirected. Notices go to
// stderr.
type TerminalPrompter struct {
	mu sync.Mutex
}

var _ Prompter = (*TerminalPrompter)(nil)

// Prompt implements Prompter.
func (p *TerminalPrompter) Prompt(question string, echo bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoPrompt, err)
	}
	defer tty.Close()
	if _, err := io.WriteString(tty, question); err != nil {
		return "", fmt.Errorf("sshcfg: prompt: %w", err)
	}
	if !echo {
		b, err := term.ReadPassword(int(tty.Fd()))
		_, _ = io.WriteString(tty, "\n")
		if err != nil {
			return "", fmt.Errorf("sshcfg: prompt: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(tty).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("sshcfg: prompt: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Notice implements Prompter.
func (p *TerminalPrompter) Notice(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(os.Stderr, strings.TrimRight(msg, "\n"))
}

// FuncPrompter adapts functions to Prompter (tests, GUIs). A nil PromptFunc
// answers ErrNoPrompt; a nil NoticeFunc drops notices.
type FuncPrompter struct {
	PromptFunc func(question string, echo bool) (string, error)
	NoticeFunc func(msg string)
}

var _ Prompter = FuncPrompter{}

// Prompt implements Prompter.
func (f FuncPrompter) Prompt(question string, echo bool) (string, error) {
	if f.PromptFunc == nil {
		return "", ErrNoPrompt
	}
	return f.PromptFunc(question, echo)
}

// Notice implements Prompter.
func (f FuncPrompter) Notice(msg string) {
	if f.NoticeFunc != nil {
		f.NoticeFunc(msg)
	}
}
