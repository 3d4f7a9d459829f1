package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client"
	"github.com/raftkv/raftkv/client/wire"
	"github.com/raftkv/raftkv/server"
)

// A backup's whole journey, as an operator makes it, over real HTTP: a
// member holding several MiB (a backup once came out cut at its first MiB,
// and raftkvctl said "Snapshot saved"), the raftkvctl binary saving it,
// raftkvutl (this package's run) checking and restoring it, and a member
// started from the restored directory answering every key.
func TestBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds raftkvctl and writes several MiB through a real member")
	}
	f := newBackupFixture(t)

	t.Run("RoundTripOfAMultiMiBStore", func(t *testing.T) {
		backup := filepath.Join(t.TempDir(), "backup.db")
		f.save(t, f.srcURL, backup)

		info, err := os.Stat(backup)
		require.NoError(t, err)
		require.Greater(t, info.Size(), int64(4<<20), "the backup is smaller than the data it holds")
		var st struct {
			Hash      uint32 `json:"hash"`
			Revision  int64  `json:"revision"`
			TotalKey  int    `json:"totalKey"`
			TotalSize int64  `json:"totalSize"`
		}
		out := f.utl(t, "snapshot", "status", backup, "-w", "json")
		require.NoError(t, json.Unmarshal([]byte(out), &st), out)
		// etcd's "total size" is the database's, without the digest after it.
		require.Equal(t, info.Size()-32, st.TotalSize)
		require.Equal(t, f.rev, st.Revision)
		require.Equal(t, len(f.want), st.TotalKey)
		require.Equal(t, f.hash, st.Hash, "status hash is not the member's hashkv")

		dst := f.newMemberConfig(t, "r1", "restored")
		out = f.utl(t, restoreArgs(backup, dst)...)
		require.Contains(t, out, fmt.Sprintf("(revision %d, %d keys,", f.rev, len(f.want)))

		cli := f.start(t, dst)
		sameKeys(t, f.want, f.readAll(t, cli))
		h, err := cli.HashKV(context.Background(), dst.AdvertiseClientURLs[0], 0)
		require.NoError(t, err)
		require.Equal(t, f.hash, h.Hash, "the restored member's history differs from the source's")
	})

	// Whatever goes wrong on the way, snapshot save says so, exits 5 and
	// leaves no file behind that could be mistaken for a backup.
	t.Run("SaveFailsOnABadStream", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			edit streamEdit
			want string
		}{
			{"StreamEndsCleanlyAfterAFewChunks", func(i int, line []byte, last bool) ([]byte, bool) {
				return line, i < 5
			}, "snapshot stream ended early"},
			{"ConnectionDropsInsideAChunk", func(i int, line []byte, last bool) ([]byte, bool) {
				if i == 5 {
					return line[:len(line)/2], false
				}
				return line, true
			}, "receiving the snapshot"},
			{"AByteOfTheDataChanges", func(i int, line []byte, last bool) ([]byte, bool) {
				if i == 3 {
					return editChunk(t, line, func(m *wire.SnapshotResponse) { m.Blob[len(m.Blob)/2] ^= 0x40 }), true
				}
				return line, true
			}, "sha256 mismatch"},
			{"TheDigestIsMissing", func(i int, line []byte, last bool) ([]byte, bool) {
				if last {
					return nil, false
				}
				return line, true
			}, "snapshot stream ended early"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				proxy := snapshotProxy(t, f.srcURL, tc.edit)
				backup := filepath.Join(t.TempDir(), "backup.db")
				r := f.ctl(t, "--endpoints", proxy, "snapshot", "save", backup)
				require.Equal(t, 5, r.code, "exit code; stdout %q, stderr %q", r.stdout, r.stderr)
				require.Contains(t, r.stderr, tc.want)
				require.NotContains(t, r.stdout, "Snapshot saved")
				require.NoFileExists(t, backup)
				require.NoFileExists(t, backup+".part")
			})
		}
	})

	t.Run("StatusAndRestoreRefuseADamagedFile", func(t *testing.T) {
		dir := t.TempDir()
		good := filepath.Join(dir, "backup.db")
		f.save(t, f.srcURL, good)
		data, err := os.ReadFile(good)
		require.NoError(t, err)

		flipped := filepath.Join(dir, "flipped.db")
		damaged := bytes.Clone(data)
		damaged[len(damaged)/2] ^= 0x01
		require.NoError(t, os.WriteFile(flipped, damaged, 0o600))
		// Without its digest, as a backup saved before raftkv wrote one.
		bare := filepath.Join(dir, "bare.db")
		require.NoError(t, os.WriteFile(bare, data[:len(data)-32], 0o600))

		for _, file := range []string{flipped, bare} {
			errOut := f.utlFails(t, "snapshot", "status", file)
			require.Contains(t, errOut, "expected sha256")
			dst := f.newMemberConfig(t, "r1", "restored")
			errOut = f.utlFails(t, restoreArgs(file, dst)...)
			require.Contains(t, errOut, "expected sha256")
			require.NoDirExists(t, dst.DataDir)
		}
		// --skip-hash-check reads a backup without its digest; the store's
		// own checksum still catches the flipped byte.
		dst := f.newMemberConfig(t, "r1", "restored")
		f.utlFails(t, append(restoreArgs(flipped, dst), "--skip-hash-check")...)
		require.NoDirExists(t, dst.DataDir)
		out := f.utl(t, append(restoreArgs(bare, dst), "--skip-hash-check")...)
		require.Contains(t, out, fmt.Sprintf("(revision %d, %d keys,", f.rev, len(f.want)))
	})
}

func restoreArgs(backup string, dst server.Config) []string {
	return []string{"snapshot", "restore", backup, "--name", dst.Name, "--data-dir", dst.DataDir,
		"--initial-cluster", dst.InitialCluster, "--initial-cluster-token", dst.InitialClusterToken,
		"--initial-advertise-peer-urls", dst.InitialAdvertisePeerURLs[0]}
}

// backupFixture is a running member with several MiB of keys, and the
// raftkvctl binary to back it up.
type backupFixture struct {
	ctlPath string
	srcURL  string
	want    map[string]string // every key the member holds, and its value
	rev     int64             // the member's revision once written
	hash    uint32            // its hashkv
	used    map[int]bool      // ports handed out
}

func newBackupFixture(t *testing.T) *backupFixture {
	dir := t.TempDir()
	f := &backupFixture{ctlPath: filepath.Join(dir, "raftkvctl"), used: map[int]bool{}}
	out, err := exec.Command("go", "build", "-o", f.ctlPath, "github.com/raftkv/raftkv/cmd/raftkvctl").CombinedOutput()
	require.NoError(t, err, "go build raftkvctl: %s", out)

	src := f.newMemberConfig(t, "src", "backup-source")
	f.srcURL = src.AdvertiseClientURLs[0]
	cli := f.start(t, src)
	const seed = 12
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the store was filled with seed %d", seed)
		}
	})
	f.want = fill(t, cli, rand.New(rand.NewPCG(seed, seed)))
	ctx := context.Background()
	h, err := cli.HashKV(ctx, f.srcURL, 0)
	require.NoError(t, err)
	f.rev, f.hash = h.Header.Revision, h.Hash
	return f
}

// fill writes a store of about 9 MiB: 3000 keys of 2 KiB and three of 1 MiB,
// then overwrites some and deletes others, so that the backup has history
// to carry too. It returns what the store holds.
func fill(t *testing.T, cli *client.Client, rng *rand.Rand) map[string]string {
	ctx := context.Background()
	want := map[string]string{}
	value := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return string(b)
	}
	var ops []client.Op
	flush := func() {
		if len(ops) > 0 {
			_, err := cli.Txn(ctx).Then(ops...).Commit()
			require.NoError(t, err)
			ops = ops[:0]
		}
	}
	put := func(k, v string) {
		want[k] = v
		ops = append(ops, client.OpPut(k, v))
		if len(ops) == 100 { // under --max-txn-ops and --max-request-bytes
			flush()
		}
	}
	for i := range 3000 {
		put(fmt.Sprintf("k/%05d", i), value(2048))
	}
	for i, n := range rng.Perm(3000)[:200] { // distinct: a txn puts a key once
		put(fmt.Sprintf("k/%05d", n), value(100+i))
	}
	flush()
	for i := range 3 {
		k := fmt.Sprintf("big/%d", i)
		want[k] = value(1 << 20)
		_, err := cli.Put(ctx, k, want[k])
		require.NoError(t, err)
	}
	for range 100 {
		k := fmt.Sprintf("k/%05d", rng.IntN(3000))
		delete(want, k)
		_, err := cli.Delete(ctx, k)
		require.NoError(t, err)
	}
	return want
}

// newMemberConfig is a one-member cluster's configuration on free loopback
// ports, in a data directory of the test's own.
func (f *backupFixture) newMemberConfig(t *testing.T, name, token string) server.Config {
	cfg := server.DefaultConfig()
	cfg.Name, cfg.InitialClusterToken = name, token
	cfg.DataDir = filepath.Join(t.TempDir(), name+".data")
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", f.freePort(t))
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", f.freePort(t))
	cfg.ListenClientURLs, cfg.AdvertiseClientURLs = []string{clientURL}, []string{clientURL}
	cfg.ListenPeerURLs, cfg.InitialAdvertisePeerURLs = []string{peerURL}, []string{peerURL}
	cfg.InitialCluster = name + "=" + peerURL
	return cfg
}

// freePort returns a port free now, from below Linux's ephemeral range so
// that no outgoing connection takes it before the member binds it.
func (f *backupFixture) freePort(t *testing.T) int {
	for range 1000 {
		port := 20000 + rand.IntN(12000)
		if f.used[port] {
			continue
		}
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			ln.Close()
			f.used[port] = true
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// start runs a member until the test ends and returns a client of it, once
// it serves linearizable reads.
func (f *backupFixture) start(t *testing.T, cfg server.Config) *client.Client {
	srv, err := server.Start(cfg, nil)
	require.NoError(t, err, "start %s", cfg.Name)
	t.Cleanup(srv.Stop)
	cli, err := client.New(client.Config{Endpoints: cfg.AdvertiseClientURLs, RequestTimeout: 30 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { cli.Close() })
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := cli.Get(ctx, "any")
		return err == nil
	}, 30*time.Second, 20*time.Millisecond, "%s never served a read", cfg.Name)
	return cli
}

// readAll reads every key, a page at a time.
func (f *backupFixture) readAll(t *testing.T, cli *client.Client) map[string]string {
	got := map[string]string{}
	from := "\x00"
	for {
		resp, err := cli.Get(context.Background(), from, client.WithFromKey(), client.WithLimit(500))
		require.NoError(t, err)
		for _, kv := range resp.Kvs {
			got[string(kv.Key)] = string(kv.Value)
		}
		if !resp.More {
			return got
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// sameKeys compares two stores' keys and values, naming a few of the keys
// that differ rather than printing megabytes of values.
func sameKeys(t *testing.T, want, got map[string]string) {
	var wrong []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			wrong = append(wrong, k)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			wrong = append(wrong, k)
		}
	}
	if len(wrong) > 0 {
		slices.Sort(wrong)
		t.Fatalf("%d of %d keys are missing, extra or different in the restored member, among them %q", len(wrong), len(want), wrong[:min(len(wrong), 5)])
	}
}

type ctlResult struct {
	stdout, stderr string
	code           int
}

// ctl runs the raftkvctl binary.
func (f *backupFixture) ctl(t *testing.T, args ...string) ctlResult {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, f.ctlPath, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("raftkvctl %q: %v", args, err)
	}
	return ctlResult{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// save backs up the member at endpoint into path.
func (f *backupFixture) save(t *testing.T, endpoint, path string) {
	r := f.ctl(t, "--endpoints", endpoint, "snapshot", "save", path)
	require.Equal(t, ctlResult{stdout: "Snapshot saved at " + path + "\nServer version 3.7.0\n"}, r)
}

// utl runs raftkvutl, expects it to succeed, and returns its standard output.
func (f *backupFixture) utl(t *testing.T, args ...string) string {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	require.Equal(t, 0, code, "raftkvutl %q: stdout %q, stderr %q", args, out.String(), errOut.String())
	return out.String()
}

// utlFails runs raftkvutl, expects it to fail, and returns its standard error.
func (f *backupFixture) utlFails(t *testing.T, args ...string) string {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	require.Equal(t, exitError, code, "raftkvutl %q: stdout %q, stderr %q", args, out.String(), errOut.String())
	return errOut.String()
}

// streamEdit sees the snapshot stream one message (line) at a time: i counts
// from 0, last says no message follows. It returns what to pass on, and
// whether to go on; a cut line ends the connection without a proper end.
type streamEdit func(i int, line []byte, last bool) (out []byte, more bool)

// snapshotProxy serves the member's snapshot stream, edited, as a member
// that breaks down or a proxy that damages data would.
func snapshotProxy(t *testing.T, memberURL string, edit streamEdit) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := http.Post(memberURL+r.URL.Path, "application/json", r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		rd := bufio.NewReader(res.Body)
		line, err := rd.ReadBytes('\n')
		for i := 0; err == nil; i++ {
			next, nextErr := rd.ReadBytes('\n')
			out, more := edit(i, line, nextErr != nil)
			w.Write(out)
			w.(http.Flusher).Flush()
			if len(out) > 0 && out[len(out)-1] != '\n' {
				panic(http.ErrAbortHandler) // drop the connection mid-message
			}
			if !more {
				return
			}
			line, err = next, nextErr
		}
		if !errors.Is(err, io.EOF) {
			panic(http.ErrAbortHandler)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// editChunk changes one snapshot stream message.
func editChunk(t *testing.T, line []byte, change func(*wire.SnapshotResponse)) []byte {
	var m wire.SnapshotResponse
	require.NoError(t, wire.NewStreamDecoder(bytes.NewReader(line)).DecodeResult(&m))
	change(&m)
	return wire.AppendStreamResult(nil, &m)
}
