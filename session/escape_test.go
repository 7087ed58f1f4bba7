package session

import "testing"

func TestParseEscapeKey(t *testing.T) {
	tests := []struct {
		val  string
		set  bool
		key  int
		name string
		help string
	}{
		{"", false, 0x1e, "Ctrl-^", `Commands: Ctrl-Z suspends, "." quits, "s" shows status, "^" sends Ctrl-^`},
		{"", true, -1, "", ""},
		{"\x01", true, 1, "Ctrl-A", `Commands: Ctrl-Z suspends, "." quits, "s" shows status, "A" sends Ctrl-A`},
		{"~", true, '~', `'~'`, `Commands: Ctrl-Z suspends, "." quits, "s" shows status, "~" sends '~'`},
		{"\x03", true, 0x1e, "Ctrl-^", ""}, // Ctrl-C refused
		{"\r", true, 0x1e, "Ctrl-^", ""},
		{"ab", true, 0x1e, "Ctrl-^", ""},
	}
	for _, tt := range tests {
		k := ParseEscapeKey(tt.val, tt.set)
		if k.Key != tt.key || k.Name != tt.name || (tt.help != "" && k.Help != tt.help) {
			t.Errorf("ParseEscapeKey(%q, %v) = %+v, want key %d name %q help %q", tt.val, tt.set, k, tt.key, tt.name, tt.help)
		}
	}
}

func feedAll(f *escapeFilter, in string) (string, []escapeAction) {
	var out []byte
	var acts []escapeAction
	for i := 0; i < len(in); i++ {
		var a escapeAction
		out, a = f.feed(in[i], out)
		acts = append(acts, a)
	}
	return string(out), acts
}

func TestEscapeFilter(t *testing.T) {
	f := &escapeFilter{key: ParseEscapeKey("", false)}
	out, acts := feedAll(f, "ls\r\x1e^x\x1ey\x1e.")
	if out != "ls\r\x1ex\x1ey" {
		t.Errorf("sent %q", out)
	}
	if acts[len(acts)-1] != escQuit {
		t.Errorf("Ctrl-^ . did not quit: %v", acts)
	}
	f = &escapeFilter{key: ParseEscapeKey("", false)}
	if _, acts := feedAll(f, "\x1e\x1a"); acts[1] != escSuspend {
		t.Errorf("Ctrl-^ Ctrl-Z did not suspend: %v", acts)
	}
	// A printable escape key works only at the start of a line, and not
	// before the first newline.
	f = &escapeFilter{key: ParseEscapeKey("~", true)}
	out, acts = feedAll(f, "~.a~.\r~.")
	if out != "~.a~.\r" || acts[len(acts)-1] != escQuit {
		t.Errorf("printable escape: sent %q, actions %v", out, acts)
	}
	// Disabled.
	f = &escapeFilter{key: ParseEscapeKey("", true)}
	if out, _ := feedAll(f, "\x1e."); out != "\x1e." {
		t.Errorf("disabled escape key still intercepted: %q", out)
	}
	// Ctrl-^ s asks for the status and sends nothing; with "s" as the
	// escape key itself, "s s" is still the literal key.
	f = &escapeFilter{key: ParseEscapeKey("", false)}
	if out, acts := feedAll(f, "\x1es"); out != "" || acts[1] != escStatus {
		t.Errorf("Ctrl-^ s: sent %q, actions %v", out, acts)
	}
	f = &escapeFilter{key: ParseEscapeKey("s", true), lfEntered: true}
	if out, acts := feedAll(f, "ss"); out != "s" || acts[1] != escFinished {
		t.Errorf("escape key s then s: sent %q, actions %v", out, acts)
	}
	// Ctrl-L repaints.
	f = &escapeFilter{key: ParseEscapeKey("", false)}
	if out, acts := feedAll(f, "\x0c"); out != "\x0c" || acts[0] != escRepaint {
		t.Errorf("Ctrl-L: %q %v", out, acts)
	}
}

// TestEscapeFilterSSH: OpenSSH's escape character beside mosh's key.
func TestEscapeFilterSSH(t *testing.T) {
	for _, tc := range []struct {
		typed, sent string
		last        escapeAction
	}{
		{"~.", "", escQuitSSH},           // at the session's start
		{"ls\r~.", "ls\r", escQuitSSH},   // after Enter
		{"a~.", "a~.", escSend},          // not at a line's start
		{"~?", "", escSSHHelp},           // help
		{"~?~.", "", escQuitSSH},         // help keeps the line's start
		{"~\x1a", "", escSuspend},        // suspend
		{"~~", "~", escSend},             // the character itself, once
		{"~/bin", "~/bin", escSend},      // anything else: both
		{"~\x1e.", "~", escQuit},         // then mosh's key still works
		{"\x1e.", "", escQuit},           // mosh's key anywhere
		{"x\x1e^~.", "x\x1e~.", escSend}, // mosh's literal key is not a newline
		{"\r~", "\r", escHeld},           // held until the next byte
		{"\x1e~.", "\x1e~.", escSend},    // mosh's sequence takes any byte
	} {
		f := newEscapeFilter(ParseEscapeKey("", false), '~')
		out, acts := feedAll(&f, tc.typed)
		if out != tc.sent || acts[len(acts)-1] != tc.last {
			t.Errorf("typed %q: sent %q, actions %v; want %q, last %v", tc.typed, out, acts, tc.sent, tc.last)
		}
	}
	// When both are the same byte, it is mosh's.
	f := newEscapeFilter(ParseEscapeKey("", false), 0x1e)
	if _, acts := feedAll(&f, "\x1es"); acts[1] != escStatus {
		t.Errorf("the same key: actions %v", acts)
	}
}
