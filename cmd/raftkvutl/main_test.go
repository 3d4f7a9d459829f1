package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftkv/raftkv/server"
)

// The happy path with real processes is in docs/operations.md (backup and
// restore), which the docs test runs. These are the command line's edges.
func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"snapshot", "status"}, exitBadArgs, "expects one argument"},
		{[]string{"snapshot", "status", junk, junk}, exitBadArgs, "expects one argument"},
		{[]string{"snapshot", "status", junk, "-w", "yaml"}, exitBadArgs, `unknown output format "yaml"`},
		{[]string{"snapshot", "status", filepath.Join(dir, "missing.db")}, exitError, "no such file"},
		{[]string{"snapshot", "status", junk}, exitError, "not a raftkv snapshot"},
		{[]string{"snapshot", "restore", junk, "--bogus"}, exitBadArgs, "flag provided but not defined: -bogus"},
		{[]string{"snapshot", "restore", junk, "--data-dir", filepath.Join(dir, "r")}, exitError, "cannot read the backup"},
		{[]string{"snapshot", "restore", junk, "--name", "x"}, exitError, `couldn't find local name "x"`},
		{[]string{"frobnicate"}, exitBadArgs, `unknown command "frobnicate"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("raftkvutl %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr.String(), tc.code, tc.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r")); err == nil {
		t.Error("a failed restore created the data directory")
	}
}

func TestStatusFormats(t *testing.T) {
	st := server.SnapshotStatus{Hash: 0xcf1550fb, Revision: 3, TotalKeys: 3, TotalSize: 25000}
	for format, want := range map[string]string{
		"simple": "cf1550fb, 3, 3, 25 kB, " + server.Version + "\n",
		"json":   `{"hash":3474280699,"revision":3,"totalKey":3,"totalSize":25000,"version":"` + server.Version + `"}` + "\n",
		"table": "┌──────────┬──────────┬────────────┬────────────┬─────────┐\n" +
			"│   HASH   │ REVISION │ TOTAL KEYS │ TOTAL SIZE │ VERSION │\n" +
			"├──────────┼──────────┼────────────┼────────────┼─────────┤\n" +
			"│ cf1550fb │        3 │          3 │      25 kB │   " + server.Version + " │\n" +
			"└──────────┴──────────┴────────────┴────────────┴─────────┘\n",
	} {
		var b bytes.Buffer
		printStatus(&b, format, st)
		if b.String() != want {
			t.Errorf("-w %s:\n%s\nwant:\n%s", format, b.String(), want)
		}
	}
}

// Sizes read as etcdutl prints them (go-humanize's SI units).
func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1500: "1.5 kB", 25000: "25 kB", 3_400_000: "3.4 MB", 120_000_000_000: "120 GB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
