package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/protobuf/proto"

	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/kv"
)

// The JSON gateway's edges, where etcd v3.7.3's answers were compared with
// raftkv's byte for byte: request limits, bad input, methods, watch
// requests that open no watch.

// lineStream reads a streamed answer (/v3/watch, /v3/lease/keepalive) line
// by line as it arrives.
type lineStream struct {
	lines  chan string
	cancel context.CancelFunc
	status int
}

func openStream(t *testing.T, url, body string) *lineStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	s := &lineStream{lines: make(chan string, 100), cancel: cancel, status: resp.StatusCode}
	go func() {
		defer close(s.lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 8<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	return s
}

// next returns the next line, or "" if the stream ended; it fails the test
// if none comes within a few seconds.
func (s *lineStream) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-s.lines:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("no line on the stream within 10 s")
		return ""
	}
}

func b64s(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestGateway_RequestLimitsAreEtcds(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	max := c.cfgs[0].MaxRequestBytes
	grpcLimit := max + 512*1024
	put := func(value int) (int, string) {
		return c.post(0, "/v3/kv/put", fmt.Sprintf(`{"key":"%s","value":"%s"}`, b64s("k"), base64.StdEncoding.EncodeToString(make([]byte, value))))
	}
	// The largest value etcd takes: its log entry (whose header holds a
	// request ID of 8 to 10 bytes) within --max-request-bytes.
	entry := func(value int) int {
		return (&kv.Request{Put: &kv.PutRequest{Key: []byte("k"), Value: make([]byte, value)}}).EtcdSize(1<<63, "", 0)
	}
	fits := max - 64
	for entry(fits+1) <= max-2 {
		fits++
	}
	status, body := put(fits)
	require.Equal(t, 200, status, "a put whose entry is within --max-request-bytes: %s", body)
	status, body = put(fits + 4)
	require.Equal(t, 400, status)
	require.JSONEq(t, `{"code":3,"message":"etcdserver: request is too large"}`, body)

	// Over the gRPC receive limit: etcd's gRPC server refuses it unread,
	// measuring the message as protobuf.
	big := grpcLimit + 1000
	status, body = put(big)
	require.Equal(t, 429, status, body)
	n := proto.Size(&pb.PutRequest{Key: []byte("k"), Value: make([]byte, big)})
	require.JSONEq(t, fmt.Sprintf(`{"code":8,"message":"grpc: received message larger than max (%d vs. %d)"}`, n, grpcLimit), body)

	// A range is not a proposal: only the gRPC limit applies to it.
	status, body = c.post(0, "/v3/kv/range", fmt.Sprintf(`{"key":"%s"}`, base64.StdEncoding.EncodeToString(make([]byte, max+10))))
	require.Equal(t, 200, status, body)

	// Every line of a stream meets the gRPC limit: a watch line over it
	// ends the stream with gRPC's error (a watch body used to be read
	// without any bound).
	w := openStream(t, c.url(0)+"/v3/watch", fmt.Sprintf(`{"create_request":{"key":"%s"}}`+"\n"+`{"create_request":{"key":"%s"}}`,
		b64s("a"), base64.StdEncoding.EncodeToString(make([]byte, big))))
	require.Contains(t, w.next(t), `"created":true`)
	n = proto.Size(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: make([]byte, big)}}})
	require.Equal(t, fmt.Sprintf(`{"error":{"code":8,"message":"grpc: received message larger than max (%d vs. %d)"}}`, n, grpcLimit), w.next(t))
	require.Equal(t, "", w.next(t), "the stream should end after the error")

	// A line far past what the gateway reads is refused unread.
	huge := strings.Repeat("A", 8<<20)
	ka := openStream(t, c.url(0)+"/v3/lease/keepalive", `{"ID":"1","x":"`+huge+`"}`)
	require.Equal(t, 429, ka.status)
	require.Contains(t, ka.next(t), `"code":8,"message":"grpc: received message larger than max (`)
}

func TestGateway_BadJSONIsRefusedInEtcdsWords(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	for body, want := range map[string]string{
		`{"key":`:                            `unexpected EOF`,
		`{"key" "YQ=="}`:                     `invalid character '"' after object key`,
		`[1,2]`:                              `proto: syntax error (line 1:1): unexpected token [`,
		`{"x":` + strings.Repeat("[", 20000): `invalid character '[' exceeded max depth`,
	} {
		status, got := c.post(0, "/v3/kv/put", body)
		require.Equal(t, 400, status)
		var e struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal([]byte(got), &e))
		require.Equal(t, 3, e.Code)
		require.Equal(t, want, e.Message, "body %.40q", body)
	}
}

func TestGateway_PlainEndpointsAnswerOnlyGET(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	for _, path := range []string{"/health", "/version", "/livez", "/readyz"} {
		resp, err := http.Post(c.url(0)+path, "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 405, resp.StatusCode, path)
		require.Equal(t, "Method Not Allowed\n", string(body), path)
		require.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"), path)
		require.Equal(t, "GET", resp.Header.Get("Allow"), path)
	}
	for _, path := range []string{"/livez", "/readyz"} {
		resp, err := http.Get(c.url(0) + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, path)
		require.Equal(t, "ok\n", string(body), path)
	}
}

// Create requests that open no watch get etcd's answer: one response,
// created and canceled at once, watch ID -1, and etcd's reason.
func TestGateway_WatchRequestsThatOpenNoWatch(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	refusal := func(line string) (id, reason string) {
		var m struct {
			Result struct {
				WatchID      string `json:"watch_id"`
				Created      bool   `json:"created"`
				Canceled     bool   `json:"canceled"`
				CancelReason string `json:"cancel_reason"`
			} `json:"result"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		require.True(t, m.Result.Created && m.Result.Canceled, line)
		return m.Result.WatchID, m.Result.CancelReason
	}
	create := func(fields string) string { return `{"create_request":{` + fields + `}}` + "\n" }

	// An empty range: range_end at or before key (other than "\0").
	w := openStream(t, c.url(0)+"/v3/watch", create(`"key":"`+b64s("b")+`","range_end":"`+b64s("a")+`"`))
	id, reason := refusal(w.next(t))
	require.Equal(t, "-1", id)
	require.Equal(t, "mvcc: watcher range is empty", reason)

	// A negative start revision.
	w = openStream(t, c.url(0)+"/v3/watch", create(`"key":"`+b64s("a")+`","start_revision":"-1"`))
	id, reason = refusal(w.next(t))
	require.Equal(t, "-1", id)
	require.Equal(t, "etcdserver: mvcc: required revision has been compacted", reason)

	// A watch ID the client chose twice; then IDs the stream picks skip
	// the ones taken, counting up from 0 as etcd does.
	w = openStream(t, c.url(0)+"/v3/watch", create(`"key":"`+b64s("a")+`","watch_id":"1"`)+
		create(`"key":"`+b64s("b")+`","watch_id":"1"`)+create(`"key":"`+b64s("c")+`"`)+create(`"key":"`+b64s("d")+`"`))
	require.Contains(t, w.next(t), `"watch_id":"1","created":true}`)
	id, reason = refusal(w.next(t))
	require.Equal(t, "-1", id)
	require.Equal(t, "mvcc: duplicate watch ID provided on the WatchStream", reason)
	require.Contains(t, w.next(t), `},"created":true}`, "the first ID picked is 0 (left out of the JSON)")
	require.Contains(t, w.next(t), `"watch_id":"2","created":true}`, "1 is taken: the next is 2")
}

// A watch from a compacted revision is canceled with the compaction's
// revision, so the client knows to read again; from the compaction's own
// revision on, the history is there.
func TestGateway_WatchFromACompactedRevision(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	var rev int64
	for i := range 5 {
		_, body := c.post(0, "/v3/kv/put", fmt.Sprintf(`{"key":"%s","value":"%s"}`, b64s("k"), b64s(fmt.Sprint(i))))
		var r struct {
			Header struct {
				Revision int64 `json:"revision,string"`
			} `json:"header"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &r))
		rev = r.Header.Revision
	}
	compactAt := rev - 2
	status, body := c.post(0, "/v3/kv/compaction", fmt.Sprintf(`{"revision":%d}`, compactAt))
	require.Equal(t, 200, status, body)

	w := openStream(t, c.url(0)+"/v3/watch", fmt.Sprintf(`{"create_request":{"key":"%s","start_revision":%d}}`, b64s("k"), compactAt-1))
	require.Contains(t, w.next(t), `"created":true`)
	canceled := w.next(t)
	require.Contains(t, canceled, fmt.Sprintf(`"canceled":true,"compact_revision":"%d"`, compactAt))
	require.NotContains(t, canceled, `"revision"`, "etcd's compacted cancel has no revision in its header")

	w = openStream(t, c.url(0)+"/v3/watch", fmt.Sprintf(`{"create_request":{"key":"%s","start_revision":%d}}`, b64s("k"), compactAt))
	require.Contains(t, w.next(t), `"created":true`)
	require.Contains(t, w.next(t), fmt.Sprintf(`"mod_revision":"%d"`, compactAt))
}

// A malformed line ends the reading of watch requests, as in etcd's
// gateway, but not the stream: the watches it has go on.
func TestGateway_AMalformedWatchLineKeepsTheStream(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	w := openStream(t, c.url(0)+"/v3/watch", `{"create_request":{"key":"`+b64s("a")+`"}}`+"\n{bad\n"+`{"create_request":{"key":"`+b64s("b")+`"}}`)
	require.Contains(t, w.next(t), `"created":true`)
	status, body := c.post(0, "/v3/kv/put", `{"key":"`+b64s("a")+`","value":"`+b64s("1")+`"}`)
	require.Equal(t, 200, status, body)
	line := w.next(t)
	require.Contains(t, line, `"events":[{"kv":{"key":"`+b64s("a")+`"`, "the watch created before the bad line goes on")
}

// The debug endpoints carry no CORS headers (so no other web page can read
// them), unlike every gateway path; /debug/control wants a loopback Host
// and its own header besides a loopback client.
func TestDebug_NoCORSAndTheControlsGuards(t *testing.T) {
	c := startLiveCluster(t, 1, func(cfg *Config) { cfg.ExperimentalDebugControls = true })
	c.waitLeader()
	get := func(path string) *http.Response {
		resp, err := http.Get(c.url(0) + path)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	require.Equal(t, "*", get("/version").Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "*", get("/nowhere").Header.Get("Access-Control-Allow-Origin"), "etcd's CORS headers are on every other path, even a 404")
	for _, path := range []string{"/debug/raft", "/debug/vars", "/ui"} {
		require.Empty(t, get(path).Header.Get("Access-Control-Allow-Origin"), path)
	}

	control := func(host string, header bool) int {
		req, err := http.NewRequest(http.MethodPost, c.url(0)+"/debug/control", strings.NewReader(`{"action":"resume"}`))
		require.NoError(t, err)
		if host != "" {
			req.Host = host
		}
		if header {
			req.Header.Set(DebugControlHeader, "1")
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusForbidden, control("", false), "without the header")
	require.Equal(t, http.StatusForbidden, control("attacker.example:2379", true), "a rebound host name")
	require.Equal(t, http.StatusNoContent, control("", true))
	require.Equal(t, http.StatusNoContent, control("localhost:2379", true))
}

// A watch stream's requests keep coming after its first answers have gone
// out. net/http, unless told the exchange is full duplex, discards up to
// 256 KiB of a request body that is still unread when the response starts:
// a watch created behind a large one was lost, or read from a cut line.
func TestGateway_AWatchBodyIsReadWholeAfterTheFirstAnswer(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	c.waitLeader()
	bigKey := strings.Repeat("k", 400<<10)
	w := openStream(t, c.url(0)+"/v3/watch",
		`{"create_request":{"key":"`+b64s("a")+`"}}`+"\n"+
			`{"create_request":{"key":"`+b64s(bigKey)+`"}}`+"\n"+
			`{"create_request":{"key":"`+b64s("b")+`"}}`)
	for i := range 3 {
		require.Contains(t, w.next(t), `"created":true`, "watch %d", i)
	}
	for _, key := range []string{bigKey, "b"} {
		status, body := c.post(0, "/v3/kv/put", `{"key":"`+b64s(key)+`","value":"`+b64s("v")+`"}`)
		require.Equal(t, 200, status, body)
		require.Contains(t, w.next(t), `"key":"`+b64s(key)+`"`, "an event for the watch on a key of %d bytes", len(key))
	}
}

func newJSONRequest(url, body string) (*http.Request, error) {
	return http.NewRequest(http.MethodPost, url, strings.NewReader(body))
}

func doJSON(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An idle keep-alive connection is closed after the idle timeout.
func TestServer_IdleConnectionsAreClosed(t *testing.T) {
	c := startLiveCluster(t, 1, func(cfg *Config) { cfg.IdleTimeout = 300 * time.Millisecond })
	c.waitLeader()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.url(0), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = conn.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the server should close the idle connection")
}

// TLS flags on plain http:// URLs do not apply there: the member says so
// at start, in etcd's words, instead of ignoring them silently.
func TestServer_ClientCertAuthOnPlainURLsIsSaid(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem") // never read: the URLs are plain
	c := startLiveCluster(t, 1, func(cfg *Config) { cfg.ClientTLS.ClientCertAuth, cfg.ClientTLS.TrustedCAFile = true, ca })
	c.waitLeader()
	require.Contains(t, c.logs[0].String(), "scheme is http or unix while --client-cert-auth is enabled; ignored client cert auth for this URL")
}

// --max-concurrent-streams bounds the streams of one gRPC connection: a
// stream past the bound waits until another ends.
func TestGRPC_StreamsPerConnectionAreBounded(t *testing.T) {
	c := startLiveCluster(t, 1, func(cfg *Config) { cfg.MaxConcurrentStreams = 2 })
	c.waitLeader()
	conn := c.dialGRPC(0)
	open := func(ctx context.Context) (pb.Watch_WatchClient, error) {
		w, err := pb.NewWatchClient(conn).Watch(ctx)
		if err != nil {
			return nil, err
		}
		if err := w.Send(&pb.WatchRequest{RequestUnion: &pb.WatchRequest_CreateRequest{CreateRequest: &pb.WatchCreateRequest{Key: []byte("k")}}}); err != nil {
			return nil, err
		}
		_, err = w.Recv()
		return w, err
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	_, err := open(ctx1)
	require.NoError(t, err)
	_, err = open(context.Background())
	require.NoError(t, err)
	third := make(chan error, 1)
	go func() { _, err := open(context.Background()); third <- err }()
	require.Never(t, func() bool { return len(third) > 0 }, 500*time.Millisecond, 20*time.Millisecond, "a third stream opened past the bound of 2")
	cancel1()
	require.Eventually(t, func() bool { return len(third) > 0 }, 10*time.Second, 20*time.Millisecond, "the third stream never opened after one ended")
	require.NoError(t, <-third)
}
