//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// A password typed at a terminal must not be shown. The terminal echoes what
// is typed unless its ECHO mode is off; the modes are read and set with two
// ioctls (their numbers differ between Linux and the BSDs:
// terminal_linux.go, terminal_bsd.go). This is what etcdctl gets by running
// stty -echo, without a program of its own.

func termios(f *os.File) (*syscall.Termios, error) {
	var t syscall.Termios
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), ioctlGetTermios, uintptr(unsafe.Pointer(&t))); errno != 0 {
		return nil, errno
	}
	return &t, nil
}

func setTermios(f *os.File, t *syscall.Termios) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), ioctlSetTermios, uintptr(unsafe.Pointer(t))); errno != 0 {
		return errno
	}
	return nil
}

// isTerminal reports whether f is a terminal (has terminal modes at all).
func isTerminal(f *os.File) bool {
	_, err := termios(f)
	return err == nil
}

// echoOff stops the terminal f from echoing what is typed, and returns the
// function that puts it back as it was.
func echoOff(f *os.File) (restore func(), err error) {
	old, err := termios(f)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= syscall.ECHO
	if err := setTermios(f, &quiet); err != nil {
		return nil, err
	}
	return func() { setTermios(f, old) }, nil
}
