package graphsim

import (
	"context"
	"net"
	"net/http"
	"os"
	"time"
)

// What a program hosting the emulated tenant needs: serving it on a port
// and saving it to a file.

// Listener is a Server served over HTTP (Listen).
type Listener struct {
	URL  string // http://host:port
	srv  *http.Server
	errc chan error
}

// Listen serves s over HTTP at addr ("127.0.0.1:0": a free loopback port)
// until Close; programs use it to host the emulated tenant.
func (s *Server) Listen(addr string) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	l := &Listener{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}, errc: make(chan error, 1)}
	go func() { l.errc <- l.srv.Serve(ln) }()
	return l, nil
}

// Err receives the error that stopped serving (http.ErrServerClosed after
// Close).
func (l *Listener) Err() <-chan error { return l.errc }

// Close stops serving, letting requests in flight finish for up to 5s.
func (l *Listener) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return l.srv.Shutdown(ctx)
}

// SaveFile writes the tenant (Save) to path atomically: a temporary file,
// then a rename, so an interrupted save leaves the earlier file whole.
func (t *Tenant) SaveFile(path string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := t.Save(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
