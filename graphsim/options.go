package graphsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Check refuses options New would misread: a throttling model other than
// off and realistic, a fault rate outside 0..1. Its errors start with the
// option's flag name (entrasnap graphsim prefixes "--").
func (o Options) Check() error {
	if o.Throttle != "off" && o.Throttle != "realistic" && o.Throttle != "" {
		return fmt.Errorf("throttle %q: want off or realistic", o.Throttle)
	}
	if !(o.FaultRate >= 0 && o.FaultRate <= 1) {
		return fmt.Errorf("fault-rate %v: want a number from 0 to 1", o.FaultRate)
	}
	return nil
}

// ServeUntil announces s on out as one JSON line (url, tenant_id and a
// token granted every permission: what `entrasnap graphsim` prints for
// scripts), then serves until ctx ends or serving fails, and closes l.
func (l *Listener) ServeUntil(ctx context.Context, s *Server, out io.Writer) error {
	line, _ := json.Marshal(map[string]string{"url": l.URL, "tenant_id": s.TenantID(), "token": s.Token()})
	fmt.Fprintln(out, string(line))
	var err error
	select {
	case <-ctx.Done():
	case err = <-l.Err():
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	_ = l.Close()
	return err
}
