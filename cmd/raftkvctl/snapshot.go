package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/raftkv/raftkv/client"
)

func snapshotCommand() *command {
	return &command{
		name:  "snapshot",
		short: "Manages raftkv node snapshots",
		long: `Saves a copy of one member's state (its key-value store and the membership, as
in the snapshots raft takes), streamed by the member. raftkvutl snapshot status
checks a saved file; raftkvutl snapshot restore starts a new cluster from it.`,
		example: "raftkvctl --endpoints=127.0.0.1:2379 snapshot save backup.db",
		subs:    []*command{snapshotSaveCommand()},
	}
}

func snapshotSaveCommand() *command {
	return &command{
		name:  "save",
		args:  "<filename>",
		short: "Stores a raftkv node backend snapshot to a given file",
		long: `Stores one member's snapshot in a file. It must be asked of one member, so
--endpoints must name exactly one. The member streams the snapshot in chunks that
count down the bytes still to come, then the SHA-256 of them all; the file is the
snapshot followed by that digest. The save fails (exit 5) if the stream ends early
or the digest does not match. The file is written as <filename>.part, synced, then
renamed: a failed or interrupted save never leaves a truncated <filename>.

Without an explicit --command-timeout, the save has no time limit.`,
		example: "raftkvctl --endpoints=127.0.0.1:2379 snapshot save backup.db",
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				if len(args) != 1 {
					return usagef("snapshot save expects one argument")
				}
				if eps := *e.g.endpoints; len(eps) != 1 {
					return withCode(exitInterrupted, fmt.Errorf("snapshot must be requested to one selected node, not multiple %v", eps))
				}
				c, err := e.client()
				if err != nil {
					return err
				}
				ctx, cancel := context.WithCancel(e.ctx)
				if e.globalDefs.Changed("command-timeout") {
					ctx, cancel = e.commandCtx()
				}
				defer cancel()
				path := args[0]
				version, err := saveSnapshot(ctx, c.Snapshot, path)
				if err != nil {
					return withCode(exitInterrupted, err)
				}
				if err := e.printf("Snapshot saved at %s\n", path); err != nil || version == "" {
					return err
				}
				return e.printf("Server version %s\n", version)
			}
		},
	}
}

// saveSnapshot streams a snapshot into path.part, syncs it and renames it to
// path, so that path is either the whole snapshot or not there. The reader
// (client.Snapshot) checks the stream is whole and its digest matches: it
// ends in an error otherwise, and the part file is removed. It returns the
// member's storage version, as the stream said.
func saveSnapshot(ctx context.Context, open func(context.Context) (*client.SnapshotReader, error), path string) (version string, err error) {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return "", fmt.Errorf("could not open %s (%w)", part, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(part)
		}
	}()
	rd, err := open(ctx)
	if err != nil {
		return "", err
	}
	defer rd.Close()
	if _, err := io.Copy(f, rd); err != nil {
		return "", fmt.Errorf("receiving the snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(part, path); err != nil {
		return "", fmt.Errorf("could not rename %s to %s (%w)", part, path, err)
	}
	return rd.Version(), nil
}
