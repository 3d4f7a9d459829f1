package main

import "fmt"

const (
	// version is raftkv's version; it is server.Version (a test checks),
	// repeated here because the CLI depends only on the client.
	version = "0.1.0"
	// apiVersion is the version of etcd's API that raftkv speaks: the
	// transcripts its JSON and this CLI's output are checked against were
	// taken from etcd 3.7.
	apiVersion = "3.7"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		short:   "Prints the version of raftkvctl",
		long:    "Prints the version of raftkvctl and of the etcd API it speaks.",
		example: "raftkvctl version",
		noEnv:   true,
		setup: func(fs *flagSet) runFunc {
			return func(e *env, args []string) error {
				fmt.Fprintln(e.stdout, "raftkvctl version:", version)
				fmt.Fprintln(e.stdout, "API version:", apiVersion)
				return nil
			}
		},
	}
}
