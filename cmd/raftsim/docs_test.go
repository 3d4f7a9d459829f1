package main

import (
	"bytes"
	"testing"
)

func TestRaftsimRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-faults", "lightning"},
		{"-seed", "1", "-duration", "1s"},
		{"-nodes", "0", "-seed", "1", "-nodes", "12"},
		{"extra"},
		{"-unknown-flag"},
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
