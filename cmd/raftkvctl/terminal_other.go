//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import (
	"errors"
	"os"
)

// Elsewhere raftkvctl does not know how to silence a terminal: it reads a
// password as a line of standard input, echoed. Give it with --password or
// --user name:password (or pipe it) instead.

func isTerminal(*os.File) bool { return false }

func echoOff(*os.File) (func(), error) {
	return nil, errors.New("raftkvctl cannot turn terminal echo off on this system")
}
