package main

import "testing"

// A command name may hold spaces and parentheses; the fields must be
// counted from the last ")" or utime and stime are read from the wrong
// columns.
func TestParseProcessTicks_CommandNameWithSpacesAndParens(t *testing.T) {
	stat := "4242 (raft kv) (m1)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 731 269 0 0 20 0 12 0 100 0 0\n"
	got, err := parseProcessTicks([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if got != 731+269 {
		t.Fatalf("got %d ticks, want utime 731 + stime 269", got)
	}
}

func TestParseProcessTicks_RejectsTruncatedStat(t *testing.T) {
	for _, stat := range []string{"", "4242 (etcd) S 1 2 3", "4242 (etcd) S 1 1 1 0 -1 0 0 0 0 0 x 1 0"} {
		if _, err := parseProcessTicks([]byte(stat)); err == nil {
			t.Errorf("%q: no error", stat)
		}
	}
}

// iowait is idle time (the CPU had nothing to run), and guest time is
// already inside user, so neither may be counted twice or as busy.
func TestParseMachineTicks_BusyExcludesIdleAndIowait(t *testing.T) {
	stat := "cpu  100 2 30 500 40 5 6 7 50 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
	got, err := parseMachineTicks([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	want := machineTicks{busy: 100 + 2 + 30 + 5 + 6 + 7, total: 100 + 2 + 30 + 500 + 40 + 5 + 6 + 7}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := parseMachineTicks([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("no error for a first line that is not the cpu total")
	}
}
