package term

// MouseReporting is the mouse tracking mode an application selected (DEC
// private modes 9 and 1000–1003); the value is the mode number.
type MouseReporting uint16

// Mouse reporting modes.
const (
	MouseNone       MouseReporting = 0
	MouseX10        MouseReporting = 9
	MouseVT200      MouseReporting = 1000
	MouseVT200Hilit MouseReporting = 1001
	MouseButton     MouseReporting = 1002
	MouseAny        MouseReporting = 1003
)

// MouseEncoding is the mouse report encoding (DEC private modes 1005, 1006,
// 1015); the value is the mode number.
type MouseEncoding uint16

// Mouse encodings.
const (
	MouseEncodingDefault MouseEncoding = 0
	MouseEncodingUTF8    MouseEncoding = 1005
	MouseEncodingSGR     MouseEncoding = 1006
	MouseEncodingURXVT   MouseEncoding = 1015
)

// savedCursor is what DECSC saves (mosh's SavedCursor).
type savedCursor struct {
	col, row   int
	rend       Rendition
	autoWrap   bool
	originMode bool
}

func defaultSavedCursor() savedCursor { return savedCursor{autoWrap: true} }

// drawState is mosh's DrawState: cursor, margins, tabs, modes.
type drawState struct {
	width, height int

	cursorCol, cursorRow int
	// combCol/combRow: the cell a following combining character attaches
	// to; -1 when a resize moved it off screen.
	combCol, combRow int

	defaultTabs bool
	tabs        []bool // len == width; shared between clones until tabsOwned
	tabsOwned   bool

	scrollTop, scrollBottom int

	rend Rendition
	save savedCursor

	nextPrintWillWrap bool
	originMode        bool
	autoWrap          bool
	insertMode        bool
	cursorVisible     bool
	reverseVideo      bool
	bracketedPaste    bool
	mouseReporting    MouseReporting
	focusEvents       bool
	altScroll         bool
	mouseEncoding     MouseEncoding
	appCursorKeys     bool
}

func newDrawState(width, height int) drawState {
	ds := drawState{
		width: width, height: height,
		defaultTabs:   true,
		tabs:          make([]bool, width),
		tabsOwned:     true,
		scrollBottom:  height - 1,
		save:          defaultSavedCursor(),
		autoWrap:      true,
		cursorVisible: true,
	}
	ds.reinitializeTabs(0)
	return ds
}

// equal compares the fields mosh's DrawState::operator== compares: the ones
// the display transmits.
func (ds *drawState) equal(o *drawState) bool {
	return ds.width == o.width && ds.height == o.height &&
		ds.cursorCol == o.cursorCol && ds.cursorRow == o.cursorRow &&
		ds.cursorVisible == o.cursorVisible && ds.reverseVideo == o.reverseVideo &&
		ds.rend == o.rend && ds.bracketedPaste == o.bracketedPaste &&
		ds.mouseReporting == o.mouseReporting && ds.focusEvents == o.focusEvents &&
		ds.altScroll == o.altScroll && ds.mouseEncoding == o.mouseEncoding
}

func (ds *drawState) mutableTabs() []bool {
	if !ds.tabsOwned {
		ds.tabs = append([]bool(nil), ds.tabs...)
		ds.tabsOwned = true
	}
	return ds.tabs
}

func (ds *drawState) reinitializeTabs(start int) {
	tabs := ds.mutableTabs()
	for i := start; i < len(tabs); i++ {
		tabs[i] = i%8 == 0
	}
}

func (ds *drawState) newGrapheme() {
	ds.combCol, ds.combRow = ds.cursorCol, ds.cursorRow
}

func (ds *drawState) limitTop() int {
	if ds.originMode {
		return ds.scrollTop
	}
	return 0
}

func (ds *drawState) limitBottom() int {
	if ds.originMode {
		return ds.scrollBottom
	}
	return ds.height - 1
}

func (ds *drawState) snapCursorToBorder() {
	if ds.cursorRow < ds.limitTop() {
		ds.cursorRow = ds.limitTop()
	}
	if ds.cursorRow > ds.limitBottom() {
		ds.cursorRow = ds.limitBottom()
	}
	if ds.cursorCol < 0 {
		ds.cursorCol = 0
	}
	if ds.cursorCol >= ds.width {
		ds.cursorCol = ds.width - 1
	}
}

// moveRow moves the cursor to row n (relative to the origin) or by n rows.
func (ds *drawState) moveRow(n int, relative bool) {
	if relative {
		ds.cursorRow += n
	} else {
		ds.cursorRow = n + ds.limitTop()
	}
	ds.snapCursorToBorder()
	ds.newGrapheme()
	ds.nextPrintWillWrap = false
}

// moveCol moves the cursor to column n or by n columns. An implicit move
// (after printing) remembers the printed cell for combining characters and
// arms the pending wrap when it runs past the margin; an explicit one
// disarms it.
func (ds *drawState) moveCol(n int, relative, implicit bool) {
	if implicit {
		ds.newGrapheme()
	}
	if relative {
		ds.cursorCol += n
	} else {
		ds.cursorCol = n
	}
	if implicit {
		ds.nextPrintWillWrap = ds.cursorCol >= ds.width
	}
	ds.snapCursorToBorder()
	if !implicit {
		ds.newGrapheme()
		ds.nextPrintWillWrap = false
	}
}

func (ds *drawState) setTab() { ds.mutableTabs()[ds.cursorCol] = true }

func (ds *drawState) clearTab(col int) { ds.mutableTabs()[col] = false }

// nextTab returns the column count tab stops to the right (count > 0, -1
// when there is none) or to the left (count < 0, 0 when there is none), as
// DrawState::get_next_tab.
func (ds *drawState) nextTab(count int) int {
	if count >= 0 {
		for i := ds.cursorCol + 1; i < ds.width; i++ {
			if ds.tabs[i] {
				count--
				if count == 0 {
					return i
				}
			}
		}
		return -1
	}
	for i := ds.cursorCol - 1; i > 0; i-- {
		if ds.tabs[i] {
			count++
			if count == 0 {
				return i
			}
		}
	}
	return 0
}

func (ds *drawState) setScrollingRegion(top, bottom int) {
	if ds.height < 1 {
		return
	}
	ds.scrollTop, ds.scrollBottom = top, bottom
	if ds.scrollTop < 0 {
		ds.scrollTop = 0
	}
	if ds.scrollBottom >= ds.height {
		ds.scrollBottom = ds.height - 1
	}
	if ds.scrollBottom < ds.scrollTop {
		ds.scrollBottom = ds.scrollTop
	}
	if ds.originMode {
		ds.snapCursorToBorder()
		ds.newGrapheme()
	}
}

func (ds *drawState) saveCursor() {
	ds.save = savedCursor{
		col: ds.cursorCol, row: ds.cursorRow, rend: ds.rend,
		autoWrap: ds.autoWrap, originMode: ds.originMode,
	}
}

func (ds *drawState) restoreCursor() {
	ds.cursorCol, ds.cursorRow = ds.save.col, ds.save.row
	ds.rend = ds.save.rend
	ds.autoWrap = ds.save.autoWrap
	ds.originMode = ds.save.originMode
	ds.snapCursorToBorder() // a resize may have happened since the save
	ds.newGrapheme()
}

func (ds *drawState) resize(width, height int) {
	if ds.width != width || ds.height != height {
		// Any resize resets the scrolling region, as xterm does.
		ds.scrollTop, ds.scrollBottom = 0, height-1
	}
	tabs := ds.mutableTabs()
	if width <= len(tabs) {
		tabs = tabs[:width:width]
	} else {
		tabs = append(tabs, make([]bool, width-len(tabs))...)
	}
	ds.tabs = tabs
	oldWidth := ds.width
	ds.width, ds.height = width, height
	if ds.defaultTabs {
		ds.reinitializeTabs(oldWidth)
	}
	ds.snapCursorToBorder()
	if ds.combCol >= width || ds.combRow >= height {
		ds.combCol, ds.combRow = -1, -1
	}
}
