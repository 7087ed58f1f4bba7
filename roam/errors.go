package roam

import "errors"

// Why Transport.Recv dropped a datagram. Recv wraps one of these (test with
// errors.Is); none of them is fatal to the session: the caller counts the
// datagram as dropped and carries on.
var (
	// ErrUnauthentic: too short, too long, or failed the OCB integrity
	// check (wrong key, forged, corrupted, truncated).
	ErrUnauthentic = errors.New("roam: datagram not authentic")
	// ErrWrongDirection: authentic but sent in our own direction, e.g. our
	// own datagram reflected back at us.
	ErrWrongDirection = errors.New("roam: datagram has the wrong direction bit")
	// ErrMalformed: authentic but the packet, fragment or instruction does
	// not decode.
	ErrMalformed = errors.New("roam: malformed datagram")
	// ErrProtocol: a well-formed instruction that a real mosh peer would
	// abort on or reject (protocol version, throwaway_num, bad diff).
	ErrProtocol = errors.New("roam: protocol violation")
	// ErrReplayed: an authentic datagram whose sequence number is not above
	// every one seen, and that brought nothing new (no new state, no new
	// acknowledgement, or only a fragment of an instruction still
	// incomplete): a replay, a network duplicate or a late fragment. It
	// proves nothing about the path it came by.
	ErrReplayed = errors.New("roam: replayed datagram")
)
