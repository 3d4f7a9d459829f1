package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(runMain())
}

// runMain wires run to the process. SIGINT and SIGTERM cancel the run's
// context instead of killing the process at once, so that lock can release
// its lock and elect resign before exiting, as etcdctl's do; the other
// commands then stop and exit with the shell's code for a signal (130, 143).
// A second signal kills at once, should the clean-up hang.
func runMain() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig, ok := (<-sigs).(syscall.Signal)
		signal.Stop(sigs)
		if ok {
			cancel(&silentExit{code: 128 + int(sig)})
		}
	}()
	return run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
}
