package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// A password typed at a terminal is not echoed, and the terminal echoes
// again afterwards — also when the user interrupts instead of answering.
// The terminal is a pseudo-terminal: the test types into its master side
// and reads from it what the terminal echoes.

// openPTY opens a pseudo-terminal: the master (the "keyboard and screen")
// and the slave (the terminal a program reads from).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("unlockpt: %v", errno)
	}
	var n uint32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("ptsname: %v", errno)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// echoes reports whether the terminal's ECHO mode is on.
func echoes(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := termios(f)
	require.NoError(t, err)
	return tio.Lflag&syscall.ECHO != 0
}

// pending reads what the terminal has written to its screen so far. The
// line discipline echoes input while the input is being written, so once
// a write to the master has returned, any echo of it is already there.
func pending(t *testing.T, master *os.File) string {
	t.Helper()
	require.NoError(t, master.SetReadDeadline(time.Now()))
	buf := make([]byte, 256)
	n, _ := master.Read(buf)
	return string(buf[:n])
}

func TestPasswordFromATerminalIsNotEchoed(t *testing.T) {
	master, slave := openPTY(t)
	require.True(t, isTerminal(slave))
	require.True(t, echoes(t, slave), "a new terminal echoes")

	var out bytes.Buffer
	e := &env{ctx: context.Background(), stdin: slave, stdout: bufio.NewWriter(&out)}
	got := make(chan string, 1)
	go func() {
		pw, err := e.askPassword("Password: ")
		if err != nil {
			t.Errorf("askPassword: %v", err)
		}
		got <- pw
	}()
	require.Eventually(t, func() bool { return !echoes(t, slave) }, waitLimit, pollEvery, "echo to be turned off")
	_, err := master.Write([]byte("s3cret\n"))
	require.NoError(t, err)
	require.Equal(t, "s3cret", <-got)
	require.Empty(t, pending(t, master), "the password was echoed")
	require.True(t, echoes(t, slave), "echo is back")
	require.Equal(t, "Password: \n", out.String())
}

func TestInterruptedPasswordPromptRestoresEcho(t *testing.T) {
	_, slave := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	e := &env{ctx: ctx, stdin: slave, stdout: bufio.NewWriter(&out)}
	errs := make(chan error, 1)
	go func() {
		_, err := e.askPassword("Password: ")
		errs <- err
	}()
	require.Eventually(t, func() bool { return !echoes(t, slave) }, waitLimit, pollEvery, "echo to be turned off")
	cancel() // what SIGINT does (main.go)
	require.ErrorIs(t, <-errs, context.Canceled)
	require.True(t, echoes(t, slave), "echo is back after the interrupt")
}

func TestAPipeIsNotATerminal(t *testing.T) {
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	require.False(t, isTerminal(r))
}
