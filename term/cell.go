package term

import (
	"strconv"
	"unicode/utf8"
)

// Attr is a set of character attributes (SGR flags).
type Attr uint8

// The attributes a cell can carry. mosh parses SGR 2 (faint) but ignores it
// (Renditions::set_rendition has no case for it), so the emulator never sets
// AttrFaint and SGR never emits it; it exists so that overlays can carry it.
const (
	AttrBold Attr = 1 << iota
	AttrFaint
	AttrItalic
	AttrUnderline
	AttrBlink
	AttrInverse
	AttrInvisible
)

// Color is a foreground or background colour: the terminal default, an index
// into the 256-colour palette, or a 24-bit RGB value. The zero value is the
// default colour. Colours are comparable with ==.
type Color uint32

const (
	colorKindShift   = 24
	colorKindPalette = 1 << colorKindShift
	colorKindRGB     = 2 << colorKindShift
	colorKindMask    = 3 << colorKindShift
)

// DefaultColor is the terminal's default foreground or background colour.
const DefaultColor Color = 0

// PaletteColor returns the palette colour n (0–7 ANSI, 8–15 bright, 16–255
// xterm 256-colour cube and greys).
func PaletteColor(n uint8) Color { return Color(colorKindPalette | uint32(n)) }

// RGBColor returns a 24-bit colour.
func RGBColor(r, g, b uint8) Color {
	return Color(colorKindRGB | uint32(r)<<16 | uint32(g)<<8 | uint32(b))
}

// IsDefault reports whether c is the terminal's default colour.
func (c Color) IsDefault() bool { return c == DefaultColor }

// Palette returns the palette index when c is a palette colour.
func (c Color) Palette() (n uint8, ok bool) {
	if uint32(c)&colorKindMask != colorKindPalette {
		return 0, false
	}
	return uint8(c), true
}

// RGB returns the components when c is a 24-bit colour.
func (c Color) RGB() (r, g, b uint8, ok bool) {
	if uint32(c)&colorKindMask != colorKindRGB {
		return 0, 0, 0, false
	}
	return uint8(c >> 16), uint8(c >> 8), uint8(c), true
}

// Rendition is the graphic rendition of a cell (mosh's Renditions): colours
// and attributes. It is comparable with ==; the zero value is the default.
type Rendition struct {
	Fg, Bg Color
	Attrs  Attr
}

// Has reports whether all attributes in a are set.
func (r Rendition) Has(a Attr) bool { return r.Attrs&a == a }

// backgroundOnly is the rendition mosh gives erased cells: only the
// background colour survives (background colour erase).
func (r Rendition) backgroundOnly() Rendition { return Rendition{Bg: r.Bg} }

// SGR returns the escape sequence that selects r from any previous state, in
// mosh's exact format (Renditions::sgr): it always starts with a reset.
func (r Rendition) SGR() string { return string(r.AppendSGR(nil)) }

// AppendSGR appends r.SGR() to dst.
func (r Rendition) AppendSGR(dst []byte) []byte {
	dst = append(dst, "\x1b[0"...)
	for _, a := range [...]struct {
		attr Attr
		code string
	}{{AttrBold, ";1"}, {AttrItalic, ";3"}, {AttrUnderline, ";4"}, {AttrBlink, ";5"}, {AttrInverse, ";7"}, {AttrInvisible, ";8"}} {
		if r.Attrs&a.attr != 0 {
			dst = append(dst, a.code...)
		}
	}
	dst = appendColorSGR(dst, r.Fg, 30)
	dst = appendColorSGR(dst, r.Bg, 40)
	return append(dst, 'm')
}

// appendColorSGR writes one colour the way mosh does: palette 0–7 as the
// classic 30–37/40–47 codes, every other palette entry (bright ones
// included) as the 256-colour form, RGB as the truecolour form.
func appendColorSGR(dst []byte, c Color, base int) []byte {
	if n, ok := c.Palette(); ok {
		if n < 8 {
			dst = append(dst, ';')
			return strconv.AppendInt(dst, int64(base)+int64(n), 10)
		}
		dst = append(dst, ';')
		dst = strconv.AppendInt(dst, int64(base)+8, 10)
		dst = append(dst, ";5;"...)
		return strconv.AppendInt(dst, int64(n), 10)
	}
	if r, g, b, ok := c.RGB(); ok {
		dst = append(dst, ';')
		dst = strconv.AppendInt(dst, int64(base)+8, 10)
		dst = append(dst, ";2;"...)
		dst = strconv.AppendInt(dst, int64(r), 10)
		dst = append(dst, ';')
		dst = strconv.AppendInt(dst, int64(g), 10)
		dst = append(dst, ';')
		return strconv.AppendInt(dst, int64(b), 10)
	}
	return dst
}

type cellFlags uint8

const (
	cellWide     cellFlags = 1 << iota // occupies two columns; the next cell is its continuation
	cellFallback                       // contents start with a combining character
	cellWrap                           // on the last cell of a row: the row soft-wraps
)

// maxCellBytes is mosh's limit on a cell's contents (Cell::full): combining
// characters stop being appended once the contents reach 32 bytes.
const maxCellBytes = 32

// Cell is one character cell: a grapheme (a base character plus combining
// characters), its width and its rendition. The zero value is an empty cell
// with the default rendition. Cells are comparable with ==, which compares
// exactly what mosh's Cell::operator== compares (including the wrap flag).
type Cell struct {
	// The rendition is stored flat rather than as a Rendition so that the
	// cell packs into 32 bytes: cells are copied in bulk when rows scroll,
	// are erased and are copied on write.
	comb   string // UTF-8 of the characters appended after base (combining marks)
	base   rune   // first character of the contents, 0 when empty
	fg, bg Color
	attrs  Attr
	flags  cellFlags
}

// newCellOf returns a cell holding r drawn with rend.
func newCellOf(r rune, rend Rendition) Cell {
	return Cell{base: r, fg: rend.Fg, bg: rend.Bg, attrs: rend.Attrs}
}

// NewCell returns a cell holding contents (a base character and any
// combining characters, as UTF-8), drawn with rend.
func NewCell(contents string, wide bool, rend Rendition) Cell {
	c := newCellOf(0, rend)
	if contents != "" {
		r, n := utf8.DecodeRuneInString(contents)
		c.base, c.comb = r, contents[n:]
	}
	if wide {
		c.flags |= cellWide
	}
	return c
}

// Contents returns the cell's characters as UTF-8 ("" for an empty cell).
func (c Cell) Contents() string {
	if c.base == 0 {
		return ""
	}
	if c.comb == "" && c.base < utf8.RuneSelf {
		return string(byte(c.base)) // single-byte strings do not allocate
	}
	return string(c.AppendContents(nil))
}

// AppendContents appends the cell's characters to dst.
func (c Cell) AppendContents(dst []byte) []byte {
	if c.base == 0 {
		return dst
	}
	dst = utf8.AppendRune(dst, c.base)
	return append(dst, c.comb...)
}

// String returns the grapheme to draw for the cell (mosh's
// Cell::print_grapheme): a space for an empty cell, and a no-break space in
// front of contents that begin with a combining character.
func (c Cell) String() string {
	if c.base == 0 {
		return " "
	}
	if c.flags&cellFallback == 0 {
		return c.Contents()
	}
	return string(c.AppendGrapheme(nil))
}

// AppendGrapheme appends c.String() to dst.
func (c Cell) AppendGrapheme(dst []byte) []byte {
	if c.base == 0 {
		return append(dst, ' ')
	}
	if c.flags&cellFallback != 0 {
		dst = append(dst, "\u00a0"...)
	}
	return c.AppendContents(dst)
}

// contentLen is the byte length of the contents.
func (c Cell) contentLen() int {
	if c.base == 0 {
		return 0
	}
	return utf8.RuneLen(c.base) + len(c.comb)
}

// Empty reports whether the cell holds no characters.
func (c Cell) Empty() bool { return c.base == 0 }

// IsBlank reports whether the cell looks blank: empty, a space or a lone
// no-break space (mosh's Cell::is_blank). The rendition is not considered.
func (c Cell) IsBlank() bool {
	return c.comb == "" && (c.base == 0 || c.base == ' ' || c.base == 0xA0)
}

// ContentsMatch reports whether two cells show the same characters, counting
// all blanks as equal (mosh's Cell::contents_match).
func (c Cell) ContentsMatch(o Cell) bool {
	return (c.IsBlank() && o.IsBlank()) || (c.base == o.base && c.comb == o.comb)
}

// Wide reports whether the cell is two columns wide.
func (c Cell) Wide() bool { return c.flags&cellWide != 0 }

// Width returns the number of columns the cell covers: 1 or 2.
func (c Cell) Width() int {
	if c.flags&cellWide != 0 {
		return 2
	}
	return 1
}

// Fallback reports whether the contents begin with a combining character
// (drawn after a no-break space).
func (c Cell) Fallback() bool { return c.flags&cellFallback != 0 }

// Wrap reports the cell's wrap flag; only the last cell of a row carries a
// meaningful one (see Row.Wrap).
func (c Cell) Wrap() bool { return c.flags&cellWrap != 0 }

// Rendition returns the cell's rendition.
func (c Cell) Rendition() Rendition { return Rendition{Fg: c.fg, Bg: c.bg, Attrs: c.attrs} }

// WithRendition returns a copy of c drawn with r.
func (c Cell) WithRendition(r Rendition) Cell {
	c.fg, c.bg, c.attrs = r.Fg, r.Bg, r.Attrs
	return c
}

// blankCell is the cell mosh's Cell::reset produces under the rendition rend.
func blankCell(rend Rendition) Cell { return Cell{bg: rend.Bg} }

// fillCells sets every cell of cells to c.
func fillCells(cells []Cell, c Cell) {
	if c == (Cell{}) {
		clear(cells)
		return
	}
	if len(cells) == 0 {
		return
	}
	cells[0] = c
	for n := 1; n < len(cells); n *= 2 {
		copy(cells[n:], cells[:n])
	}
}

// appendChar appends a character to the contents (mosh's Cell::append).
func (c *Cell) appendChar(r rune) {
	if c.base == 0 {
		c.base = r
		return
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	c.comb += string(buf[:n])
}

func (c *Cell) setFlag(f cellFlags, on bool) {
	if on {
		c.flags |= f
	} else {
		c.flags &^= f
	}
}
