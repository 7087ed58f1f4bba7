package term

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// oracleDump renders everything the emulator models, in the format of
// testdata/oracle/driver.cc.
func oracleDump(e *Emulator, answers []byte) string {
	fb := e.fb
	ds := &fb.ds
	var b strings.Builder
	b2i := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	fmt.Fprintf(&b, "size %d %d cursor %d %d comb %d %d wrap %d vis %d\n", ds.width, ds.height,
		ds.cursorRow, ds.cursorCol, ds.combRow, ds.combCol, b2i(ds.nextPrintWillWrap), b2i(ds.cursorVisible))
	fmt.Fprintf(&b, "modes origin %d awm %d irm %d rev %d paste %d mouse %d focus %d alt %d enc %d ckm %d\n",
		b2i(ds.originMode), b2i(ds.autoWrap), b2i(ds.insertMode), b2i(ds.reverseVideo), b2i(ds.bracketedPaste),
		ds.mouseReporting, b2i(ds.focusEvents), b2i(ds.altScroll), ds.mouseEncoding, b2i(ds.appCursorKeys))
	fmt.Fprintf(&b, "region %d %d rend %s\n", ds.scrollTop, ds.scrollBottom, ds.rend.SGR())
	fmt.Fprintf(&b, "saved %d %d %d %d %s\n", ds.save.row, ds.save.col, b2i(ds.save.autoWrap), b2i(ds.save.originMode), ds.save.rend.SGR())
	b.WriteString("tabs")
	for i := range ds.width {
		if ds.tabs[i] {
			fmt.Fprintf(&b, " %d", i)
		}
	}
	fmt.Fprintf(&b, "\nbell %d titleset %d\n", fb.bellCount, b2i(fb.titleSet))
	wide := func(s string) string {
		var w strings.Builder
		for _, r := range s {
			fmt.Fprintf(&w, "%X,", r)
		}
		return w.String()
	}
	fmt.Fprintf(&b, "title %s\nicon %s\nclip %s\nanswers %x\n", wide(fb.title), wide(fb.iconName), wide(fb.clipboard), answers)
	for y, row := range fb.rows {
		fmt.Fprintf(&b, "row %d:", y)
		for _, c := range row.cells {
			fmt.Fprintf(&b, " %x/%d%d%d%s", c.AppendContents(nil), b2i(c.Wide()), b2i(c.Fallback()), b2i(c.Wrap()), c.Rendition().SGR()[2:])
		}
		b.WriteString("\n")
	}
	b.WriteString("end\n")
	return b.String()
}

// oracleOp is one step of a differential case.
type oracleOp struct {
	resize        bool
	width, height int
	data          []byte
}

type oracleCase struct {
	width, height int
	ops           []oracleOp
}

func (c oracleCase) encode(w io.Writer) {
	var buf bytes.Buffer
	u32 := func(v int) { binary.Write(&buf, binary.LittleEndian, uint32(v)) }
	buf.WriteByte('N')
	u32(c.width)
	u32(c.height)
	for _, op := range c.ops {
		if op.resize {
			buf.WriteByte('R')
			u32(op.width)
			u32(op.height)
			continue
		}
		buf.WriteByte('W')
		u32(len(op.data))
		buf.Write(op.data)
	}
	buf.WriteByte('D')
	w.Write(buf.Bytes())
}

func (c oracleCase) run() string {
	e := NewEmulator(c.width, c.height)
	for _, op := range c.ops {
		if op.resize {
			e.Resize(op.width, op.height)
		} else {
			e.Write(op.data)
		}
	}
	return oracleDump(e, e.TakeAnswers())
}

// Vocabulary for random cases: fragments that exercise every function mosh
// implements, mixed with random bytes.
var oracleFragments = []string{
	"a", "b", "hello ", "\u00e9", "\u4e00", "\U0001F600", "\u0301", "\u200b", "\u00ad", "\x7f",
	"\r", "\n", "\b", "\t", "\x07", "\x0b", "\x0c", "\x00", "\x18", "\x1b",
	"\x1b7", "\x1b8", "\x1bc", "\x1b#8", "\x1bD", "\x1bE", "\x1bH", "\x1bM", "\x1b\\", "\x1b(0",
	"\u0084", "\u0085", "\u0088", "\u008d",
	"\x1b[A", "\x1b[2B", "\x1b[3C", "\x1b[D", "\x1b[5;10H", "\x1b[H", "\x1b[2;3f", "\x1b[7G", "\x1b[4`", "\x1b[3d",
	"\x1b[J", "\x1b[1J", "\x1b[2J", "\x1b[K", "\x1b[1K", "\x1b[2K", "\x1b[L", "\x1b[2M", "\x1b[@", "\x1b[3P",
	"\x1b[4X", "\x1b[S", "\x1b[2T", "\x1b[I", "\x1b[2Z", "\x1b[g", "\x1b[3g", "\x1b[2;5r", "\x1b[r", "\x1b[3;2r",
	"\x1b[1;31m", "\x1b[0m", "\x1b[38;5;200m", "\x1b[48;2;1;2;3m", "\x1b[92;104m", "\x1b[2;22;4;7m", "\x1b[38;5m", "\x1b[38;2;300;70000;5m",
	"\x1b[4h", "\x1b[4l", "\x1b[?1h", "\x1b[?3h", "\x1b[?5h", "\x1b[?6h", "\x1b[?6l", "\x1b[?7l", "\x1b[?7h", "\x1b[?25l",
	"\x1b[?1000h", "\x1b[?1003h", "\x1b[?9l", "\x1b[?1006h", "\x1b[?1015l", "\x1b[?1004h", "\x1b[?1007h", "\x1b[?2004h", "\x1b[?1049h",
	"\x1b[!p", "\x1b[c", "\x1b[>c", "\x1b[5n", "\x1b[6n", "\x1b]0;title\x07", "\x1b]1;icon\x1b\\", "\x1b]2;t\u00e9\x07", "\x1b];x\x07",
	"\x1b]52;c;aGk=\x07", "\x1bPq#0;1\x1b\\", "\x1b[999999999;99999999H", "\x1b[99999999@", "\x1b[65535P", "\x1b[65535L",
	"\xe2\x82", "\xac", "\xc3", "\xff", "\x9b", "\x1b[", "1;", "\x1b]",
	"\x1b[" + strings.Repeat("1;", 60) + "31m", "\x1b[" + strings.Repeat("0", 98) + "123H", "\x1b[        m", "\x1b[?1;1000;1006;2004h",
	"\x1b[?1;1000;1006;2004l", "\x1b[1\u00e9", "\x1b[?\u4e00", "\x1b\u00e9", "\x1b(\u0100", "\x1b]0;" + strings.Repeat("t", 300) + "\x07",
	"\x1b]0\x07", "\x1b]5;x\x07", "\x1b]52;c\x07", "\x1b]2;a\x18", "\u009d0;b\u009c", "\x1b[0;0r", "\x1b[1;1r", "\x1b[0;1r",
	"\u4e00\u0301", "\x1b[2;2H\u0301", "\x1b[38;2;1;2m", "\x1b[48;5;-1m", "\x1b[38;5;0;1m", "\x1b[?6h\x1b[2;3r\x1b[?6h\x1b7\x1b[?6l",
	"\x1b[3;2H\x1b[6n", "\x1b[?5;6n", "\x1b[4;6h", "\x1b[>0c", "\x1b[=c", "\x1b[ q", "\x1b[!q", "\x1b[12;34\x1b[H",
}

func randomOracleCase(rng *rand.Rand) oracleCase {
	maxW, maxH := 12, 8
	if rng.IntN(4) == 0 {
		maxW, maxH = 100, 40
	}
	c := oracleCase{width: 1 + rng.IntN(maxW), height: 1 + rng.IntN(maxH)}
	for range 1 + rng.IntN(6) {
		if rng.IntN(8) == 0 {
			c.ops = append(c.ops, oracleOp{resize: true, width: 1 + rng.IntN(12), height: 1 + rng.IntN(8)})
			continue
		}
		var data []byte
		for range rng.IntN(40 * maxH / 8) {
			if rng.IntN(10) == 0 {
				data = append(data, byte(rng.IntN(256)))
			} else {
				data = append(data, oracleFragments[rng.IntN(len(oracleFragments))]...)
			}
		}
		c.ops = append(c.ops, oracleOp{data: data})
	}
	return c
}

// TestOracleDifferential compares the emulator with mosh's own terminal code
// on random input. The oracle is built from mosh 1.4.0's source by
// testdata/oracle/build.sh; `make oracle` fetches Debian's source package,
// builds it once (cached) and prints the MOSH_TERM_ORACLE setting, and `make
// test` sets it, so CI always runs this test. The run is a fixed sequence of
// cases, bounded so that it adds seconds, not minutes, to `make test`; a
// longer search: MOSH_TERM_ORACLE_N=200000 with another MOSH_TERM_ORACLE_SEED.
func TestOracleDifferential(t *testing.T) {
	bin := os.Getenv("MOSH_TERM_ORACLE")
	if bin == "" {
		if testenv.InCI() {
			t.Fatal("MOSH_TERM_ORACLE is not set: run `make test`, or `make oracle` and export the MOSH_TERM_ORACLE=... line it prints")
		}
		t.Skip("skipping test: MOSH_TERM_ORACLE not set (`make oracle` builds the oracle and prints the setting)")
	}
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	readDump := func() string {
		var b strings.Builder
		for {
			line, err := out.ReadString('\n')
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			b.WriteString(line)
			if line == "end\n" {
				return b.String()
			}
		}
	}
	// Most of the time is the oracle's (≈3 ms a case on these machines,
	// with or without -race): 3000 cases stay well under 30 s on 2 cores.
	n := 3000
	if testing.Short() {
		n = 1000
	}
	if v, err := strconv.Atoi(os.Getenv("MOSH_TERM_ORACLE_N")); err == nil {
		n = v
	}
	seed, _ := strconv.ParseUint(os.Getenv("MOSH_TERM_ORACLE_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(7, 11+seed))
	for i := range n {
		c := randomOracleCase(rng)
		c.encode(stdin)
		want := readDump()
		if got := c.run(); got != want {
			t.Fatalf("case %d (MOSH_TERM_ORACLE_SEED=%d) differs from mosh\ncase: %s\n%s", i, seed, describeCase(c), lineDiff(want, got))
		}
	}
}

func describeCase(c oracleCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%dx%d", c.width, c.height)
	for _, op := range c.ops {
		if op.resize {
			fmt.Fprintf(&b, " resize(%dx%d)", op.width, op.height)
		} else {
			fmt.Fprintf(&b, " write(%q)", op.data)
		}
	}
	return b.String()
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "mosh: %s\nours: %s\n", wl, gl)
		}
	}
	return b.String()
}
