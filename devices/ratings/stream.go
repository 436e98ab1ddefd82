package ratings

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The content stream is a line protocol over TCP (one connection per
// viewing, resumable after a break):
//
//	viewer: WATCH <user> <service>   or   RESUME <session>
//	server: SESSION <session>
//	server: FRAME <seq> <ms> <program>   every frame interval; ms is the
//	        server's simulated time in milliseconds, the viewing's clock
//	viewer: STOP <ms>                ms: the last frame the viewer received
//	server: END <ms of the viewing's last frame>, then closes
//	server: ERR <reason>, then closes
//
// The viewing ends at the last frame the viewer received before it sent
// STOP: a frame the server had sent that the viewer never got (the path
// broke, e.g. its NAT was renumbered, after STOP left) does not count. The
// server records the earlier of that frame and the last frame it sent
// (never before the first frame), so a terminal can only shorten its own
// viewing, and timestamps are always the server's. A bare STOP (no ms)
// ends at the last frame sent. Frames after STOP are not part of the
// viewing; END names its recorded end, the same on every RESUME after.

// maxLine bounds a stream line.
const maxLine = 256

// maxStreamMS bounds a timestamp on the stream (milliseconds; about 35
// years, far below what would overflow a Duration).
const maxStreamMS = 1 << 40

// Frame is one content frame as the viewer reads it.
type Frame struct {
	Seq     uint64
	At      time.Duration // server timestamp, millisecond precision
	Program string
}

// FrameLine renders a frame.
func FrameLine(f Frame) string {
	return fmt.Sprintf("FRAME %d %d %s\n", f.Seq, f.At.Milliseconds(), f.Program)
}

// StreamLine is one parsed line from the server.
type StreamLine struct {
	Kind    string // SESSION, FRAME, END, ERR
	Session string
	Frame   Frame
	End     time.Duration
	Err     string
}

// ParseStreamLine reads one line the server sent (without its newline).
func ParseStreamLine(s string) (StreamLine, error) {
	if len(s) > maxLine {
		return StreamLine{}, errors.New("stream: line too long")
	}
	f := strings.Split(s, " ")
	switch {
	case f[0] == "SESSION" && len(f) == 2 && checkID(f[1]) == nil:
		return StreamLine{Kind: "SESSION", Session: f[1]}, nil
	case f[0] == "FRAME" && len(f) == 4:
		seq, err1 := strconv.ParseUint(f[1], 10, 64)
		ms, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || ms < 0 || ms > maxStreamMS || checkID(f[3]) != nil {
			return StreamLine{}, fmt.Errorf("stream: bad frame %q", s)
		}
		return StreamLine{Kind: "FRAME", Frame: Frame{Seq: seq, At: time.Duration(ms) * time.Millisecond, Program: f[3]}}, nil
	case f[0] == "END" && len(f) == 2:
		ms, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || ms < 0 || ms > maxStreamMS {
			return StreamLine{}, fmt.Errorf("stream: bad end %q", s)
		}
		return StreamLine{Kind: "END", End: time.Duration(ms) * time.Millisecond}, nil
	case f[0] == "ERR":
		return StreamLine{Kind: "ERR", Err: strings.TrimPrefix(s, "ERR ")}, nil
	}
	return StreamLine{}, fmt.Errorf("stream: unexpected line %q", clip(s))
}

// viewerCommand is one parsed line from a viewer.
type viewerCommand struct {
	verb, user, service, session string
	until                        time.Duration // STOP: the last frame received; -1 if not given
}

// StopLine is a viewer's STOP after it received the frame stamped last.
func StopLine(last time.Duration) string { return fmt.Sprintf("STOP %d\n", last.Milliseconds()) }

func parseCommand(s string) (viewerCommand, error) {
	f := strings.Split(strings.TrimSuffix(s, "\r"), " ")
	switch {
	case f[0] == "WATCH" && len(f) == 3 && checkID(f[1]) == nil && checkID(f[2]) == nil:
		return viewerCommand{verb: "WATCH", user: f[1], service: f[2]}, nil
	case f[0] == "RESUME" && len(f) == 2 && checkID(f[1]) == nil:
		return viewerCommand{verb: "RESUME", session: f[1]}, nil
	case f[0] == "STOP" && len(f) == 1:
		return viewerCommand{verb: "STOP", until: -1}, nil
	case f[0] == "STOP" && len(f) == 2:
		ms, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || ms < 0 || ms > maxStreamMS {
			break
		}
		return viewerCommand{verb: "STOP", until: time.Duration(ms) * time.Millisecond}, nil
	}
	return viewerCommand{}, fmt.Errorf("want WATCH <user> <service>, RESUME <session> or STOP [<ms>]; got %q", clip(s))
}
