package term

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a Handler that writes every event as a string; it copies
// what the parser passes since the parser reuses its buffers.
type recorder struct{ events []string }

func (r *recorder) Print(c rune)   { r.events = append(r.events, fmt.Sprintf("print %q", c)) }
func (r *recorder) Execute(c rune) { r.events = append(r.events, fmt.Sprintf("exec %#x", c)) }
func (r *recorder) EscDispatch(inter []byte, final rune) {
	r.events = append(r.events, fmt.Sprintf("esc %q %q", inter, final))
}
func (r *recorder) CSIDispatch(p *Params, inter []byte, final rune) {
	vals := make([]string, p.Count())
	for i := range vals {
		vals[i] = fmt.Sprint(p.Get(i, -1))
	}
	r.events = append(r.events, fmt.Sprintf("csi %q [%s] %q", inter, strings.Join(vals, " "), final))
}
func (r *recorder) OSCDispatch(data []rune) {
	r.events = append(r.events, fmt.Sprintf("osc %q", string(data)))
}

var _ Handler = (*recorder)(nil)

type parserCase struct {
	name string
	in   string
	want []string
}

func runParserCases(t *testing.T, cases []parserCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var whole, split recorder
			var p1, p2 Parser
			p1.Parse([]byte(tc.in), &whole)
			if diff := cmp.Diff(tc.want, whole.events); diff != "" {
				t.Errorf("Parse(%q) events (-want +got):\n%s", tc.in, diff)
			}
			// Byte-at-a-time feeding must give the same events.
			for i := range len(tc.in) {
				p2.Parse([]byte{tc.in[i]}, &split)
			}
			if diff := cmp.Diff(whole.events, split.events); diff != "" {
				t.Errorf("byte-wise Parse(%q) differs (-whole +split):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParserGround(t *testing.T) {
	runParserCases(t, []parserCase{
		{"ascii", "ab", []string{`print 'a'`, `print 'b'`}},
		{"del is printed", "\x7f", []string{`print '\x7f'`}},
		{"c0", "\x00\x07\x0d", []string{"exec 0x0", "exec 0x7", "exec 0xd"}},
		{"utf8 wide", "\u4e00", []string{`print '一'`}},
		{"latin1", "\u00e9", []string{`print 'é'`}},
		{"c1 as code point", "\u0085", []string{"exec 0x85"}},
		{"raw c1 byte is invalid utf8", "\x85", []string{`print '�'`}},
		{"can", "\x18", []string{"exec 0x18"}},
	})
}

func TestParserEscape(t *testing.T) {
	runParserCases(t, []parserCase{
		{"decsc", "\x1b7", []string{`esc "" '7'`}},
		{"intermediate", "\x1b#8", []string{`esc "#" '8'`}},
		{"charset ignored later", "\x1b(B", []string{`esc "(" 'B'`}},
		{"c0 inside", "\x1b\x07c", []string{"exec 0x7", `esc "" 'c'`}},
		{"esc esc", "\x1b\x1b7", []string{`esc "" '7'`}},
		{"7-bit c1", "\x1bD", []string{`esc "" 'D'`}},
		{"del ignored", "\x1b\x7f7", []string{`esc "" '7'`}},
		{"high char dispatches", "\x1b\u00e9", []string{`esc "" 'é'`}},
		{"can aborts", "\x1b\x18x", []string{"exec 0x18", `print 'x'`}},
		{"intermediates capped at 8", "\x1b          0", []string{`esc "        " '0'`}},
	})
}

func TestParserCSI(t *testing.T) {
	runParserCases(t, []parserCase{
		{"no params", "\x1b[H", []string{`csi "" [-1] 'H'`}},
		{"params", "\x1b[12;34H", []string{`csi "" [12 34] 'H'`}},
		{"empty params", "\x1b[;5;H", []string{`csi "" [-1 5 -1] 'H'`}},
		{"zero is default", "\x1b[0A", []string{`csi "" [-1] 'A'`}},
		{"private", "\x1b[?25h", []string{`csi "?" [25] 'h'`}},
		{"intermediate", "\x1b[!p", []string{`csi "!" [-1] 'p'`}},
		{"c1 csi", "\u009b2J", []string{`csi "" [2] 'J'`}},
		{"65535 kept", "\x1b[65535X", []string{`csi "" [65535] 'X'`}},
		{"above 65535 absent", "\x1b[65536X", []string{`csi "" [-1] 'X'`}},
		{"huge absent", "\x1b[999999999;99999999H", []string{`csi "" [-1 -1] 'H'`}},
		{"colon ignores", "\x1b[38:5:1mX", []string{`print 'X'`}},
		{"private after param ignores", "\x1b[1?hX", []string{`print 'X'`}},
		{"c0 executes inside", "\x1b[1\x0d2H", []string{"exec 0xd", `csi "" [12] 'H'`}},
		{"esc restarts", "\x1b[1\x1b[2H", []string{`csi "" [2] 'H'`}},
		{"high final", "\x1b[1\u00e9", []string{`csi "" [1] 'é'`}},
		{"param after intermediate ignores", "\x1b[ 1qX", []string{`print 'X'`}},
		{"del ignored", "\x1b[1\x7f2H", []string{`csi "" [12] 'H'`}},
		{"param string cut at 100 bytes", "\x1b[" + strings.Repeat("1;", 60) + "m",
			[]string{`csi "" [` + strings.TrimSpace(strings.Repeat("1 ", 50)) + ` -1] 'm'`}},
		{"long number cut, not dropped", "\x1b[" + strings.Repeat("0", 98) + "123H", []string{`csi "" [12] 'H'`}},
	})
}

func TestParserOSC(t *testing.T) {
	runParserCases(t, []parserCase{
		{"bel", "\x1b]0;hi\x07x", []string{`osc "0;hi"`, `print 'x'`}},
		{"st", "\x1b]2;hi\x1b\\", []string{`osc "2;hi"`, `esc "" '\\'`}},
		{"c1 st", "\x1b]2;hi\u009c", []string{`osc "2;hi"`}},
		{"c1 osc", "\u009d1;a\x07", []string{`osc "1;a"`}},
		{"c0 ignored", "\x1b]0;a\x0db\x07", []string{`osc "0;ab"`}},
		{"del kept", "\x1b]0;a\x7f\x07", []string{`osc "0;a\x7f"`}},
		{"unicode", "\x1b]0;\u00e9\u4e00\x07", []string{`osc "0;é一"`}},
		{"can ends and executes", "\x1b]0;a\x18", []string{`osc "0;a"`, "exec 0x18"}},
		{"c1 osc restarts", "\x1b]0;a\u009d0;b\x07", []string{`osc "0;a"`, `osc "0;b"`}},
		{"capped", "\x1b]52;c;" + strings.Repeat("A", 20000) + "\x07", []string{`osc "52;c;` + strings.Repeat("A", 16384-5) + `"`}},
	})
}

func TestParserStringsDiscarded(t *testing.T) {
	runParserCases(t, []parserCase{
		{"dcs", "\x1bP1$qm\x1b\\x", []string{`esc "" '\\'`, `print 'x'`}},
		{"dcs c1", "\u0090q\x07junk\u009cx", []string{`print 'x'`}},
		{"dcs ignore", "\x1bP1:2q\x07\u009cx", []string{`print 'x'`}},
		{"sos", "\x1bXjunk\x07\x1b\\x", []string{`esc "" '\\'`, `print 'x'`}},
		{"pm", "\x1b^a\u009cx", []string{`print 'x'`}},
		{"apc", "\x1b_a\u009cx", []string{`print 'x'`}},
		{"can ends dcs", "\x1bPq\x18x", []string{"exec 0x18", `print 'x'`}},
	})
}

func TestParserEndlessStringsBounded(t *testing.T) {
	var p Parser
	var r recorder
	chunk := []byte(strings.Repeat("x", 4096))
	p.Parse([]byte("\x1b]0;"), &r)
	for range 100 {
		p.Parse(chunk, &r)
	}
	if cap(p.osc) > 2*maxOSCRunes {
		t.Errorf("OSC buffer grew to %d runes", cap(p.osc))
	}
	p.Parse([]byte("\x1bP"), &r)
	for range 100 {
		p.Parse(chunk, &r)
	}
	if len(r.events) != 1 { // the OSC, ended by the ESC
		t.Errorf("got %d events, want 1", len(r.events))
	}
}

func TestParamsParse(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want []int
	}{
		{"", []int{-1}},
		{";", []int{-1, -1}},
		{"1;;3", []int{1, -1, 3}},
		{"0", []int{-1}},
		{"00012", []int{12}},
		{"65535;65536", []int{65535, -1}},
		{"99999999999999999999", []int{-1}},
	} {
		var p Params
		for i := range len(tc.raw) {
			p.add(tc.raw[i])
		}
		got := make([]int, p.Count())
		for i := range got {
			got[i] = p.Get(i, -1)
		}
		if !cmp.Equal(got, tc.want) {
			t.Errorf("params %q = %v, want %v", tc.raw, got, tc.want)
		}
	}
}
