package term

import "strconv"

// AppendScreenLines appends f's rows as lines of text to be printed where
// the cursor of a terminal is, at the start of a line: what a session
// leaves behind once it gives the terminal back, so that the last screen
// stays readable, as it does after ssh (and scrolls into the terminal's
// history like any other output).
//
// Rows are printed from the top down to the cursor's row or the last row
// with anything visible, whichever is lower; trailing blank cells are left
// out, renditions are kept (each line ends with the default rendition, so
// no colour spills into the lines that follow), and a row that wrapped
// continues by the terminal's own autowrap. The cursor ends where f's
// cursor is within the printed rows. Only SGR, CR, LF, CUU and CUF are
// used, which every terminal a mosh client draws on has.
func AppendScreenLines(dst []byte, f *Framebuffer) []byte {
	last := f.CursorRow()
	for r := f.Height() - 1; r > last; r-- {
		if visibleCells(f.Row(r)) > 0 {
			last = r
			break
		}
	}
	var cur Rendition
	for r := 0; r <= last; r++ {
		row := f.Row(r)
		n := row.Width()
		// Autowrap joins the rows only if the next one prints something.
		wraps := row.Wrap() && r < last && visibleCells(f.Row(r+1)) > 0
		if !wraps {
			n = visibleCells(row)
		}
		for col := 0; col < n; col++ {
			c := row.Cell(col)
			if rend := c.Rendition(); rend != cur {
				dst = rend.AppendSGR(dst)
				cur = rend
			}
			switch {
			case c.Wide() && col+1 < row.Width() && !row.Cell(col+1).Empty():
				// Something was written over its right half: a terminal
				// shows that and erases the wide character's left half.
				dst = append(dst, ' ')
			case c.Wide():
				dst = c.AppendGrapheme(dst)
				col++ // its right half
			default:
				dst = c.AppendGrapheme(dst)
			}
		}
		if wraps {
			continue
		}
		if cur != (Rendition{}) {
			dst = append(dst, "\x1b[0m"...)
			cur = Rendition{}
		}
		if r < last {
			dst = append(dst, "\r\n"...)
		}
	}
	if cur != (Rendition{}) {
		dst = append(dst, "\x1b[0m"...)
	}
	dst = append(dst, '\r')
	if up := last - f.CursorRow(); up > 0 {
		dst = appendCSI(dst, up, 'A')
	}
	if col := f.CursorCol(); col > 0 {
		dst = appendCSI(dst, col, 'C')
	}
	return dst
}

// visibleCells is the number of cells of row up to its last one that
// shows something: a character, or a rendition other than the default
// (a coloured background, an underline under a blank).
func visibleCells(row *Row) int {
	for n := row.Width(); n > 0; n-- {
		c := row.Cell(n - 1)
		if !c.IsBlank() || c.Rendition() != (Rendition{}) {
			return n
		}
	}
	return 0
}

func appendCSI(dst []byte, n int, final byte) []byte {
	dst = append(dst, "\x1b["...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, final)
}
