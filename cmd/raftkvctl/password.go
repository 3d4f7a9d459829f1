package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Passwords come from the command line (--user name:password, --password,
// user add name:password, --new-user-password) or are asked for, as
// etcdctl asks: the prompt on stdout; the answer from the terminal with its
// echo off, or, when standard input is not a terminal (a pipe, a file), a
// line of it; then a newline on stdout, the one the user typed having not
// been echoed. Standard input is read a byte at a time, so that each prompt
// takes exactly its own line and leaves the next to the next prompt
// (printf 'pw\npw\nrootpw\n' | raftkvctl --user root user add ivan).

// askPassword prompts and reads one password, trimmed of white space at
// both ends (etcdctl's speakeasy trims it).
func (e *env) askPassword(prompt string) (string, error) {
	fmt.Fprint(e.stdout, prompt)
	e.stdout.Flush()
	password, err := e.readSecret()
	fmt.Fprintln(e.stdout)
	e.stdout.Flush()
	return strings.TrimSpace(password), err
}

// readSecret reads a line from standard input, without echo if it is a
// terminal.
func (e *env) readSecret() (string, error) {
	f, ok := e.stdin.(*os.File)
	if !ok || !isTerminal(f) {
		return readLine(e.stdin)
	}
	restore, err := echoOff(f)
	if err != nil {
		return "", err
	}
	defer restore()
	// An interrupt must not leave the terminal silent: the line is read
	// aside, and whichever comes first, the line or the interrupt, echo is
	// restored on the way out.
	type answer struct {
		line string
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		line, err := readLine(f)
		got <- answer{line, err}
	}()
	select {
	case a := <-got:
		return a.line, a.err
	case <-e.ctx.Done():
		return "", e.ctx.Err()
	}
}

// readLine reads up to a newline (not included) or the end of the input. A
// missing line is an empty password, not an error, as with etcdctl.
func readLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(line), "\r"), nil
}

// readWord reads the password of --interactive=false as etcdctl does
// (fmt.Scanf("%s")): one word, after spaces; a line that starts empty gives
// no password at all.
func readWord(r io.Reader) string {
	var word []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			switch c := b[0]; {
			case c == '\n':
				return string(word)
			case c == ' ' || c == '\t' || c == '\r':
				if len(word) > 0 {
					return string(word)
				}
			default:
				word = append(word, c)
			}
		}
		if err != nil {
			return string(word)
		}
	}
}

// askNewPassword asks twice for a new user's password, as etcdctl's user add
// and user passwd do without --interactive=false.
func (e *env) askNewPassword(user string) (string, error) {
	password, err := e.askPassword(fmt.Sprintf("Password of %s: ", user))
	if err != nil {
		return "", usagef("failed to ask password: %v", err)
	}
	if password == "" {
		return "", usagef("empty password")
	}
	again, err := e.askPassword(fmt.Sprintf("Type password of %s again for confirmation: ", user))
	if err != nil {
		return "", usagef("failed to ask password: %v", err)
	}
	if password != again {
		return "", usagef("given passwords are different")
	}
	return password, nil
}
