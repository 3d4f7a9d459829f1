package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Every bad input gets etcd's error and status, and the cluster goes on
// serving everyone else.
func TestGateway_BadInputGetsEtcdsErrorAndClusterKeepsServing(t *testing.T) {
	c := startLiveCluster(t, 3, func(cfg *Config) { cfg.MaxRequestBytes = 64 << 10 })
	c.post(0, "/v3/kv/put", `{"key":"Zm9v","value":"YmFy"}`)
	c.post(0, "/v3/kv/put", `{"key":"Zm9v","value":"YmF6"}`)
	if status, body := c.post(0, "/v3/kv/compaction", `{"revision":3}`); status != 200 {
		t.Fatalf("compaction: %d %s", status, body)
	}
	manyOps := strings.Repeat(`{"request_put":{"key":"YQ==","value":"YQ=="}},`, 129)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"malformed JSON", "POST", "/v3/kv/put", `{"key":"Zm9v"`, 400, `{"code":3,"message":"unexpected EOF"}`},
		{"not JSON at all", "POST", "/v3/kv/range", `key=foo`, 400, `"code":3`},
		{"missing key", "POST", "/v3/kv/put", `{"value":"YmFy"}`, 400, `{"code":3,"message":"etcdserver: key is not provided"}`},
		{"empty key in range", "POST", "/v3/kv/range", `{}`, 400, `{"code":3,"message":"etcdserver: key is not provided"}`},
		{"invalid base64", "POST", "/v3/kv/put", `{"key":"foo!"}`, 400, `{"code":3,"message":"proto: (line 1:8): invalid value for bytes field key: \"foo!\""}`},
		{"too large", "POST", "/v3/kv/put", `{"key":"Zm9v","value":"` + strings.Repeat("QUFB", 30<<10) + `"}`, 400, `{"code":3,"message":"etcdserver: request is too large"}`},
		{"compacted revision", "POST", "/v3/kv/range", `{"key":"Zm9v","revision":2}`, 400, `{"code":11,"message":"etcdserver: mvcc: required revision has been compacted"}`},
		{"future revision", "POST", "/v3/kv/range", `{"key":"Zm9v","revision":1000}`, 400, `{"code":11,"message":"etcdserver: mvcc: required revision is a future revision"}`},
		{"unknown lease", "POST", "/v3/kv/put", `{"key":"Zm9v","value":"YmFy","lease":"12345"}`, 404, `{"code":5,"message":"etcdserver: requested lease not found"}`},
		{"too many txn ops", "POST", "/v3/kv/txn", `{"success":[` + strings.TrimSuffix(manyOps, ",") + `]}`, 400, `{"code":3,"message":"etcdserver: too many operations in txn request"}`},
		{"duplicate key in txn", "POST", "/v3/kv/txn", `{"success":[{"request_put":{"key":"YQ==","value":"YQ=="}},{"request_put":{"key":"YQ==","value":"Yg=="}}]}`, 400, `{"code":3,"message":"etcdserver: duplicate key given in txn request"}`},
		{"unknown /v3 path", "POST", "/v3/kv/nope", `{}`, 404, `{"code":5,"message":"Not Found"}`},
		{"unknown path", "GET", "/nope", ``, 404, `404 page not found`},
		{"wrong method", "GET", "/v3/kv/range", ``, 501, `{"code":12,"message":"Method Not Allowed"}`},
		{"revoke unknown lease", "POST", "/v3/lease/revoke", `{"ID":"999"}`, 404, `{"code":5,"message":"etcdserver: requested lease not found"}`},
		{"promote a non-member", "POST", "/v3/cluster/member/promote", `{"ID":"42"}`, 404, `{"code":5,"message":"etcdserver: member not found"}`},
		{"remove a non-member", "POST", "/v3/cluster/member/remove", `{"ID":"42"}`, 404, `{"code":5,"message":"etcdserver: member not found"}`},
	} {
		req, _ := http.NewRequest(tc.method, c.url(1)+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, resp.StatusCode, b, tc.status, tc.want)
		}
	}
	// The cluster still serves.
	if status, body := c.post(2, "/v3/kv/put", `{"key":"YWZ0ZXI=","value":"b2s="}`); status != 200 {
		t.Fatalf("put after bad inputs: %d %s", status, body)
	}
	if _, body := c.post(0, "/v3/kv/range", `{"key":"YWZ0ZXI="}`); !strings.Contains(body, `"value":"b2s="`) {
		t.Fatalf("range after bad inputs: %s", body)
	}
}

// A client that sends its request slowly (or stops halfway) ties up only its
// own connection.
func TestGateway_SlowClientDoesNotBlockOthers(t *testing.T) {
	c := startLiveCluster(t, 1, nil)
	addr := strings.TrimPrefix(c.url(0), "http://")
	var slow []net.Conn
	for range 20 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		slow = append(slow, conn)
		fmt.Fprintf(conn, "POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"key\":")
	}
	defer func() {
		for _, conn := range slow {
			conn.Close()
		}
	}()
	done := make(chan int, 1)
	go func() {
		status, _ := c.post(0, "/v3/kv/put", `{"key":"Zm9v","value":"YmFy"}`)
		done <- status
	}()
	select {
	case status := <-done:
		if status != 200 {
			t.Fatalf("put beside slow clients: %d", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("slow clients blocked a normal request")
	}
}
