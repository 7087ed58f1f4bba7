package term

import "strconv"

// CSIDispatch performs a control sequence (Dispatcher::dispatch with the
// CSI functions of terminalfunctions.cc). mosh looks functions up by the
// collected characters plus the final one; the final character is only
// collected while fewer than 8 characters are and when it is ≤ U+00FF,
// so anything else can match no function. An unknown sequence clears the
// pending wrap; so do the known ones except HT-like, TBC, SGR and DEC
// mode changes.
func (a *actions) CSIDispatch(p *Params, inter []byte, final rune) {
	fb := a.fb
	ds := &fb.ds
	var private byte // the one intermediate of the functions mosh knows
	switch {
	case len(inter) >= maxIntermediates || final > 0xff || len(inter) > 1:
		ds.nextPrintWillWrap = false
		return
	case len(inter) == 1:
		private = inter[0]
	}
	switch private {
	case 0:
	case '?':
		switch final {
		case 'h':
			setDECModes(fb, p, true)
		case 'l':
			setDECModes(fb, p, false)
		default:
			ds.nextPrintWillWrap = false
		}
		return
	case '>':
		ds.nextPrintWillWrap = false
		if final == 'c' { // secondary DA
			a.answers = append(a.answers, "\x1b[>1;10;0c"...)
		}
		return
	case '!':
		ds.nextPrintWillWrap = false
		if final == 'p' { // DECSTR
			fb.softReset()
		}
		return
	default:
		ds.nextPrintWillWrap = false
		return
	}

	switch final {
	case 'I': // CHT
		htN(fb, p.Get(0, 1))
		return
	case 'Z': // CBT
		htN(fb, -p.Get(0, 1))
		return
	case 'g': // TBC
		switch p.Get(0, 0) {
		case 0:
			ds.clearTab(ds.cursorCol)
		case 3:
			ds.defaultTabs = false
			clear(ds.mutableTabs())
		}
		return
	case 'm':
		sgr(ds, p)
		return
	}

	ds.nextPrintWillWrap = false
	switch final {
	case 'A': // CUU
		ds.moveRow(-p.Get(0, 1), true)
	case 'B': // CUD
		ds.moveRow(p.Get(0, 1), true)
	case 'C': // CUF
		ds.moveCol(p.Get(0, 1), true, false)
	case 'D': // CUB
		ds.moveCol(-p.Get(0, 1), true, false)
	case 'H', 'f': // CUP, HVP
		ds.moveRow(p.Get(0, 1)-1, false)
		ds.moveCol(p.Get(1, 1)-1, false, false)
	case 'G', '`': // CHA, HPA
		ds.moveCol(p.Get(0, 1)-1, false, false)
	case 'd': // VPA
		ds.moveRow(p.Get(0, 1)-1, false)
	case 'J': // ED
		eraseInDisplay(fb, p.Get(0, 0))
	case 'K': // EL
		switch p.Get(0, 0) {
		case 0:
			fb.clearCells(ds.cursorRow, ds.cursorCol, ds.width-1)
		case 1:
			fb.clearCells(ds.cursorRow, 0, ds.cursorCol)
		case 2:
			fb.resetRow(ds.cursorRow)
		}
	case 'L': // IL; mosh, like xterm, then moves to the first column
		fb.insertLines(ds.cursorRow, p.Get(0, 1))
		ds.moveCol(0, false, false)
	case 'M': // DL
		fb.deleteLines(ds.cursorRow, p.Get(0, 1))
		ds.moveCol(0, false, false)
	case '@': // ICH
		fb.insertCells(ds.cursorRow, ds.cursorCol, p.Get(0, 1))
	case 'P': // DCH
		fb.deleteCells(ds.cursorRow, ds.cursorCol, p.Get(0, 1))
	case 'X': // ECH
		fb.clearCells(ds.cursorRow, ds.cursorCol, min(ds.cursorCol+p.Get(0, 1)-1, ds.width-1))
	case 'S': // SU
		fb.scrollUpHistory(p.Get(0, 1))
	case 'T': // SD
		fb.scroll(-p.Get(0, 1))
	case 'r': // DECSTBM
		top, bottom := p.Get(0, 1), p.Get(1, ds.height)
		if bottom <= top || top > ds.height || (top == 0 && bottom == 1) {
			return // invalid; xterm ignores it too
		}
		ds.setScrollingRegion(top-1, bottom-1)
		ds.moveRow(0, false)
		ds.moveCol(0, false, false)
	case 'h', 'l': // SM, RM: only IRM (4) exists
		for i := range p.Count() {
			if p.Get(i, 0) == 4 {
				ds.insertMode = final == 'h'
			}
		}
	case 'c': // DA: a plain VT220
		a.answers = append(a.answers, "\x1b[?62c"...)
	case 'n': // DSR
		switch p.Get(0, 0) {
		case 5:
			a.answers = append(a.answers, "\x1b[0n"...)
		case 6: // CPR, absolute even in origin mode
			a.answers = append(a.answers, "\x1b["...)
			a.answers = strconv.AppendInt(a.answers, int64(ds.cursorRow+1), 10)
			a.answers = append(a.answers, ';')
			a.answers = strconv.AppendInt(a.answers, int64(ds.cursorCol+1), 10)
			a.answers = append(a.answers, 'R')
		}
	}
}

func eraseInDisplay(fb *Framebuffer, mode int) {
	ds := &fb.ds
	switch mode {
	case 0: // cursor to end of screen
		fb.clearCells(ds.cursorRow, ds.cursorCol, ds.width-1)
		for y := ds.cursorRow + 1; y < ds.height; y++ {
			fb.resetRow(y)
		}
	case 1: // start of screen to cursor
		for y := 0; y < ds.cursorRow; y++ {
			fb.resetRow(y)
		}
		fb.clearCells(ds.cursorRow, 0, ds.cursorCol)
	case 2:
		for y := 0; y < ds.height; y++ {
			fb.resetRow(y)
		}
	}
}

// setDECModes handles DECSM/DECRM (CSI ? … h/l), which keep the pending
// wrap. Unknown modes are ignored; the alternate screen modes change
// nothing on the screen (as in mosh) unless the framebuffer keeps a history
// (see Framebuffer.altScreen).
func setDECModes(fb *Framebuffer, p *Params, on bool) {
	ds := &fb.ds
	for i := range p.Count() {
		mode := p.Get(i, 0)
		switch {
		case mode == 9 || (mode >= 1000 && mode <= 1003):
			if on {
				ds.mouseReporting = MouseReporting(mode)
			} else {
				ds.mouseReporting = MouseNone
			}
			continue
		case mode == 1005 || mode == 1006 || mode == 1015:
			if on {
				ds.mouseEncoding = MouseEncoding(mode)
			} else {
				ds.mouseEncoding = MouseEncodingDefault
			}
			continue
		}
		switch mode {
		case 1: // DECCKM
			ds.appCursorKeys = on
		case 3: // DECCOLM: the width is not changed, but the screen is cleared
			ds.moveRow(0, false)
			ds.moveCol(0, false, false)
			for y := 0; y < ds.height; y++ {
				fb.resetRow(y)
			}
		case 5: // DECSCNM
			ds.reverseVideo = on
		case 6: // DECOM: home first, measured with the old origin mode
			ds.moveRow(0, false)
			ds.moveCol(0, false, false)
			ds.originMode = on
		case 7: // DECAWM
			ds.autoWrap = on
		case 25: // DECTCEM
			ds.cursorVisible = on
		case 1004:
			ds.focusEvents = on
		case 1007:
			ds.altScroll = on
		case 2004:
			ds.bracketedPaste = on
		case 47, 1047, 1049:
			// mosh keeps one screen and ignores these. With a history
			// (both ends ours) the screen is kept as xterm's: see
			// altScreen.
			fb.altScreen(mode, on)
		}
	}
}

// sgr applies Select Graphic Rendition (CSI_SGR), which keeps the pending
// wrap.
func sgr(ds *drawState, p *Params) {
	n := p.Count()
	for i := 0; i < n; i++ {
		v := p.Get(i, 0)
		if (v == 38 || v == 48) && n-i >= 3 && p.Get(i+1, -1) == 5 {
			// 256 colours; a 0 here is colour 0, not a reset.
			if c := p.Get(i+2, 0); c <= 255 {
				setColor(ds, v == 38, PaletteColor(uint8(c)))
			}
			i += 2
			continue
		}
		if (v == 38 || v == 48) && n-i >= 5 && p.Get(i+1, -1) == 2 {
			// mosh packs the components as r<<16|g<<8|b without clamping
			// (values up to 65535 spill into each other) and keeps 24 bits.
			r, g, b := uint32(p.Get(i+2, 0)), uint32(p.Get(i+3, 0)), uint32(p.Get(i+4, 0))
			rgb := r<<16 | g<<8 | b
			setColor(ds, v == 38, RGBColor(uint8(rgb>>16), uint8(rgb>>8), uint8(rgb)))
			i += 4
			continue
		}
		setRendition(&ds.rend, v)
	}
}

func setColor(ds *drawState, fg bool, c Color) {
	if fg {
		ds.rend.Fg = c
	} else {
		ds.rend.Bg = c
	}
}

// setRendition applies one SGR number (Renditions::set_rendition). Faint
// (2) and crossed-out (9) are not supported by mosh and are ignored; 22
// clears bold only.
func setRendition(r *Rendition, v int) {
	switch {
	case v == 0:
		*r = Rendition{}
	case v == 39:
		r.Fg = DefaultColor
	case v == 49:
		r.Bg = DefaultColor
	case v >= 30 && v <= 37:
		r.Fg = PaletteColor(uint8(v - 30))
	case v >= 40 && v <= 47:
		r.Bg = PaletteColor(uint8(v - 40))
	case v >= 90 && v <= 97:
		r.Fg = PaletteColor(uint8(v - 90 + 8))
	case v >= 100 && v <= 107:
		r.Bg = PaletteColor(uint8(v - 100 + 8))
	default:
		var attr Attr
		switch v {
		case 1, 22:
			attr = AttrBold
		case 3, 23:
			attr = AttrItalic
		case 4, 24:
			attr = AttrUnderline
		case 5, 25:
			attr = AttrBlink
		case 7, 27:
			attr = AttrInverse
		case 8, 28:
			attr = AttrInvisible
		default:
			return
		}
		if v < 9 {
			r.Attrs |= attr
		} else {
			r.Attrs &^= attr
		}
	}
}
