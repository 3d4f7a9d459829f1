package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -mode member -seed N -trace run.html runs one seed and writes a
// self-contained page: no script, style or font is loaded from elsewhere.
func TestMemberModeWritesTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.html")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-mode", "member", "-seed", "3", "-trace", path, "-window", "4,6"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"PASSED", "wrote " + path, "checked:"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"src=\"http", "href=\"http", "<link", "@import", "cdn"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("the page refers to something outside itself: %q", bad)
		}
	}
	for _, want := range []string{`"roles":`, `"msgs":[{`, `"ops":[{`, "<svg"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestMemberModeSeeds(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-mode", "member", "-seeds", "2", "-start", "5"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.HasSuffix(stdout.String(), "2 passed, 0 failed\n") {
		t.Fatalf("summary: %q", stdout.String())
	}
}

// -auth runs the seeds with authentication on and a revoker, and says
// what the check at apply decided.
func TestMemberModeAuth(t *testing.T) {
	for _, args := range [][]string{
		{"-mode", "member", "-auth", "-seed", "2", "-v", "0"},
		{"-mode", "member", "-auth", "-seeds", "2"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("raftsim %v: exit %d\n%s%s", args, code, stdout.String(), stderr.String())
		}
		for _, want := range []string{"writes allowed", "refused at apply because the auth state moved in flight", "outcomes of applying a write compared across members"} {
			if !strings.Contains(stdout.String(), "auth: ") || !strings.Contains(stdout.String(), want) {
				t.Errorf("raftsim %v: output lacks %q:\n%s", args, want, stdout.String())
			}
		}
	}
}

func TestMemberModeRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-mode", "members", "-seed", "1"},
		{"-mode", "member", "-seed", "1", "-nodes", "2"},
		{"-mode", "member", "-seed", "1", "-window", "5"},
		{"-mode", "member", "-seed", "1", "-window", "6,5"},
		{"-mode", "member", "-seeds", "2", "-trace", "x.html"},
		{"-mode", "member", "-seed", "1", "-no-prevote"},
		{"-mode", "member", "-scenario", "figure8"},
		{"-seed", "1", "-window", "1,2"},
		{"-seeds", "2", "-trace", "x.html"},
		{"-seed", "1", "-auth"},
		{"-mode", "member", "-regression", "list", "-auth"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("raftsim %v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("raftsim %v: no error message", args)
		}
	}
}
