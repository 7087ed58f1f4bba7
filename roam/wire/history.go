package wire

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// The scrollback extension (docs/PROTOCOL-EXTENSIONS.md): a client that
// offers FeatureScrollback receives, in each host diff, the lines that
// scrolled off the top of the server's primary screen since the diff's
// reference state, so that it can write them into its terminal's own
// scrollback.
const (
	// FeatureScrollback asks the server for its history lines
	// (HostHistory).
	FeatureScrollback uint64 = 1 << 1

	// fieldHistory is HostBuffers.Instruction extension
	// `optional History history = 4098`.
	fieldHistory protowire.Number = 4098

	fieldHistFirst protowire.Number = 1 // History.first (uint64)
	fieldHistNext  protowire.Number = 2 // History.next (uint64)
	fieldHistLine  protowire.Number = 3 // History.line (repeated HistoryLine)

	fieldLineNumber protowire.Number = 1 // HistoryLine.number (uint64)
	fieldLineText   protowire.Number = 2 // HistoryLine.text (bytes)
	fieldLineWrap   protowire.Number = 3 // HistoryLine.wrap (bool)
)

// MaxHistoryLineText bounds one line's text: a line of MaxTermDim cells
// each with its own colours fits, anything longer is not a line we sent.
const MaxHistoryLineText = 1 << 20

// History is the history part of a host diff: the server's history count
// went from First (the diff's reference state) to Next, and Lines are the
// newest of those lines, contiguous and ending at Next-1. Lines
// First..Lines[0].N-1 (all of First..Next-1 when Lines is empty) are a
// gap: the server's ring dropped them before the client got them, or they
// did not fit in this diff.
type History struct {
	First, Next uint64
	Lines       []HistoryLine
}

// Gap is how many lines of First..Next-1 the diff does not carry.
func (h History) Gap() uint64 {
	if len(h.Lines) == 0 {
		return h.Next - h.First
	}
	return h.Lines[0].N - h.First
}

// HistoryLine is one history line: its number for the session, its text
// as UTF-8 with SGR sequences (CSI … m) for its renditions and nothing
// else, and whether it soft-wrapped into the next line.
type HistoryLine struct {
	N    uint64
	Text []byte
	Wrap bool
}

var errBadHistory = errors.New("wire: invalid history")

// appendHistory appends the history extension.
func appendHistory(b []byte, h History) []byte {
	var m []byte
	m = protowire.AppendTag(m, fieldHistFirst, protowire.VarintType)
	m = protowire.AppendVarint(m, h.First)
	m = protowire.AppendTag(m, fieldHistNext, protowire.VarintType)
	m = protowire.AppendVarint(m, h.Next)
	var l []byte
	for _, line := range h.Lines {
		l = l[:0]
		l = protowire.AppendTag(l, fieldLineNumber, protowire.VarintType)
		l = protowire.AppendVarint(l, line.N)
		l = protowire.AppendTag(l, fieldLineText, protowire.BytesType)
		l = protowire.AppendBytes(l, line.Text)
		if line.Wrap {
			l = protowire.AppendTag(l, fieldLineWrap, protowire.VarintType)
			l = protowire.AppendVarint(l, 1)
		}
		m = protowire.AppendTag(m, fieldHistLine, protowire.BytesType)
		m = protowire.AppendBytes(m, l)
	}
	b = protowire.AppendTag(b, fieldHistory, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

// parseHistory reads a History message and checks its structure: First ≤
// Next, lines contiguous and ending at Next-1, each text valid
// (ValidHistoryText). Texts alias b.
func parseHistory(b []byte) (History, error) {
	var h History
	var inner error
	err := walkFields(b, func(n protowire.Number, t protowire.Type, v uint64, bs []byte) {
		if inner != nil {
			return
		}
		switch {
		case n == fieldHistFirst && t == protowire.VarintType:
			h.First = v
		case n == fieldHistNext && t == protowire.VarintType:
			h.Next = v
		case n == fieldHistLine && t == protowire.BytesType:
			var l HistoryLine
			inner = walkFields(bs, func(n protowire.Number, t protowire.Type, v uint64, text []byte) {
				switch {
				case n == fieldLineNumber && t == protowire.VarintType:
					l.N = v
				case n == fieldLineText && t == protowire.BytesType:
					l.Text = text
				case n == fieldLineWrap && t == protowire.VarintType:
					l.Wrap = v != 0
				}
			})
			h.Lines = append(h.Lines, l)
		}
	})
	if err == nil {
		err = inner
	}
	if err != nil {
		return History{}, err
	}
	if err := h.check(); err != nil {
		return History{}, err
	}
	return h, nil
}

func (h History) check() error {
	if h.First > h.Next {
		return fmt.Errorf("%w: first %d after next %d", errBadHistory, h.First, h.Next)
	}
	if len(h.Lines) == 0 {
		return nil
	}
	n0 := h.Lines[0].N
	if n0 < h.First || uint64(len(h.Lines)) != h.Next-n0 {
		return fmt.Errorf("%w: lines %d+%d do not end at %d", errBadHistory, n0, len(h.Lines), h.Next)
	}
	for i, l := range h.Lines {
		if l.N != n0+uint64(i) {
			return fmt.Errorf("%w: line %d where %d was due", errBadHistory, l.N, n0+uint64(i))
		}
		if err := ValidHistoryText(l.Text); err != nil {
			return fmt.Errorf("line %d: %w", l.N, err)
		}
	}
	return nil
}

// ValidHistoryText reports whether text is fit to be written to a user's
// terminal as a line of history: valid UTF-8 of printable characters (no
// C0 or C1 control, no DEL) and SGR sequences ESC [ digits/';'/':' m.
// Anything else could move the cursor, change modes or answer queries in
// the user's terminal, which a history line must never do.
func ValidHistoryText(text []byte) error {
	if len(text) > MaxHistoryLineText {
		return fmt.Errorf("%w: line of %d bytes", errBadHistory, len(text))
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c == 0x1b {
			j := i + 1
			if j >= len(text) || text[j] != '[' {
				return fmt.Errorf("%w: escape other than SGR at byte %d", errBadHistory, i)
			}
			for j++; j < len(text) && (text[j] >= '0' && text[j] <= '9' || text[j] == ';' || text[j] == ':'); j++ {
			}
			if j >= len(text) || text[j] != 'm' {
				return fmt.Errorf("%w: escape other than SGR at byte %d", errBadHistory, i)
			}
			i = j + 1
			continue
		}
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: control character %#x at byte %d", errBadHistory, c, i)
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("%w: invalid UTF-8 at byte %d", errBadHistory, i)
		}
		if r >= 0x80 && r <= 0x9f {
			return fmt.Errorf("%w: C1 control %U at byte %d", errBadHistory, r, i)
		}
		i += size
	}
	return nil
}
