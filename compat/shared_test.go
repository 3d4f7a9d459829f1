package compat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedFile finds a file of the project's shared/ folder (the seed
// tutorial, etcd's reference transcripts), which lies beside the
// repository — or beside a folder above it, as in CI, which lays shared/
// beside its clone. Missing, it fails the test: these are what raftkv is
// measured against, never skipped.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	var tried []string
	for dir := filepath.Dir(progs.repo); ; dir = filepath.Dir(dir) {
		path := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(path); err == nil {
			return path
		}
		tried = append(tried, path)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	t.Fatalf("shared/%s is read from beside the repository; found none at %s", rel, strings.Join(tried, ", "))
	return ""
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
