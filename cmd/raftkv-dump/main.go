package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	err := run(os.Args[1:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftkv-dump:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("raftkv-dump", flag.ContinueOnError)
	fl.SetOutput(out)
	var o options
	fl.BoolVar(&o.entries, "entries", false, "print every entry, not one line per record")
	fl.IntVar(&o.data, "data", 32, "bytes of entry data to show with -entries")
	fl.Usage = func() {
		fmt.Fprintln(out, "usage: raftkv-dump [-entries] [-data N] DIR")
		fmt.Fprintln(out, "DIR is a member data directory (with member/wal, member/snap) or a WAL directory.")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return fmt.Errorf("want one directory, got %d arguments", fl.NArg())
	}
	return dump(fl.Arg(0), o, out)
}
