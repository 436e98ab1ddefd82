package relay

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// loggerFactory sends pion's warnings and errors to the event journal as
// events called event and drops its trace, debug and info lines.
type loggerFactory struct {
	log   *slog.Logger
	event string
}

func (f loggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{log: f.log, scope: scope, event: f.event}
}

type pionLogger struct {
	log          *slog.Logger
	scope, event string
}

func (l pionLogger) put(level, msg string) {
	l.log.Info(l.event, "level", level, "scope", l.scope, "msg", msg)
}

func (pionLogger) Trace(string)          {}
func (pionLogger) Tracef(string, ...any) {}
func (pionLogger) Debug(string)          {}
func (pionLogger) Debugf(string, ...any) {}
func (pionLogger) Info(string)           {}
func (pionLogger) Infof(string, ...any)  {}
func (l pionLogger) Warn(m string)       { l.put("warn", m) }
func (l pionLogger) Warnf(f string, a ...any) {
	l.put("warn", fmt.Sprintf(f, a...))
}
func (l pionLogger) Error(m string) { l.put("error", m) }
func (l pionLogger) Errorf(f string, a ...any) {
	l.put("error", fmt.Sprintf(f, a...))
}
