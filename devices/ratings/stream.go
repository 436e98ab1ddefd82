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
//	viewer: STOP
//	server: END <ms of the last frame sent>, then closes
//	server: ERR <reason>, then closes
//
// STOP is answered after every frame already written, so the last frame the
// viewer reads is the one END names.

// maxLine bounds a stream line.
const maxLine = 256

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
		if err1 != nil || err2 != nil || ms < 0 || checkID(f[3]) != nil {
			return StreamLine{}, fmt.Errorf("stream: bad frame %q", s)
		}
		return StreamLine{Kind: "FRAME", Frame: Frame{Seq: seq, At: time.Duration(ms) * time.Millisecond, Program: f[3]}}, nil
	case f[0] == "END" && len(f) == 2:
		ms, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || ms < 0 {
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
}

func parseCommand(s string) (viewerCommand, error) {
	f := strings.Split(strings.TrimSuffix(s, "\r"), " ")
	switch {
	case f[0] == "WATCH" && len(f) == 3 && checkID(f[1]) == nil && checkID(f[2]) == nil:
		return viewerCommand{verb: "WATCH", user: f[1], service: f[2]}, nil
	case f[0] == "RESUME" && len(f) == 2 && checkID(f[1]) == nil:
		return viewerCommand{verb: "RESUME", session: f[1]}, nil
	case f[0] == "STOP" && len(f) == 1:
		return viewerCommand{verb: "STOP"}, nil
	}
	return viewerCommand{}, fmt.Errorf("want WATCH <user> <service>, RESUME <session> or STOP; got %q", clip(s))
}
