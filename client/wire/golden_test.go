package wire

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The golden test walks the whole etcd transcript (a verbatim copy of
// shared/reference/etcd-json-gateway.md) and, for every response etcd gave,
// decodes the body into our type and encodes it again: the bytes must be
// etcd's bytes. Every request body in it must decode without error.

// exchange is one curl call of the transcript.
type exchange struct {
	title   string
	method  string
	path    string
	reqBody string
	status  int
	body    []string // the body's lines (several for a stream)
}

func readTranscript(t *testing.T, path string) []exchange {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []exchange
	var title string
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "#### ") {
			title = strings.TrimPrefix(line, "#### ")
			continue
		}
		if !strings.HasPrefix(line, "$ curl ") {
			continue
		}
		// The command may continue over several lines while a quoted -d
		// body is open (the multi-request watch).
		cmd := line
		for strings.Count(cmd, "'")%2 == 1 && i+1 < len(lines) {
			i++
			cmd += "\n" + lines[i]
		}
		ex := exchange{title: title, method: "GET"}
		fields := strings.Fields(cmd)
		for j, f := range fields {
			if f == "-X" {
				ex.method = fields[j+1]
			}
			if strings.HasPrefix(f, "http://") {
				rest := f[strings.Index(f[len("http://"):], "/")+len("http://"):]
				ex.path = strings.SplitN(rest, "?", 2)[0]
			}
		}
		if k := strings.Index(cmd, " -d '"); k >= 0 {
			body := cmd[k+len(" -d '"):]
			ex.reqBody = body[:strings.LastIndex(body, "'")]
		}
		// Status line, headers up to a blank line, then the body.
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "HTTP/1.1 "); i++ {
		}
		if i >= len(lines) {
			break
		}
		ex.status, _ = strconv.Atoi(strings.Fields(lines[i])[1])
		for i++; i < len(lines) && lines[i] != ""; i++ {
		}
		for i++; i < len(lines); i++ {
			l := lines[i]
			if l == "```" || strings.HasPrefix(l, "[curl exit") || l == "" {
				break
			}
			ex.body = append(ex.body, l)
		}
		out = append(out, ex)
	}
	return out
}

// messagesFor returns a new request and a new response value for a path.
func messagesFor(path string) (req, resp func() Message, stream bool) {
	path = strings.TrimPrefix(path, "/v3")
	switch path {
	case "/kv/range":
		return func() Message { return new(RangeRequest) }, func() Message { return new(RangeResponse) }, false
	case "/kv/put":
		return func() Message { return new(PutRequest) }, func() Message { return new(PutResponse) }, false
	case "/kv/deleterange":
		return func() Message { return new(DeleteRangeRequest) }, func() Message { return new(DeleteRangeResponse) }, false
	case "/kv/txn":
		return func() Message { return new(TxnRequest) }, func() Message { return new(TxnResponse) }, false
	case "/kv/compaction":
		return func() Message { return new(CompactionRequest) }, func() Message { return new(CompactionResponse) }, false
	case "/watch":
		return func() Message { return new(WatchRequest) }, func() Message { return new(WatchResponse) }, true
	case "/lease/grant":
		return func() Message { return new(LeaseGrantRequest) }, func() Message { return new(LeaseGrantResponse) }, false
	case "/lease/revoke", "/kv/lease/revoke":
		return func() Message { return new(LeaseRevokeRequest) }, func() Message { return new(LeaseRevokeResponse) }, false
	case "/lease/keepalive":
		return func() Message { return new(LeaseKeepAliveRequest) }, func() Message { return new(LeaseKeepAliveResponse) }, true
	case "/lease/timetolive", "/kv/lease/timetolive":
		return func() Message { return new(LeaseTimeToLiveRequest) }, func() Message { return new(LeaseTimeToLiveResponse) }, false
	case "/lease/leases":
		return func() Message { return new(LeaseLeasesRequest) }, func() Message { return new(LeaseLeasesResponse) }, false
	case "/cluster/member/list":
		return func() Message { return new(MemberListRequest) }, func() Message { return new(MemberListResponse) }, false
	case "/maintenance/status":
		return func() Message { return new(StatusRequest) }, func() Message { return new(StatusResponse) }, false
	case "/maintenance/alarm":
		return func() Message { return new(AlarmRequest) }, func() Message { return new(AlarmResponse) }, false
	case "/maintenance/hash":
		return func() Message { return new(HashRequest) }, func() Message { return new(HashResponse) }, false
	case "/maintenance/hashkv":
		return func() Message { return new(HashKVRequest) }, func() Message { return new(HashKVResponse) }, false
	case "/version":
		return nil, func() Message { return new(Version) }, false
	case "/health":
		return nil, func() Message { return new(Health) }, false
	}
	return nil, nil, false
}

func TestGoldenTranscript(t *testing.T) {
	exchanges := readTranscript(t, "testdata/etcd-json-gateway.md")
	if len(exchanges) < 60 {
		t.Fatalf("parsed only %d exchanges from the transcript; the parser is broken", len(exchanges))
	}
	checked := 0
	for _, ex := range exchanges {
		newReq, newResp, stream := messagesFor(ex.path)
		if newResp == nil {
			continue // /livez, /readyz, /metrics: plain text
		}
		checked++
		t.Run(ex.title, func(t *testing.T) {
			if newReq != nil {
				checkRequestBody(t, ex.reqBody, newReq, stream)
			}
			if ex.status != 200 {
				checkErrorBody(t, ex)
				return
			}
			for _, line := range ex.body {
				var m Message
				var got []byte
				if stream {
					m = newResp()
					sd := NewStreamDecoder(strings.NewReader(line + "\n"))
					if err := sd.DecodeResult(m); err != nil {
						t.Fatalf("decode %s: %v", line, err)
					}
					got = AppendStreamResult(nil, m)
					got = got[:len(got)-1] // the line without its \n
				} else {
					m = newResp()
					if err := Unmarshal([]byte(line), m); err != nil {
						t.Fatalf("decode %s: %v", line, err)
					}
					got = Marshal(m)
				}
				if string(got) != line {
					t.Errorf("re-encoded body differs from etcd's:\netcd: %s\nours: %s", line, got)
				}
			}
		})
	}
	if checked < 55 {
		t.Errorf("checked %d exchanges, expected the whole transcript", checked)
	}
}

func checkRequestBody(t *testing.T, body string, newReq func() Message, stream bool) {
	t.Helper()
	if !stream {
		if err := Unmarshal([]byte(body), newReq()); err != nil {
			t.Errorf("request body %s: %v", body, err)
		}
		return
	}
	sd := NewStreamDecoder(strings.NewReader(body))
	n := 0
	for {
		err := sd.Decode(newReq())
		if err != nil {
			if err.Error() != "EOF" {
				t.Errorf("request stream %q: %v", body, err)
			}
			break
		}
		n++
	}
	if n == 0 && strings.TrimSpace(body) != "" {
		t.Errorf("request stream %q: no request decoded", body)
	}
}

func checkErrorBody(t *testing.T, ex exchange) {
	t.Helper()
	if len(ex.body) != 1 {
		t.Fatalf("error body: %q", ex.body)
	}
	var e Error
	if err := Unmarshal([]byte(ex.body[0]), &e); err != nil {
		t.Fatal(err)
	}
	if got := string(Marshal(&e)); got != ex.body[0] {
		t.Errorf("error body differs:\netcd: %s\nours: %s", ex.body[0], got)
	}
	if e.HTTPStatus() != ex.status {
		t.Errorf("code %d maps to HTTP %d, etcd answered %d", e.Code, e.HTTPStatus(), ex.status)
	}
}

// The streaming transcripts also show each stream's exact bytes; decode them
// as a stream and check that re-encoding gives the same bytes, framing and all.
func TestGoldenStreamFraming(t *testing.T) {
	data, err := os.ReadFile("testdata/etcd-json-gateway.md")
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, `'{"result"`) {
			continue
		}
		raw := strings.ReplaceAll(strings.Trim(line, "'"), `\n`, "\n")
		sd := NewStreamDecoder(strings.NewReader(raw))
		var out []byte
		for {
			var m WatchResponse
			if err := sd.DecodeResult(&m); err != nil {
				if err.Error() != "EOF" {
					t.Fatal(err)
				}
				break
			}
			out = AppendStreamResult(out, &m)
		}
		if string(out) != raw {
			t.Errorf("stream differs:\netcd: %q\nours: %q", raw, out)
		}
		n++
	}
	if n != 5 {
		t.Errorf("found %d stream byte dumps, want 5", n)
	}
}
