package roam

import (
	"math"
	"time"

	"github.com/ssh-mosh/ssh-mosh/roam/wire"
)

// rttEstimator is mosh's smoothed round-trip estimate (Connection::recv_one,
// Connection::timeout in src/network/network.cc), the RFC 6298 filter on
// millisecond samples measured with 16-bit timestamps. Values are float64
// milliseconds like mosh's doubles, so the derived RTO and send interval
// round exactly as the real peer's do.
type rttEstimator struct {
	hit    bool // a sample has been taken
	srtt   float64
	rttvar float64
}

// newRTT returns mosh's initial estimate: SRTT 1000 ms, RTTVAR 500 ms.
func newRTT() rttEstimator { return rttEstimator{srtt: 1000, rttvar: 500} }

// sample folds in one round trip of r milliseconds. Samples of 5 s or more
// are ignored (a stopped process, not the network). The variance is updated
// before the mean, as in mosh.
func (e *rttEstimator) sample(r float64) {
	if r >= rttSampleLimit {
		return
	}
	if !e.hit {
		e.srtt = r
		e.rttvar = r / 2
		e.hit = true
		return
	}
	const alpha, beta = 1.0 / 8.0, 1.0 / 4.0
	e.rttvar = (1-beta)*e.rttvar + beta*math.Abs(e.srtt-r)
	e.srtt = (1-alpha)*e.srtt + alpha*r
}

// rto is ceil(SRTT + 4·RTTVAR) clamped to [lo, hi].
func (e *rttEstimator) rto(lo, hi time.Duration) time.Duration {
	return clampDur(ceilMS(e.srtt+4*e.rttvar), lo, hi)
}

// sendInterval is ceil(SRTT/2) clamped to [lo, hi]: about two frames per
// round trip.
func (e *rttEstimator) sendInterval(lo, hi time.Duration) time.Duration {
	return clampDur(ceilMS(e.srtt/2), lo, hi)
}

func ceilMS(ms float64) time.Duration {
	return time.Duration(math.Ceil(ms)) * time.Millisecond
}

func clampDur(d, lo, hi time.Duration) time.Duration {
	return max(lo, min(d, hi))
}

// timestampEcho holds the newest peer timestamp until the next datagram
// echoes it (Connection::new_packet): the echo carries the time it was held,
// so the peer's RTT excludes our think time. Each timestamp is echoed at
// most once and only within echoHoldLimit.
type timestampEcho struct {
	have    bool
	ts      uint16
	savedAt int64 // milliseconds on the transport's clock
}

// save records a timestamp received at nowMS.
func (e *timestampEcho) save(ts uint16, nowMS int64) {
	e.have, e.ts, e.savedAt = true, ts, nowMS
}

// reply returns the ts_reply for a datagram sent at nowMS and consumes the
// saved timestamp, or wire.NoTimestamp when none is fresh. Like mosh it
// counts whole milliseconds of its own clock, so the held time can be 0.
func (e *timestampEcho) reply(nowMS int64) uint16 {
	if !e.have || nowMS-e.savedAt >= echoHoldLimit.Milliseconds() {
		return wire.NoTimestamp
	}
	held := uint16(nowMS - e.savedAt)
	e.have = false
	return e.ts + held
}

// timestampDiff is (newer − older) mod 65536, mosh's timestamp_diff.
func timestampDiff(newer, older uint16) float64 {
	return float64(newer - older)
}
