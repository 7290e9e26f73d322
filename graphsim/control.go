package graphsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// serveControl answers graphsim's own endpoints, outside Graph's paths:
//
//	GET  /_graphsim/stats          counters (Stats)
//	POST /_graphsim/stats/reset    zero the counters
//	POST /_graphsim/clock/advance  {"seconds": N} or ?by=720h: move the clock
//	GET  /_graphsim/clock          {"now": "..."}
//	GET  /_graphsim/state          the tenant as saved JSON (Save)
//	POST /_graphsim/devicelogin    {"user_code": C, "user": UPN}: sign in on a device code (devicecode.go)
//
// They need the server's own token, so a Graph client cannot reach them by accident.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	writeJSON := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") != s.godToken {
		writeJSON(http.StatusUnauthorized, map[string]string{"error": "the /_graphsim endpoints need the token graphsim printed at start"})
		return
	}
	switch p := strings.TrimPrefix(r.URL.Path, "/_graphsim/"); {
	case p == "stats" && r.Method == http.MethodGet:
		writeJSON(200, s.Stats())
	case p == "stats/reset" && r.Method == http.MethodPost:
		s.ResetStats()
		writeJSON(200, map[string]string{"status": "reset"})
	case p == "devicelogin" && r.Method == http.MethodPost: // devicecode.go
		var body struct {
			UserCode string `json:"user_code"`
			User     string `json:"user"`
			Decline  bool   `json:"decline"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.UserCode == "" || (body.User == "" && !body.Decline) {
			writeJSON(400, map[string]string{"error": `body must be {"user_code": "...", "user": "alice@..."} (or "decline": true)`})
			return
		}
		var err error
		if body.Decline {
			err = s.DeclineDeviceCode(body.UserCode)
		} else {
			err = s.ApproveDeviceCode(body.UserCode, body.User)
		}
		if err != nil {
			writeJSON(400, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(200, map[string]string{"status": "approved"})
	case p == "clock" && r.Method == http.MethodGet:
		writeJSON(200, map[string]string{"now": s.clock.Now().Format(time.RFC3339)})
	case p == "clock/advance" && r.Method == http.MethodPost:
		var d time.Duration
		if by := r.URL.Query().Get("by"); by != "" {
			var err error
			if d, err = time.ParseDuration(by); err != nil {
				writeJSON(400, map[string]string{"error": "by: " + err.Error()})
				return
			}
		} else {
			var body struct {
				Seconds float64 `json:"seconds"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				writeJSON(400, map[string]string{"error": `body must be {"seconds": N} or use ?by=DURATION`})
				return
			}
			d = time.Duration(body.Seconds * float64(time.Second))
		}
		if d < 0 {
			writeJSON(400, map[string]string{"error": "the clock only moves forward"})
			return
		}
		s.clock.Advance(d)
		writeJSON(200, map[string]string{"now": s.clock.Now().Format(time.RFC3339)})
	case p == "state" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		if err := s.tenant.Save(w); err != nil {
			http.Error(w, err.Error(), 500)
		}
	default:
		writeJSON(404, map[string]string{"error": "unknown graphsim endpoint " + r.URL.Path})
	}
}
