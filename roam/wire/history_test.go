package wire

import (
	"bytes"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func historyEqual(a, b History) bool {
	if a.First != b.First || a.Next != b.Next || len(a.Lines) != len(b.Lines) {
		return false
	}
	for i := range a.Lines {
		if a.Lines[i].N != b.Lines[i].N || a.Lines[i].Wrap != b.Lines[i].Wrap || !bytes.Equal(a.Lines[i].Text, b.Lines[i].Text) {
			return false
		}
	}
	return true
}

// The bytes docs/PROTOCOL-EXTENSIONS.md gives for the history extension
// and the scrollback offer.
func TestHistoryWireBytes(t *testing.T) {
	got := AppendHostMessage(nil, []HostInstruction{{Kind: HostHistory, History: History{First: 0, Next: 1,
		Lines: []HistoryLine{{N: 0, Text: []byte("L1")}}}}})
	if want := unhex(t, "0a 10 92 80 02 0c 08 00 10 01 1a 06 08 00 12 02 4c 31"); !bytes.Equal(got, want) {
		t.Errorf("history: got %x, want %x", got, want)
	}
	got = AppendUserMessage(nil, []UserInstruction{{Kind: UserExtensionOffer, Features: FeatureExitStatus | FeatureScrollback}})
	if want := unhex(t, "0a 06 82 80 02 02 08 03"); !bytes.Equal(got, want) {
		t.Errorf("offer: got %x, want %x", got, want)
	}
}

// A user message never carries history: our server skips field 4098 there
// like any unknown field.
func TestHistoryHostSideOnly(t *testing.T) {
	h := field(fieldHistory, cat(varintField(fieldHistFirst, 0), varintField(fieldHistNext, 0)))
	u, err := ParseUserMessage(cat(field(1, h), field(1, field(2, field(4, []byte("k"))))))
	if err != nil || len(u) != 1 || u[0].Kind != UserKeystroke {
		t.Fatalf("user: %+v, %v", u, err)
	}
	ins, err := ParseHostMessage(field(1, h))
	if err != nil || len(ins) != 1 || ins[0].Kind != HostHistory {
		t.Fatalf("host: %+v, %v", ins, err)
	}
}

func TestHistoryDecodingChecks(t *testing.T) {
	line := func(n uint64, text string) []byte {
		return field(fieldHistLine, cat(varintField(fieldLineNumber, n), field(fieldLineText, []byte(text))))
	}
	for _, c := range []struct {
		name string
		msg  []byte
		ok   bool
		gap  uint64
	}{
		{"empty", nil, true, 0},
		{"all dropped", cat(varintField(fieldHistFirst, 3), varintField(fieldHistNext, 10)), true, 7},
		{"gap then lines", cat(varintField(fieldHistFirst, 3), varintField(fieldHistNext, 10), line(8, "a"), line(9, "\x1b[0;1;38;5;200mb\x1b[0m")), true, 5},
		{"first after next", cat(varintField(fieldHistFirst, 4), varintField(fieldHistNext, 3)), false, 0},
		{"line before first", cat(varintField(fieldHistFirst, 3), varintField(fieldHistNext, 4), line(2, "a"), line(3, "b")), false, 0},
		{"hole", cat(varintField(fieldHistNext, 3), line(0, "a"), line(2, "b")), false, 0},
		{"not ending at next", cat(varintField(fieldHistNext, 3), line(0, "a")), false, 0},
		{"out of order", cat(varintField(fieldHistNext, 2), line(1, "a"), line(0, "b")), false, 0},
		{"cursor move", cat(varintField(fieldHistNext, 1), line(0, "a\x1b[2J")), false, 0},
		{"newline", cat(varintField(fieldHistNext, 1), line(0, "a\nb")), false, 0},
		{"OSC", cat(varintField(fieldHistNext, 1), line(0, "\x1b]0;x\x07")), false, 0},
		{"C1 CSI", cat(varintField(fieldHistNext, 1), line(0, "\u009b2J")), false, 0},
		{"bad UTF-8", cat(varintField(fieldHistNext, 1), line(0, "\xff")), false, 0},
		{"unfinished SGR", cat(varintField(fieldHistNext, 1), line(0, "\x1b[1")), false, 0},
		{"wide and combining", cat(varintField(fieldHistNext, 1), line(0, "日本e\u0301\u00a0")), true, 0},
	} {
		h, err := parseHistory(c.msg)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
			continue
		}
		if err != nil && !errors.Is(err, errBadHistory) {
			t.Errorf("%s: %v is not errBadHistory", c.name, err)
		}
		if err == nil && h.Gap() != c.gap {
			t.Errorf("%s: gap %d, want %d", c.name, h.Gap(), c.gap)
		}
	}
}

// Any well-formed History survives encoding and decoding.
func TestHistoryRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		first := rapid.Uint64Range(0, 1<<40).Draw(t, "first")
		gap := rapid.Uint64Range(0, 5).Draw(t, "gap")
		texts := rapid.SliceOfN(rapid.SampledFrom([]string{"", "L00001", "\x1b[0;31mred\x1b[0m", "日本", "a\u0301", "\x1b[0;38;2;1;2;3mx"}), 0, 8).Draw(t, "texts")
		h := History{First: first, Next: first + gap + uint64(len(texts))}
		for i, s := range texts {
			h.Lines = append(h.Lines, HistoryLine{N: first + gap + uint64(i), Text: []byte(s), Wrap: rapid.Bool().Draw(t, "wrap")})
		}
		ins, err := ParseHostMessage(AppendHostMessage(nil, []HostInstruction{{Kind: HostHistory, History: h}}))
		if err != nil || len(ins) != 1 || !historyEqual(ins[0].History, h) {
			t.Fatalf("round trip of %+v: %+v, %v", h, ins, err)
		}
		if ins[0].History.Gap() != gap {
			t.Fatalf("gap %d, want %d", ins[0].History.Gap(), gap)
		}
	})
}

// FuzzParseHistory decodes History messages: whatever is accepted has the
// checked structure, only SGR escapes in its texts, and encodes back to
// the same History.
func FuzzParseHistory(f *testing.F) {
	f.Add([]byte{})
	f.Add(cat(varintField(fieldHistFirst, 3), varintField(fieldHistNext, 5),
		field(fieldHistLine, cat(varintField(fieldLineNumber, 4), field(fieldLineText, []byte("\x1b[0;32mok")))),
		field(fieldHistLine, cat(varintField(fieldLineNumber, 5-1+1), field(fieldLineText, []byte("x")), varintField(fieldLineWrap, 1)))))
	f.Add(cat(varintField(fieldHistNext, 1), field(fieldHistLine, field(fieldLineText, []byte("\x1b[2J")))))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHistory(b)
		if err != nil {
			return
		}
		if err := h.check(); err != nil {
			t.Fatalf("accepted %+v: %v", h, err)
		}
		for _, l := range h.Lines {
			for i := 0; i < len(l.Text); i++ {
				if c := l.Text[i]; c < 0x20 && c != 0x1b {
					t.Fatalf("accepted control %#x in %q", c, l.Text)
				}
			}
		}
		ins, err := ParseHostMessage(AppendHostMessage(nil, []HostInstruction{{Kind: HostHistory, History: h}}))
		if err != nil || len(ins) != 1 || !historyEqual(ins[0].History, h) {
			t.Fatalf("round trip of %+v: %+v, %v", h, ins, err)
		}
	})
}
