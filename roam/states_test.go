package roam

import (
	"bytes"
	"errors"
)

// logState is an append-only byte log, shaped like mosh's UserStream: the
// diff from an earlier state is the bytes appended since, and Subtract drops
// an acknowledged prefix.
type logState struct{ b []byte }

var _ State[*logState] = (*logState)(nil)

func (s *logState) Clone() *logState       { return &logState{b: bytes.Clone(s.b)} }
func (s *logState) Equal(o *logState) bool { return bytes.Equal(s.b, o.b) }
func (s *logState) push(p string)          { s.b = append(s.b, p...) }
func (s *logState) DiffFrom(o *logState) []byte {
	if len(o.b) > len(s.b) || !bytes.HasPrefix(s.b, o.b) {
		panic("logState: diff from a state that is not a prefix")
	}
	return bytes.Clone(s.b[len(o.b):])
}
func (s *logState) Apply(d []byte) error { s.b = append(s.b, d...); return nil }
func (s *logState) Size() int            { return len(s.b) }
func (s *logState) Subtract(p *logState) {
	if s == p {
		s.b = nil
		return
	}
	n := 0
	for n < len(s.b) && n < len(p.b) && s.b[n] == p.b[n] {
		n++
	}
	s.b = bytes.Clone(s.b[n:])
}

// valState is a value replaced wholesale, shaped like mosh's terminal state:
// the diff is the new value behind a marker byte, Subtract does nothing, and
// a diff without the marker is rejected like hostile input.
type valState struct{ v []byte }

var _ State[*valState] = (*valState)(nil)

var errBadValDiff = errors.New("valState: bad diff")

func (s *valState) Clone() *valState       { return &valState{v: bytes.Clone(s.v)} }
func (s *valState) Equal(o *valState) bool { return bytes.Equal(s.v, o.v) }
func (s *valState) DiffFrom(o *valState) []byte {
	if s.Equal(o) {
		return nil
	}
	return append([]byte{'S'}, s.v...)
}
func (s *valState) Apply(d []byte) error {
	if len(d) == 0 || d[0] != 'S' {
		return errBadValDiff
	}
	s.v = bytes.Clone(d[1:])
	return nil
}
func (s *valState) Subtract(*valState) {}
func (s *valState) Size() int          { return len(s.v) }
