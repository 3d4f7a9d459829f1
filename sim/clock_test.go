package sim

import "testing"

// A trace line and the timeline page must name the same instant: both
// round to the millisecond the same way (the page used to truncate while
// the trace rounded, so "2.023s" in one was "2.022s" in the other).
func TestTimeRoundsToTheMillisecondLikeTheTimeline(t *testing.T) {
	for _, c := range []struct {
		at     Time
		millis int64
		text   string
	}{
		{2022499, 2022, "   2.022s"},
		{2022500, 2023, "   2.023s"},
		{999, 1, "   0.001s"},
		{0, 0, "   0.000s"},
		{125 * Second, 125000, " 125.000s"},
	} {
		if got := c.at.Millis(); got != c.millis {
			t.Errorf("Time(%d).Millis() = %d, want %d", int64(c.at), got, c.millis)
		}
		if got := c.at.String(); got != c.text {
			t.Errorf("Time(%d).String() = %q, want %q", int64(c.at), got, c.text)
		}
	}
}
