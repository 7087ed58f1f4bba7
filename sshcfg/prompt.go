package sshcfg

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

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
var ErrNoPrompt = errors.New("cannot prompt: no terminal")

// ErrInterrupted is returned when the user typed Ctrl-C at a prompt: like
// ssh, the program then ends at once with status 130, terminal restored and
// nothing written. Ctrl-D on an empty line is io.EOF (a "no").
var ErrInterrupted = errors.New("interrupted")

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
	// The line is read in raw mode so that Ctrl-C and Ctrl-D reach us as
	// bytes: in cooked mode Ctrl-C is a SIGINT that the caller may be
	// holding (it then only echoes ^C), and a password read would leave
	// the terminal without echo if the process died there. Raw mode comes
	// before the question, so that an answer typed at once is never
	// echoed by the line discipline (readpassphrase does the same).
	fd := int(tty.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return "", fmt.Errorf("prompt: %w", err)
	}
	defer func() { _ = term.Restore(fd, old) }()
	// Raw mode has no output processing: a newline needs its return.
	if _, err := io.WriteString(tty, strings.ReplaceAll(question, "\n", "\r\n")); err != nil {
		return "", fmt.Errorf("prompt: %w", err)
	}
	return readLine(tty, tty, echo)
}

// maxPromptLine bounds an answer: a passphrase or a yes/no.
const maxPromptLine = 8 << 10

// readLine is a small line editor over a raw terminal: Enter ends the line,
// Backspace and Ctrl-U edit it, Ctrl-C is ErrInterrupted and Ctrl-D on an
// empty line io.EOF. With echo off nothing but the final newline is written.
func readLine(in io.Reader, out io.Writer, echo bool) (string, error) {
	var line []byte
	b := make([]byte, 1)
	write := func(s string) { _, _ = io.WriteString(out, s) }
	for {
		n, err := in.Read(b)
		if n == 0 {
			if err == nil {
				continue
			}
			write("\r\n")
			if len(line) > 0 && errors.Is(err, io.EOF) {
				return string(line), nil
			}
			return "", err
		}
		switch c := b[0]; c {
		case 3: // Ctrl-C
			write("\r\n")
			return "", ErrInterrupted
		case 4: // Ctrl-D
			if len(line) == 0 {
				write("\r\n")
				return "", io.EOF
			}
		case '\r', '\n':
			write("\r\n")
			return string(line), nil
		case 0x7f, 0x08: // Backspace
			if len(line) == 0 {
				continue
			}
			// Drop one UTF-8 character.
			i := len(line) - 1
			for i > 0 && line[i]&0xc0 == 0x80 {
				i--
			}
			line = line[:i]
			if echo {
				write("\b \b")
			}
		case 0x15: // Ctrl-U
			if echo {
				write(strings.Repeat("\b \b", utf8.RuneCount(line)))
			}
			line = line[:0]
		default:
			if c < ' ' && c != '\t' || len(line) >= maxPromptLine {
				continue
			}
			line = append(line, c)
			if echo {
				_, _ = out.Write(b)
			}
		}
	}
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
