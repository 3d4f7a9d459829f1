package main

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// docCommand is a raftsim command found in docs/, with the output lines the
// text quotes under it.
type docCommand struct {
	file   string
	args   []string
	quotes bool // the command was written "$ go run ..." with its output below
	quote  []string
}

// docCommands extracts every "go run ./cmd/raftsim ..." line from the docs.
// In a code block whose first line is "$ go run ./cmd/raftsim ...", the
// following lines are quoted output that must appear verbatim.
func docCommands(t *testing.T) []docCommand {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no docs found: %v", err)
	}
	var out []docCommand
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cur *docCommand
		inBlock := false
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "```") {
				inBlock = !inBlock
				if cur != nil {
					out = append(out, *cur)
					cur = nil
				}
				continue
			}
			if !inBlock {
				continue
			}
			trimmed := strings.TrimSpace(line)
			cmd, quoted := strings.CutPrefix(trimmed, "$ ")
			if rest, ok := strings.CutPrefix(cmd, "go run ./cmd/raftsim"); ok {
				if cur != nil {
					out = append(out, *cur)
				}
				if i := strings.Index(rest, "#"); i >= 0 {
					rest = rest[:i]
				}
				cur = &docCommand{file: filepath.Base(f), args: strings.Fields(rest), quotes: quoted}
				continue
			}
			if cur != nil && cur.quotes && trimmed != "" {
				cur.quote = append(cur.quote, strings.TrimSpace(line))
			}
		}
	}
	return out
}

// Every raftsim command in the book runs, passes, and prints what the book
// says it prints.
func TestDocsCommandsRunAsWritten(t *testing.T) {
	cmds := docCommands(t)
	if len(cmds) < 3 {
		t.Fatalf("found only %d raftsim commands in docs/", len(cmds))
	}
	for _, c := range cmds {
		args := append([]string(nil), c.args...)
		for i := range args {
			// Multi-seed sweeps are smoke-tested with a few seeds here; the
			// full sweeps run in `make test` and `make sim-long`.
			if args[i] == "-seeds" && i+1 < len(args) {
				if n, _ := strconv.Atoi(args[i+1]); n > 3 {
					args[i+1] = "3"
				}
			}
		}
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Errorf("%s: raftsim %s exited %d\n%s%s", c.file, strings.Join(c.args, " "), code, stdout.String(), stderr.String())
			continue
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(stdout.String(), "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, q := range c.quote {
			if !lines[q] {
				t.Errorf("%s: raftsim %s no longer prints %q", c.file, strings.Join(c.args, " "), q)
			}
		}
	}
}

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
