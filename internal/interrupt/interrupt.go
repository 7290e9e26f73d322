// Package interrupt turns SIGINT (Ctrl-C) and SIGTERM into the
// cancellation of a command's context, with the signal as the cause, and
// says how the process then exits: 128 + the signal number, as shells
// expect. It knows no command and no CLI library.
package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Signal is the cause of a context cancelled by a signal.
type Signal struct{ Sig os.Signal }

func (i Signal) Error() string { return "interrupted by " + i.Name() }

// Name is how messages name the signal.
func (i Signal) Name() string {
	if i.Sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT (Ctrl-C)"
}

// Code is 128 + the signal number: 130 for SIGINT, 143 for SIGTERM.
func (i Signal) Code() int {
	if s, ok := i.Sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// Message says that the run was interrupted, with what the command's
// error adds to that (err, which may be nil or a bare cancellation).
func (i Signal) Message(err error) string {
	msg := "interrupted by " + i.Name()
	if err != nil && !errors.Is(err, context.Canceled) {
		msg += ": " + err.Error()
	} else if err != nil {
		msg += ": " + strings.TrimSuffix(strings.TrimSuffix(err.Error(), ": context canceled"), "context canceled")
	}
	return strings.TrimRight(msg, ": ")
}

// Context returns a context that the first SIGINT or SIGTERM cancels with
// cause Signal; a second signal then has its default effect (it ends the
// process). stop releases the signals and the context.
func Context(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs) // a second signal has its default effect
			cancel(Signal{s})
		case <-done:
			signal.Stop(sigs)
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}
