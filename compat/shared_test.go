package compat

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoCopies are the repository's verbatim copies of the shared/ files the
// tests read, for a clone checked out without shared/ beside it.
var repoCopies = map[string]string{
	"seeds/000_9f626e7c374240a0.txt": "cmd/raftkvctl/testdata/seed-tutorial.txt",
	"reference/etcdctl.md":           "cmd/raftkvctl/testdata/etcdctl.md",
	"reference/etcd-json-gateway.md": "client/wire/testdata/etcd-json-gateway.md",
}

// sharedFile finds a file of the project's shared/ folder (the seed
// tutorial, etcd's reference transcripts), which lies beside the
// repository or beside a folder above it. Where it is found, the
// repository's copy must be identical to it, so that a copy never drifts
// from what raftkv is measured against; where shared/ is absent (a bare
// clone), the test reads the copy.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	copyPath, ok := repoCopies[rel]
	if !ok {
		t.Fatalf("shared/%s has no copy in the repository (compat/shared_test.go lists them)", rel)
	}
	copyPath = filepath.Join(progs.repo, copyPath)
	copied, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatalf("the repository's copy of shared/%s: %v", rel, err)
	}
	for dir := filepath.Dir(progs.repo); dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		path := filepath.Join(dir, "shared", rel)
		original, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if !bytes.Equal(original, copied) {
			t.Fatalf("%s must be a copy of %s: the shared file changed, copy it again", copyPath, path)
		}
		return path
	}
	t.Logf("no shared/%s above %s: reading the repository's copy, %s", rel, progs.repo, copyPath)
	return copyPath
}

// shellWords splits a command line as sh does for the tutorial's lines:
// words apart at blanks, quotes (single or double) kept together and
// removed.
func shellWords(line string) []string {
	var words []string
	var word strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}
