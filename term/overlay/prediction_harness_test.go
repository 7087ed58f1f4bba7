package overlay

import (
	"strings"
	"time"

	"github.com/ssh-mosh/ssh-mosh/term"
)

// tester is what the harness needs of *testing.T, *testing.B and *rapid.T.
type tester interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
}

// predictTest drives a Prediction the way the client loop does, with a fake
// clock and a fake server: the server's screen is an emulator the test writes
// echoes into, and every batch of typed bytes is one user state.
type predictTest struct {
	t     tester
	p     *Prediction
	srv   *term.Emulator
	local *term.Framebuffer // what the user's terminal shows
	now   time.Time
	sent  uint64 // newest user state sent
}

func newPredictTest(t tester, pref DisplayPreference, overwrite bool, w, h int) *predictTest {
	t.Helper()
	pt := &predictTest{
		t:   t,
		p:   NewPrediction(pref, overwrite),
		srv: term.NewEmulator(w, h),
		now: time.Unix(100000, 0),
	}
	pt.local = term.NewFramebuffer(w, h)
	pt.frame()
	return pt
}

// typeKeys sends keys as one user state: predicted byte by byte against the
// current display, then a frame is drawn.
func (pt *predictTest) typeKeys(keys string) {
	pt.p.SetLocalFrameSent(pt.sent)
	for i := 0; i < len(keys); i++ {
		pt.p.NewUserByte(keys[i], pt.local, pt.now)
	}
	pt.sent++
	pt.frame()
}

// server writes output to the server's screen without any new ack.
func (pt *predictTest) server(out string) {
	_, _ = pt.srv.Write([]byte(out))
	pt.frame()
}

// echo writes output to the server's screen and acknowledges every user
// state sent so far, both as received and as echoed.
func (pt *predictTest) echo(out string) {
	_, _ = pt.srv.Write([]byte(out))
	pt.ackAll()
}

func (pt *predictTest) ackAll() {
	pt.p.SetLocalFrameAcked(pt.sent)
	pt.p.SetLocalFrameLateAcked(pt.sent)
	pt.frame()
}

func (pt *predictTest) advance(d time.Duration) {
	pt.now = pt.now.Add(d)
	pt.frame()
}

func (pt *predictTest) frame() {
	fb := pt.srv.Framebuffer().Clone()
	pt.p.Apply(fb, pt.now)
	pt.local = fb
}

// row returns the text the terminal shows on row r, trailing blanks trimmed.
func (pt *predictTest) row(r int) string { return rowText(pt.local, r) }

func rowText(fb *term.Framebuffer, r int) string {
	var b strings.Builder
	for c := 0; c < fb.Width(); c++ {
		cell := fb.Cell(r, c)
		if cell.Empty() {
			b.WriteByte(' ')
		} else {
			b.WriteString(cell.Contents())
		}
	}
	return strings.TrimRight(b.String(), " ")
}

func (pt *predictTest) wantRow(r int, want string) {
	pt.t.Helper()
	if got := pt.row(r); got != want {
		pt.t.Errorf("row %d shows %q, want %q", r, got, want)
	}
}

func (pt *predictTest) wantCursor(row, col int) {
	pt.t.Helper()
	if r, c := pt.local.CursorRow(), pt.local.CursorCol(); r != row || c != col {
		pt.t.Errorf("cursor at (%d,%d), want (%d,%d)", r, c, row, col)
	}
}

// wantServerScreen checks that the display is exactly the server's screen:
// no prediction left over.
func (pt *predictTest) wantServerScreen() {
	pt.t.Helper()
	if !pt.local.Equal(pt.srv.Framebuffer()) {
		pt.t.Errorf("display differs from the server's screen:\n got %q\nwant %q", pt.row(pt.local.CursorRow()), rowText(pt.srv.Framebuffer(), pt.srv.Framebuffer().CursorRow()))
	}
}

func (pt *predictTest) underlined(r, c int) bool {
	return pt.local.Cell(r, c).Rendition().Has(term.AttrUnderline)
}

// confirm types keys and has the server echo them, which confirms the
// current epoch so that later predictions of it are shown.
func (pt *predictTest) confirm(keys string) {
	pt.typeKeys(keys)
	pt.echo(keys)
}

// ack acknowledges user states up to n, as received and as echoed.
func (pt *predictTest) ack(n uint64) {
	pt.p.SetLocalFrameAcked(n)
	pt.p.SetLocalFrameLateAcked(n)
	pt.frame()
}
