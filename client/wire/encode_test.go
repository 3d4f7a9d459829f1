package wire

import "testing"

// Requests as the client writes them: the oneof member of a Compare is
// written even when zero, as protojson does, since its presence says which
// value is compared; other zero fields are left out.
func TestEncodeRequests(t *testing.T) {
	tests := []struct {
		msg  Message
		want string
	}{
		{&TxnRequest{Compare: []Compare{{Target: CompareCreate, Key: []byte("newkey")}},
			Success: []RequestOp{{RequestPut: &PutRequest{Key: []byte("newkey"), Value: []byte("created")}}}},
			`{"compare":[{"target":"CREATE","key":"bmV3a2V5","create_revision":"0"}],"success":[{"request_put":{"key":"bmV3a2V5","value":"Y3JlYXRlZA=="}}]}`},
		{&Compare{Target: CompareValue, Result: CompareNotEqual, Key: []byte("k")}, `{"result":"NOT_EQUAL","target":"VALUE","key":"aw==","value":""}`},
		{&RangeRequest{Key: []byte("/demo/"), RangeEnd: []byte("/demo0"), SortOrder: SortDescend, SortTarget: SortByKey, Limit: 2},
			`{"key":"L2RlbW8v","range_end":"L2RlbW8w","limit":"2","sort_order":"DESCEND"}`},
		{&WatchRequest{CreateRequest: &WatchCreateRequest{Key: []byte("/wf/"), Filters: []FilterType{FilterNoDelete}, ProgressNotify: true}},
			`{"create_request":{"key":"L3dmLw==","progress_notify":true,"filters":["NODELETE"]}}`},
		{&WatchRequest{ProgressRequest: &Empty{}}, `{"progress_request":{}}`},
		{&LeaseGrantRequest{TTL: 60}, `{"TTL":"60"}`},
		{&MemberAddRequest{PeerURLs: []string{"http://127.0.0.1:22400"}, IsLearner: true}, `{"peerURLs":["http://127.0.0.1:22400"],"isLearner":true}`},
		{&Error{Code: InvalidArgument, Message: `proto: (line 1:8): invalid value for bytes field key: "foo!"`},
			`{"code":3,"message":"proto: (line 1:8): invalid value for bytes field key: \"foo!\""}`},
		{&Member{Name: "a<b>&\u2028\x01"}, "{\"name\":\"a<b>&\u2028\\u0001\"}"},
		{&Member{Name: "bad\xffutf8"}, "{\"name\":\"bad\ufffdutf8\"}"},
		{&RangeRequest{SortOrder: 7}, `{"sort_order":7}`},
	}
	for _, tt := range tests {
		if got := string(Marshal(tt.msg)); got != tt.want {
			t.Errorf("Marshal(%#v):\n got %s\nwant %s", tt.msg, got, tt.want)
		}
	}
}

func TestStreamFraming(t *testing.T) {
	got := string(AppendStreamError(AppendStreamResult(nil, &LeaseKeepAliveResponse{ID: 1, TTL: 30}), ErrNoLeader))
	want := "{\"result\":{\"ID\":\"1\",\"TTL\":\"30\"}}\n{\"error\":{\"code\":14,\"message\":\"etcdserver: no leader\"}}\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
