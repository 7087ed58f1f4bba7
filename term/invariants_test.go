package term

import "testing"

// checkInvariants verifies what must hold after any input: the cursor and
// the combining-character cell are on the screen, every row is as wide as
// the screen, the scrolling region is sane, and a framebuffer equals its
// clone.
func checkInvariants(t testing.TB, fb *Framebuffer) {
	t.Helper()
	ds := &fb.ds
	if ds.width < 1 || ds.height < 1 || len(fb.rows) != ds.height || len(ds.tabs) != ds.width {
		t.Fatalf("size %dx%d with %d rows and %d tab stops", ds.width, ds.height, len(fb.rows), len(ds.tabs))
	}
	if ds.cursorRow < 0 || ds.cursorRow >= ds.height || ds.cursorCol < 0 || ds.cursorCol >= ds.width {
		t.Fatalf("cursor (%d,%d) outside %dx%d", ds.cursorRow, ds.cursorCol, ds.width, ds.height)
	}
	if (ds.combRow != -1 || ds.combCol != -1) && (ds.combRow < 0 || ds.combRow >= ds.height || ds.combCol < 0 || ds.combCol >= ds.width) {
		t.Fatalf("combining cell (%d,%d) outside %dx%d", ds.combRow, ds.combCol, ds.width, ds.height)
	}
	if ds.scrollTop < 0 || ds.scrollTop > ds.scrollBottom || ds.scrollBottom >= ds.height {
		t.Fatalf("scrolling region %d..%d in height %d", ds.scrollTop, ds.scrollBottom, ds.height)
	}
	for y, r := range fb.rows {
		if len(r.cells) != ds.width {
			t.Fatalf("row %d has %d cells, width %d", y, len(r.cells), ds.width)
		}
		for x, c := range r.cells {
			if c.contentLen() >= maxCellBytes+4 {
				t.Fatalf("cell (%d,%d) holds %d bytes", y, x, c.contentLen())
			}
			if c.Wide() && c.Fallback() {
				t.Fatalf("cell (%d,%d) is wide and a fallback", y, x)
			}
		}
	}
	if c := fb.Clone(); !c.Equal(fb) || !fb.Equal(c) {
		t.Fatal("framebuffer differs from its clone")
	}
}
