package term

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssh-mosh/ssh-mosh/internal/testenv"
)

// Differential tests: each stream of testdata/difftest is shown through
// real mosh-server and real mosh-client in tmux, and the screen tmux ends up
// with is compared with our emulator fed the same bytes. One mosh session
// serves the whole corpus: the server's program is a loop that, for each
// request file, resets the screen and writes the next stream.

// diffLoop is the program the server runs: it writes stream N when the
// file req.N appears (holding the stream's path), then marks done.N. Output
// post-processing is off, so a bare LF stays a bare LF. A stream in
// several parts has them written 0.3 s apart, so that mosh sends a frame
// for each.
const diffLoop = `d=$1
stty -opost -echo 2>/dev/null
printf 'difftest ready'
i=1
while [ ! -e "$d/stop" ]; do
  if [ -e "$d/req.$i" ]; then
    printf '\033c'
    set -- $(cat "$d/req.$i")
    cat "$1"
    shift
    for f; do sleep 0.3; cat "$f"; done
    : >"$d/done.$i"
    i=$((i+1))
  else
    sleep 0.01
  fi
done`

// knownMoshDifferences are the streams real mosh shows differently from
// its own emulator fed the same bytes, with the reason. Each must still
// differ (so that an explanation cannot outlive its cause).
var knownMoshDifferences = map[string]string{
	"06-autowrap-bottom-right": "mosh's new_frame moves the cursor left with backspaces from the phantom column " +
		"after the bottom row's last cell and lands one column short (TestDisplayPhantomColumnBackspace)",
	"07-autowrap-bottom-right-cursor-back": "same phantom-column backspace bug (TestDisplayPhantomColumnBackspace)",
	"72-wide-uncovered-two-frames": "mosh's new_frame does not redraw a cell that was under a wide character " +
		"when the wide character goes, so the client shows a blank there (TestDisplayUncoveredCellRedrawn)",
}

// screenText is a screen in the comparable form: one string per row (see
// canonRow), the cursor and the title.
type screenText struct {
	rows          []string
	cursorX       int
	cursorY       int
	cursorVisible bool
	title         string // "" when not compared
}

func (s screenText) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cursor (%d,%d) visible %v title %q\n", s.cursorY, s.cursorX, s.cursorVisible, s.title)
	for i, r := range s.rows {
		fmt.Fprintf(&b, "%2d|%s|\n", i, r)
	}
	return b.String()
}

// diff describes the differences between two screens, or returns "".
func (s screenText) diff(o screenText) string {
	var out []string
	if s.cursorX != o.cursorX || s.cursorY != o.cursorY {
		out = append(out, fmt.Sprintf("cursor (%d,%d) vs (%d,%d)", s.cursorY, s.cursorX, o.cursorY, o.cursorX))
	}
	if s.cursorVisible != o.cursorVisible {
		out = append(out, fmt.Sprintf("cursor visible %v vs %v", s.cursorVisible, o.cursorVisible))
	}
	if s.title != "" && o.title != "" && s.title != o.title {
		out = append(out, fmt.Sprintf("title %q vs %q", s.title, o.title))
	}
	for i := 0; i < max(len(s.rows), len(o.rows)); i++ {
		var a, b string
		if i < len(s.rows) {
			a = s.rows[i]
		}
		if i < len(o.rows) {
			b = o.rows[i]
		}
		if a != b {
			out = append(out, fmt.Sprintf("row %d:\n  %q\n  %q", i, a, b))
		}
	}
	return strings.Join(out, "\n")
}

// canonRow renders cells as text a person can read and tmux's capture can
// be turned into: graphemes (every blank as a space, a wide character
// once), with the SGR of each change of rendition in brackets, and the
// trailing default blanks cut (tmux does not report unwritten cells).
func canonRow(cells []Cell) string {
	end := len(cells)
	for end > 0 && cells[end-1].IsBlank() && cells[end-1].Rendition() == (Rendition{}) {
		end--
	}
	var b strings.Builder
	cur := Rendition{}
	for x := 0; x < end; {
		c := cells[x]
		if c.Rendition() != cur {
			cur = c.Rendition()
			b.WriteString("⟦" + cur.SGR()[2:] + "⟧")
		}
		if c.IsBlank() {
			b.WriteByte(' ')
		} else {
			b.WriteString(c.String())
		}
		x += c.Width()
	}
	return b.String()
}

// screenOf renders our framebuffer.
func screenOf(f *Framebuffer) screenText {
	s := screenText{cursorX: f.CursorCol(), cursorY: f.CursorRow(), cursorVisible: f.CursorVisible()}
	if f.TitleSet() {
		s.title = f.Title()
	}
	for y := 0; y < f.Height(); y++ {
		s.rows = append(s.rows, canonRow(f.Row(y).Cells()))
	}
	return s
}

// parseCapture turns tmux's `capture-pane -p -e -N` rows (text with SGR
// sequences) into canonical rows, by feeding them to an emulator. tmux
// only writes a rendition when it changes, also across rows, so the rows
// are fed as one stream.
func parseCapture(lines []string, width int) []string {
	em := NewEmulator(width+8, len(lines)) // room for a row that ends in a wide character
	for i, l := range lines {
		if i > 0 {
			_, _ = em.Write([]byte("\r\n"))
		}
		_, _ = em.Write([]byte(l))
	}
	rows := make([]string, 0, len(lines))
	for y := range lines {
		rows = append(rows, canonRow(em.Framebuffer().Row(y).Cells()[:width]))
	}
	return rows
}

// corpusStream is one stream: NN-name.out and, for a stream in parts,
// NN-name.out2, .out3, …
type corpusStream struct {
	name  string
	paths []string
	parts [][]byte
}

func (s corpusStream) data() []byte { return bytes.Join(s.parts, nil) }

func loadCorpus(t *testing.T) []corpusStream {
	t.Helper()
	return loadStreams(t, "testdata/difftest")
}

// loadStreams reads the streams of a corpus directory.
func loadStreams(t *testing.T, dir string) []corpusStream {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.out"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("difftest corpus: %v (%d files)", err, len(paths))
	}
	sort.Strings(paths)
	var out []corpusStream
	for _, p := range paths {
		s := corpusStream{name: strings.TrimSuffix(filepath.Base(p), ".out")}
		for i := 1; ; i++ {
			part := p
			if i > 1 {
				part += strconv.Itoa(i)
			}
			data, err := os.ReadFile(part)
			if os.IsNotExist(err) && i > 1 {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			abs, err := filepath.Abs(part)
			if err != nil {
				t.Fatal(err)
			}
			s.paths = append(s.paths, abs)
			s.parts = append(s.parts, data)
		}
		out = append(out, s)
	}
	return out
}

// ourScreen is what our emulator makes of a stream on a fresh 80x24
// screen.
func ourScreen(data []byte) (screenText, *Framebuffer) {
	em := NewEmulator(80, 24)
	_, _ = em.Write(data)
	return screenOf(em.Framebuffer()), em.Framebuffer()
}

// ourPipeline is what our own server and client would show for a stream:
// the server's emulator diffed frame by frame with ServerDisplay into a
// client replica, which the client's display (for tmux) draws on a
// terminal, played by another emulator.
func ourPipeline(s corpusStream) screenText {
	server := NewEmulator(80, 24)
	replica := NewEmulator(80, 24)
	terminal := NewEmulator(80, 24)
	client := DisplayForTerm("tmux-256color")
	_, _ = terminal.Write(client.Open(false))
	shown := replica.Framebuffer().Clone()
	_, _ = terminal.Write(client.NewFrame(false, shown, shown))
	prev := server.Framebuffer().Clone()
	for _, part := range s.parts {
		_, _ = server.Write(part)
		server.TakeAnswers()
		cur := server.Framebuffer().Clone()
		_, _ = replica.Write(ServerDisplay().NewFrame(true, prev, cur))
		next := replica.Framebuffer().Clone()
		_, _ = terminal.Write(client.NewFrame(true, shown, next))
		prev, shown = cur, next
	}
	return screenOf(terminal.Framebuffer())
}

// streamDriver asks the loop for streams and reads the screen back.
type streamDriver struct {
	t    *testing.T
	dir  string
	tm   *testenv.Tmux
	ctl  *testenv.TmuxControl
	next int
}

// show makes the loop write the stream and returns the screen once it has
// been stable for a while.
func (d *streamDriver) show(t *testing.T, s corpusStream) screenText {
	return d.showExpecting(t, s, nil)
}

// showExpecting is show that returns at once when the screen is want, and
// otherwise waits for a screen that stayed the same much longer: under
// load, mosh's frames can come further apart than show's pause, and an
// early capture would report a difference that is only lateness.
func (d *streamDriver) showExpecting(t *testing.T, s corpusStream, want *screenText) screenText {
	t.Helper()
	d.next++
	n := strconv.Itoa(d.next)
	tmp := filepath.Join(d.dir, "tmp")
	if err := os.WriteFile(tmp, []byte(strings.Join(s.paths, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, "req."+n)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(d.dir, "done."+n)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the loop did not write stream %s", s.name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// mosh sends frames at most every 20 ms or so; a screen unchanged for
	// 200 ms has received the last one.
	stableFor := 200 * time.Millisecond
	if want != nil {
		stableFor = 2 * time.Second
		deadline = deadline.Add(stableFor)
	}
	var last screenText
	var lastRaw string
	stableSince := time.Now()
	for {
		raw, scr := d.read(t)
		if want != nil && want.diff(scr) == "" {
			return scr
		}
		if raw != lastRaw {
			lastRaw, last, stableSince = raw, scr, time.Now()
		} else if time.Since(stableSince) >= stableFor {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen for %s never settled:\n%s", s.name, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// read captures the screen, cursor and title through the control client.
func (d *streamDriver) read(t *testing.T) (string, screenText) {
	t.Helper()
	lines, err := d.ctl.Command("capture-pane -p -e -N")
	if err != nil {
		t.Fatal(err)
	}
	info, err := d.ctl.Command("display-message -p '#{cursor_x} #{cursor_y} #{cursor_flag} #{pane_title}'")
	if err != nil || len(info) != 1 {
		t.Fatalf("tmux cursor: %v %q", err, info)
	}
	f := strings.SplitN(info[0], " ", 4)
	if len(f) < 3 {
		t.Fatalf("tmux cursor reply %q", info[0])
	}
	var s screenText
	s.cursorX, _ = strconv.Atoi(f[0])
	s.cursorY, _ = strconv.Atoi(f[1])
	s.cursorVisible = f[2] == "1"
	if len(f) == 4 {
		s.title = f[3]
	}
	s.rows = parseCapture(lines, 80)
	return strings.Join(lines, "\n") + "\n" + info[0], s
}

// startLoop runs the stream loop in tmux, through real mosh when
// throughMosh, else directly.
func startLoop(t *testing.T, throughMosh bool) *streamDriver {
	t.Helper()
	testenv.Short(t)
	testenv.MustHaveExec(t, "tmux")
	d := &streamDriver{t: t, dir: t.TempDir()}
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(d.dir, "stop"), nil, 0o644) })
	loop := []string{"/bin/sh", "-c", diffLoop, "difftest-loop", d.dir}
	opts := testenv.TmuxOptions{Width: 80, Height: 24, Term: "tmux-256color"}
	if throughMosh {
		testenv.MustHaveExec(t, "mosh-server")
		testenv.MustHaveExec(t, "mosh-client")
		srv := testenv.StartMoshServer(t, "", append([]string{"--"}, loop...)...)
		argv, env := testenv.MoshClientArgv(t, srv.Key, srv.Port)
		opts.Env = append(env, "MOSH_PREDICTION_DISPLAY=never", "MOSH_TITLE_NOPREFIX=1")
		d.tm = testenv.StartTmux(t, opts, argv...)
	} else {
		d.tm = testenv.StartTmux(t, opts, loop...)
	}
	d.tm.WaitFor("difftest ready", 20*time.Second)
	d.ctl = d.tm.Control()
	return d
}

// TestDiffRealMosh is the differential test: real mosh's screen against
// our emulator's, for every stream of the corpus.
func TestDiffRealMosh(t *testing.T) {
	corpus := loadCorpus(t)
	d := startLoop(t, true)
	identical, explained := 0, 0
	for _, s := range corpus {
		t.Run(s.name, func(t *testing.T) {
			want, _ := ourScreen(s.data())
			got := d.showExpecting(t, s, &want)
			if pd := ourPipeline(s).diff(want); pd != "" {
				t.Errorf("our server and client show the stream differently from our emulator:\n%s", pd)
			}
			diff := want.diff(got)
			reason, known := knownMoshDifferences[s.name]
			switch {
			case diff == "" && known:
				t.Errorf("known difference gone (%s): remove it from knownMoshDifferences", reason)
			case diff == "":
				identical++
			case known:
				explained++
				t.Logf("differs as explained: %s\n%s", reason, diff)
			default:
				t.Errorf("real mosh differs from our emulator (ours first, then mosh):\n%s\nours:\n%s\nmosh:\n%s", diff, want, got)
			}
		})
	}
	t.Logf("%d of %d streams identical through real mosh; %d differ as explained", identical, len(corpus), explained)
}

// TestDiffDirectTmux shows the corpus in tmux without mosh, for
// information only: mosh deliberately differs from tmux (one screen, no
// alternate screen, its own wrapping of wide characters), so differences
// are logged, not failed.
func TestDiffDirectTmux(t *testing.T) {
	corpus := loadCorpus(t)
	d := startLoop(t, false)
	same := 0
	var differ []string
	for _, s := range corpus {
		got := d.show(t, s)
		want, _ := ourScreen(s.data())
		if diff := want.diff(got); diff != "" {
			differ = append(differ, s.name)
			t.Logf("%s: tmux differs:\n%s", s.name, diff)
		} else {
			same++
		}
	}
	t.Logf("%d of %d streams identical directly in tmux; differing: %s", same, len(corpus), strings.Join(differ, ", "))
}
