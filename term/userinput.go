package term

// UserInput rewrites keystrokes on their way to the application, as mosh's
// server does (terminaluserinput.cc). The client keeps the user's terminal
// in application cursor-key mode, so arrows arrive as ESC O A..D; unless
// the application itself enabled DECCKM, they are turned back into the
// ANSI form ESC [ A..D it expects. The zero value is ready to use; its
// state carries across calls.
type UserInput struct {
	state userInputState
}

type userInputState uint8

const (
	inputGround userInputState = iota
	inputEscape                // after ESC
	inputSS3                   // after ESC O, waiting for the key
)

// Translate appends the translation of keys to dst and returns it. A
// trailing ESC O is held back until the next call decides what follows.
func (u *UserInput) Translate(dst, keys []byte, appCursorKeys bool) []byte {
	for _, c := range keys {
		switch u.state {
		case inputGround:
			if c == 0x1b {
				u.state = inputEscape
			}
			dst = append(dst, c)
		case inputEscape:
			if c == 'O' {
				u.state = inputSS3
				continue
			}
			u.state = inputGround
			dst = append(dst, c)
		case inputSS3:
			u.state = inputGround
			if !appCursorKeys && c >= 'A' && c <= 'D' {
				dst = append(dst, '[', c)
			} else {
				dst = append(dst, 'O', c)
			}
		}
	}
	return dst
}

// Pending reports whether an ESC O is being held back.
func (u *UserInput) Pending() bool { return u.state == inputSS3 }

// TranslateKeys translates one complete batch of keystrokes for an
// application whose screen is fb (see UserInput). Unlike UserInput it
// keeps no state: an ESC O at the very end is passed through unchanged.
func TranslateKeys(fb *Framebuffer, keys []byte) []byte {
	var u UserInput
	out := u.Translate(make([]byte, 0, len(keys)+2), keys, fb.ds.appCursorKeys)
	if u.Pending() {
		out = append(out, 'O')
	}
	return out
}
