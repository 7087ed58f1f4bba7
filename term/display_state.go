package term

import "strconv"

// frameState is what a frame being built knows about the terminal it is
// meant for (mosh's FrameState): where the cursor is (-1 when unknown),
// the rendition in effect and whether the cursor shows.
type frameState struct {
	out     []byte
	x, y    int
	rend    Rendition
	visible bool
	// width is the screen width. After writing the last column x equals
	// width: the terminal's cursor is really in the last column with a
	// wrap pending.
	width int
	// moshExact turns off our corrections of mosh's string (tests only).
	moshExact bool
}

// appendSilentMove moves the cursor to draw at y, x, hiding it first so
// that the user does not see it jump around (FrameState::append_silent_move).
func (fs *frameState) appendSilentMove(y, x int) {
	if fs.x == x && fs.y == y {
		return
	}
	if fs.visible {
		fs.out = append(fs.out, "\x1b[?25l"...)
		fs.visible = false
	}
	fs.appendMove(y, x)
}

// appendMove moves the cursor to y, x (FrameState::append_move): with CR
// and up to four LFs for the start of a line slightly below, with up to
// four backspaces for a spot slightly to the left on the same line, else
// with an absolute CUP.
//
// Deviation from mosh: backspaces are not used from the phantom column
// (x == width, after the last column was written). There the terminal's
// cursor is in the last column with a wrap pending, and a backspace moves
// it from that column, one further than mosh counts: mosh 1.4 leaves the
// client's cursor one column left of the server's in this case (see
// TestDisplayPhantomColumnBackspace). CUP is right on every terminal.
func (fs *frameState) appendMove(y, x int) {
	lastX, lastY := fs.x, fs.y
	fs.x, fs.y = x, y
	if lastX != -1 && lastY != -1 {
		if x == 0 && y-lastY >= 0 && y-lastY < 5 {
			if lastX != 0 {
				fs.out = append(fs.out, '\r')
			}
			fs.out = appendRepeat(fs.out, '\n', y-lastY)
			return
		}
		if y == lastY && x-lastX < 0 && x-lastX > -5 && (lastX < fs.width || fs.moshExact) {
			fs.out = appendRepeat(fs.out, '\b', lastX-x)
			return
		}
	}
	fs.out = append(fs.out, "\x1b["...)
	fs.out = strconv.AppendInt(fs.out, int64(y+1), 10)
	fs.out = append(fs.out, ';')
	fs.out = strconv.AppendInt(fs.out, int64(x+1), 10)
	fs.out = append(fs.out, 'H')
}

// updateRendition selects r unless it is in effect already (or force).
func (fs *frameState) updateRendition(r Rendition, force bool) {
	if force || fs.rend != r {
		fs.out = r.AppendSGR(fs.out)
		fs.rend = r
	}
}
