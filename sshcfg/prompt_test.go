package sshcfg

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadLineEditing(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		echo     bool
		want     string
		wantErr  error
		wantOut  string
	}{
		{name: "enter", in: "yes\r", echo: true, want: "yes", wantOut: "yes\r\n"},
		{name: "newline", in: "no\n", echo: true, want: "no", wantOut: "no\r\n"},
		{name: "hidden", in: "s3cret\r", want: "s3cret", wantOut: "\r\n"},
		{name: "backspace", in: "yex\x7fs\r", echo: true, want: "yes", wantOut: "yex\b \bs\r\n"},
		{name: "backspace-utf8", in: "né\x7fe\r", want: "ne", wantOut: "\r\n"},
		{name: "kill-line", in: "abc\x15yes\r", echo: true, want: "yes", wantOut: "abc\b \b\b \b\b \byes\r\n"},
		{name: "ctrl-c", in: "ye\x03s\r", echo: true, wantErr: ErrInterrupted, wantOut: "ye\r\n"},
		{name: "ctrl-c-hidden", in: "pass\x03", wantErr: ErrInterrupted, wantOut: "\r\n"},
		{name: "ctrl-d-empty", in: "\x04yes\r", echo: true, wantErr: io.EOF, wantOut: "\r\n"},
		{name: "ctrl-d-not-empty", in: "y\x04es\r", echo: true, want: "yes", wantOut: "yes\r\n"},
		{name: "eof-after-text", in: "yes", echo: true, want: "yes", wantOut: "yes\r\n"},
		{name: "controls-dropped", in: "y\x1b[Ae\x01s\r", echo: true, want: "y[Aes", wantOut: "y[Aes\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := readLine(strings.NewReader(tt.in), &out, tt.echo)
			if !errors.Is(err, tt.wantErr) || got != tt.want || out.String() != tt.wantOut {
				t.Fatalf("readLine(%q) = %q, %v, wrote %q; want %q, %v, %q", tt.in, got, err, out.String(), tt.want, tt.wantErr, tt.wantOut)
			}
		})
	}
}

func TestReadLineBounded(t *testing.T) {
	got, err := readLine(strings.NewReader(strings.Repeat("x", 3*maxPromptLine)+"\r"), io.Discard, false)
	if err != nil || len(got) != maxPromptLine {
		t.Fatalf("len %d, %v; want %d", len(got), err, maxPromptLine)
	}
}

func TestLogLevelAtLeast(t *testing.T) {
	for _, tt := range []struct {
		have, want string
		shown      bool
	}{
		{"", "INFO", true}, {"", "DEBUG", false}, {"QUIET", "ERROR", false}, {"FATAL", "ERROR", false},
		{"ERROR", "ERROR", true}, {"ERROR", "INFO", false}, {"VERBOSE", "INFO", true}, {"DEBUG3", "DEBUG", true},
	} {
		if got := logLevelAtLeast(tt.have, tt.want); got != tt.shown {
			t.Errorf("logLevelAtLeast(%q, %q) = %v, want %v", tt.have, tt.want, got, tt.shown)
		}
	}
}
