package roam

import (
	"errors"
	"strconv"
	"testing"
)

// sizedState claims the size its diff says: a stand-in for a screen whose
// few-byte resize diff allocates every cell anew.
type sizedState struct{ size int }

var (
	_ State[*sizedState] = (*sizedState)(nil)
)

func (s *sizedState) Clone() *sizedState          { c := *s; return &c }
func (s *sizedState) Equal(o *sizedState) bool    { return s.size == o.size }
func (s *sizedState) DiffFrom(*sizedState) []byte { return []byte(strconv.Itoa(s.size)) }
func (s *sizedState) Apply(d []byte) error {
	n, err := strconv.Atoi(string(d))
	if err != nil {
		return err
	}
	s.size = n
	return nil
}
func (s *sizedState) Subtract(*sizedState) {}
func (s *sizedState) Size() int            { return s.size }

// The receiver keeps the bytes of its states within the budget, dropping
// the states between the oldest and the newest, oldest first; the oldest
// (the sender's fallback reference) and the newest (the acked one) stay.
func TestReceiverByteBudget(t *testing.T) {
	r := newReceiver(&sizedState{size: 100}, t0)
	big := receivedStatesBytes / 3
	for n := uint64(1); n <= 50; n++ {
		c, err := r.prepare(n-1, n, 0, []byte(strconv.Itoa(big+int(n))))
		if err != nil {
			t.Fatalf("state %d: %v", n, err)
		}
		if added, newest := r.commit(c, t0); !added || !newest {
			t.Fatalf("state %d: added %v newest %v", n, added, newest)
		}
		total := 0
		for _, st := range r.states {
			total += st.size
		}
		if total != r.bytes || r.bytes > receivedStatesBytes {
			t.Fatalf("after state %d: %d bytes counted, %d held, budget %d", n, r.bytes, total, receivedStatesBytes)
		}
		if r.states[0].num != 0 || r.newest().num != n {
			t.Fatalf("after state %d: oldest %d newest %d", n, r.states[0].num, r.newest().num)
		}
	}
	if len(r.states) != 3 {
		t.Fatalf("%d states kept, want the oldest and the two newest", len(r.states))
	}
	// A diff from a dropped state is ignored quietly, as from a state
	// never received; from the oldest or the newest it applies.
	var quiet nothingNew
	if _, err := r.prepare(10, 51, 0, []byte("1")); !errors.As(err, &quiet) {
		t.Fatalf("diff from a dropped state: %v", err)
	}
	for _, ref := range []uint64{0, 50} {
		if _, err := r.prepare(ref, 51, 0, []byte("1")); err != nil {
			t.Fatalf("diff from kept state %d: %v", ref, err)
		}
	}
	// Even two states over the budget each are both kept.
	c, _ := r.prepare(50, 51, 0, []byte(strconv.Itoa(2*receivedStatesBytes)))
	r.commit(c, t0)
	c, _ = r.prepare(51, 52, 51, []byte(strconv.Itoa(2*receivedStatesBytes)))
	r.commit(c, t0)
	if len(r.states) != 2 || r.states[0].num != 51 || r.newest().num != 52 {
		t.Fatalf("states %d..%d (%d)", r.states[0].num, r.newest().num, len(r.states))
	}
}
