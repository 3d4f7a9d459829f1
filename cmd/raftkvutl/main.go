package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/raftkv/raftkv/internal/vfs"
	"github.com/raftkv/raftkv/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `raftkvutl works on raftkv's files offline (as etcdutl does for etcd).

Usage:
  raftkvutl snapshot restore <backup> [flags]   make a member's data directory of a new cluster from a backup
  raftkvutl snapshot status <backup> [-w simple|json|table]
  raftkvutl version

Run a command with --help for its flags.
`

// Exit codes are etcdutl's: 1 for an error, 128 for bad arguments.
const (
	exitError   = 1
	exitBadArgs = 128
)

func run(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) >= 2 && args[0] == "snapshot" && args[1] == "restore":
		return restore(args[2:], stdout, stderr)
	case len(args) >= 2 && args[0] == "snapshot" && args[1] == "status":
		return status(args[2:], stdout, stderr)
	case len(args) == 1 && args[0] == "version":
		fmt.Fprintf(stdout, "raftkvutl version: %s\n", server.Version)
		return 0
	case len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "Error: unknown command %q for \"raftkvutl\"\n\n%s", strings.Join(args, " "), usage)
	return exitBadArgs
}

// parse parses flags that may come before or after the one argument (the
// backup's path), as etcdutl's command line allows.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (string, int, bool) {
	fs.SetOutput(stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", 0, false
			}
			return "", exitBadArgs, false
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		fmt.Fprintf(stderr, "Error: %s expects one argument, the backup file (got %d)\n", fs.Name(), len(positional))
		return "", exitBadArgs, false
	}
	return positional[0], 0, true
}

func restore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("snapshot restore", flag.ContinueOnError)
	def := server.DefaultConfig()
	name := fs.String("name", def.Name, "human-readable name for this member")
	dataDir := fs.String("data-dir", "", "path to the data directory to create (default: <name>.raftkv)")
	initial := fs.String("initial-cluster", def.InitialCluster, "the new cluster's members, name=peerURL,...")
	token := fs.String("initial-cluster-token", def.InitialClusterToken, "the new cluster's token")
	peers := fs.String("initial-advertise-peer-urls", strings.Join(def.InitialAdvertisePeerURLs, ","), "this member's peer URLs")
	skipHashCheck := fs.Bool("skip-hash-check", false, "restore without checking the backup's SHA-256 (a backup without one)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: raftkvutl snapshot restore <backup> [flags]\n\n"+
			"Creates --data-dir for member --name of a new cluster holding the backup's keys. Run it for\n"+
			"every member with the same backup, --initial-cluster and --initial-cluster-token, then start\n"+
			"each member with the same flags (and --initial-cluster-state new).\n\n"+
			"Example:\n  raftkvutl snapshot restore backup.db --name m1 --data-dir data/m1 \\\n"+
			"    --initial-cluster m1=http://127.0.0.1:12380,m2=http://127.0.0.1:22380,m3=http://127.0.0.1:32380 \\\n"+
			"    --initial-advertise-peer-urls http://127.0.0.1:12380\n\nFlags:\n")
		fs.PrintDefaults()
	}
	path, code, ok := parse(fs, args, stderr)
	if !ok {
		return code
	}
	cfg := def
	cfg.Name, cfg.DataDir, cfg.InitialCluster, cfg.InitialClusterToken = *name, *dataDir, *initial, *token
	cfg.InitialAdvertisePeerURLs = strings.Split(*peers, ",")
	if cfg.DataDir == "" {
		cfg.DataDir = cfg.Name + ".raftkv"
	}
	if err := restoreBackup(path, cfg, server.RestoreOptions{SkipHashCheck: *skipHashCheck}, stdout); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return exitError
	}
	return 0
}

func restoreBackup(path string, cfg server.Config, opts server.RestoreOptions, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := server.RestoreSnapshot(vfs.OS(), f, cfg, opts)
	if err != nil {
		return err
	}
	keys := "keys"
	if res.Keys == 1 {
		keys = "key"
	}
	fmt.Fprintf(stdout, "restored %s (revision %d, %d %s, from cluster %x) to %s: member %x (%s) of new cluster %x\n",
		path, res.Revision, res.Keys, keys, res.OldClusterID, cfg.DataDir, res.MemberID, cfg.Name, res.ClusterID)
	return nil
}

func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("snapshot status", flag.ContinueOnError)
	format := fs.String("w", "simple", "output format: simple, json or table")
	fs.StringVar(format, "write-out", "simple", "output format: simple, json or table")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: raftkvutl snapshot status <backup> [-w simple|json|table]\n\n"+
			"Reads a backup whole (checking its SHA-256 and the store's checksum) and prints its hash,\n"+
			"revision, number of keys and size.\n\n"+
			"Example:\n  raftkvutl snapshot status backup.db -w table\n\nFlags:\n")
		fs.PrintDefaults()
	}
	path, code, ok := parse(fs, args, stderr)
	if !ok {
		return code
	}
	if *format != "simple" && *format != "json" && *format != "table" {
		fmt.Fprintf(stderr, "Error: unknown output format %q (simple, json or table)\n", *format)
		return exitBadArgs
	}
	if err := backupStatus(path, *format, stdout); err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return exitError
	}
	return 0
}

func backupStatus(path, format string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := server.ReadSnapshotStatus(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	printStatus(stdout, format, st)
	return nil
}
