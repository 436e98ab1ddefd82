// Command boxlab builds Linux network namespace topologies from scenario
// files, runs simulated and real devices in them, injects faults and checks
// assertions. Exit codes: 0 all assertions passed, 1 an assertion failed,
// 2 bad input or a setup error.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitPass  = 0
	exitFail  = 1
	exitSetup = 2
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{
		Use:           "boxlab",
		Short:         "Network namespace testbed for set-top boxes, cameras and home gateways behind NAT",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(runCmd(), validateCmd(), schemaCmd(), shellCmd(), cleanCmd(), rolesCmd(), natCmd(), acsCmd(), deviceCmd())
	err := root.ExecuteContext(ctx)
	if err == nil {
		os.Exit(exitPass)
	}
	code := exitSetup
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if ee == nil || ee.err != nil {
		fmt.Fprintln(os.Stderr, "boxlab:", err)
	}
	os.Exit(code)
}
