package testenv

import (
	"bytes"
	"strings"
	"sync"
)

// logLimit is how much of a server's output is kept (the most recent bytes).
const logLimit = 256 << 10

// maxLineLen bounds the partial line kept for the readiness marker scan.
const maxLineLen = 4 << 10

// output collects a server process's combined stdout and stderr. It keeps
// only the last limit bytes, and watches complete lines for marker lines,
// e.g. the line that werkzeug logs once the listening socket is bound.
// It is safe for concurrent use.
type output struct {
	limit   int
	markers []string // line suffixes to watch for

	mu      sync.Mutex
	buf     []byte // last <= limit bytes (may grow to 2*limit before compaction)
	dropped bool   // whether older output was discarded
	line    []byte // current incomplete line (for the marker scan)
	seen    []chan struct{}
	pending int // markers not seen yet
	watch   func(line string)
}

// newOutput returns an output that keeps the last limit bytes and closes
// Seen(i) when a line ending in markers[i] is written (Bound() is Seen(0)).
func newOutput(limit int, markers ...string) *output {
	o := &output{limit: limit, markers: markers, pending: len(markers)}
	for range markers {
		o.seen = append(o.seen, make(chan struct{}))
	}
	return o
}

// Write implements io.Writer. It never fails.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()

	o.buf = append(o.buf, p...)
	if len(o.buf) > 2*o.limit {
		o.compact()
	}

	if o.pending > 0 || o.watch != nil {
		o.scan(p)
	}
	return len(p), nil
}

// compact drops all but the last limit bytes. o.mu must be held.
func (o *output) compact() {
	if len(o.buf) <= o.limit {
		return
	}
	n := copy(o.buf, o.buf[len(o.buf)-o.limit:])
	o.buf = o.buf[:n]
	o.dropped = true
}

// scan feeds p to the line scanner. o.mu must be held.
func (o *output) scan(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(o.line)+len(p) <= maxLineLen {
				o.line = append(o.line, p...)
			} else {
				o.line = o.line[:0] // too long to be a marker line
			}
			return
		}
		var line []byte
		if len(o.line) > 0 {
			line = append(o.line, p[:i]...)
		} else {
			line = p[:i]
		}
		o.checkLine(strings.TrimRight(string(line), " \r\t"))
		o.line = o.line[:0]
		p = p[i+1:]
	}
}

// checkLine matches one complete line against the markers. o.mu must be
// held.
func (o *output) checkLine(line string) {
	for i, m := range o.markers {
		select {
		case <-o.seen[i]:
			continue
		default:
		}
		if strings.HasSuffix(line, m) {
			close(o.seen[i])
			o.pending--
		}
	}
	if o.watch != nil {
		o.watch(line)
	}
}

// Bound returns a channel that is closed once a line ending in the first
// marker was written.
func (o *output) Bound() <-chan struct{} { return o.seen[0] }

// Seen returns a channel that is closed once a line ending in markers[i]
// was written.
func (o *output) Seen(i int) <-chan struct{} { return o.seen[i] }

// String returns the retained output. If older output was discarded, the
// result starts with a note saying so.
func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.compact()
	if o.dropped {
		return "[... earlier output discarded ...]\n" + string(o.buf)
	}
	return string(o.buf)
}

// tail returns the last n bytes of s, cut at a line boundary when possible,
// with a note when something was cut.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return "[... truncated ...]\n" + s
}
