package evidence

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSince reads --since: "all" (0: every snapshot) or as ParseAge.
func ParseSince(s string) (time.Duration, error) {
	if s == "all" {
		return 0, nil
	}
	return ParseAge(s)
}

// ParseAge reads a length of time as the flags take it: whole days or
// weeks ("90d", "2w") or a Go duration ("26h", "90m"). It must be positive.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q: want whole days (90d), weeks (2w) or a duration (26h)", s)
		}
		d = time.Duration(v) * 24 * time.Hour
	} else if n, ok := strings.CutSuffix(s, "w"); ok {
		v, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q: want whole days (90d), weeks (2w) or a duration (26h)", s)
		}
		d = time.Duration(v) * 7 * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q: want whole days (90d), weeks (2w) or a duration (26h)", s)
		}
	}
	if d <= 0 || d > 100*365*24*time.Hour {
		return 0, fmt.Errorf("%q: want a length between 1s and 100 years", s)
	}
	return d, nil
}

// Human writes seconds as days, hours and minutes ("1d 2h 5m", "45s").
func Human(seconds float64) string {
	if seconds < 0 {
		return "-" + Human(-seconds)
	}
	d := time.Duration(seconds * float64(time.Second))
	if d < time.Minute {
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	}
	d = d.Round(time.Minute)
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	h, m := rest/time.Hour, (rest%time.Hour)/time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%dd", days))
	}
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
	}
	if m > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
	}
	return strings.Join(parts, " ")
}

// stamp writes a time for the report: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// gapText writes the --max-gap bar as it was most likely given: whole
// hours as hours ("26h"), else as Human.
func gapText(d time.Duration) string {
	if d%time.Hour == 0 && d < 100*24*time.Hour {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return Human(d.Seconds())
}
