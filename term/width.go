package term

//go:generate go run ./internal/widthgen -o width_table.go

// Width returns the number of columns glibc's wcwidth gives r in a UTF-8
// locale: -1 for non-printable characters, 0 for combining marks, 1, or 2
// for wide characters. The table is generated from glibc 2.36 (the one
// Debian 12's mosh 1.4 runs on), so a client and a server using it lay out
// text identically. Note that the emulator prints ISO 8859-1 characters as
// width 1 without asking (see charWidth), as mosh does.
func Width(r rune) int {
	if r < 0 || r >= 0x110000 {
		return -1
	}
	blk := int(widthIndex[r>>widthBlockBits])
	return int(widthBlocks[blk<<widthBlockBits|int(r&(1<<widthBlockBits-1))]) - 1
}
