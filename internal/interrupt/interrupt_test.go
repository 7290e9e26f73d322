package interrupt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

// TestSignal: the exit code is 128 + the signal number, and the message
// keeps what the command's error adds to the interruption, without a bare
// "context canceled".
func TestSignal(t *testing.T) {
	in, term := Signal{os.Interrupt}, Signal{syscall.SIGTERM}
	if in.Code() != 130 || term.Code() != 143 {
		t.Errorf("codes %d, %d; want 130, 143", in.Code(), term.Code())
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "interrupted by SIGINT (Ctrl-C)"},
		{context.Canceled, "interrupted by SIGINT (Ctrl-C)"},
		{fmt.Errorf("reading users: %w", context.Canceled), "interrupted by SIGINT (Ctrl-C): reading users"},
		{errors.New("export interrupted; nothing was committed"), "interrupted by SIGINT (Ctrl-C): export interrupted; nothing was committed"},
	} {
		if got := in.Message(tc.err); got != tc.want {
			t.Errorf("Message(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if got := term.Message(nil); got != "interrupted by SIGTERM" {
		t.Errorf("SIGTERM: %q", got)
	}
}

// TestContextCancelledBySignal: a SIGTERM sent to the process cancels the
// context with the signal as its cause (the process goes on).
func TestContextCancelledBySignal(t *testing.T) {
	ctx, stop := Context(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Skip(err)
	}
	<-ctx.Done()
	var s Signal
	if !errors.As(context.Cause(ctx), &s) || s.Sig != syscall.SIGTERM {
		t.Fatalf("cause %v, want Signal{SIGTERM}", context.Cause(ctx))
	}
}
