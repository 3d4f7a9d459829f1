package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/raftkv/raftkv/client/internal/fakeetcd"
	"github.com/raftkv/raftkv/client/wire"
)

// authGate plays etcd's authentication in front of a fake member: it hands
// out tokens for the right password, and refuses a request whose token is
// missing or unknown as etcd does — an error answer for a unary call, a
// {"error":...} stream message with the error's status for a keepalive, a
// created-and-canceled message for a watch (see
// wire/testdata/etcd-auth-gateway.md).
type authGate struct {
	mu            sync.Mutex
	enabled       bool
	users         map[string]string // name → password
	valid         map[string]bool   // live tokens
	minted        int
	authenticates int
	// refuse holds errors to answer the next requests to a path with,
	// whatever their token (an old auth revision, say).
	refuse map[string][]*wire.Error
	// sent records the Authorization header of every other request.
	sent []string
}

func newAuthGate() *authGate {
	return &authGate{enabled: true, users: map[string]string{"root": "rootpw"}, valid: map[string]bool{}, refuse: map[string][]*wire.Error{}}
}

// gatedMember starts one fake member behind a gate.
func gatedMember(t *testing.T) (*authGate, *fakeetcd.Store, string) {
	t.Helper()
	store, members, urls := cluster(t, 1)
	g := newAuthGate()
	members[0].Before = g.before
	return g, store, urls[0]
}

func (g *authGate) before(w http.ResponseWriter, r *http.Request) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.URL.Path == "/v3/auth/authenticate" {
		g.authenticates++
		body, _ := io.ReadAll(r.Body)
		var req wire.AuthenticateRequest
		switch err := wire.Unmarshal(body, &req); {
		case err != nil:
			fakeetcd.WriteError(w, err.(*wire.Error))
		case !g.enabled:
			fakeetcd.WriteError(w, wire.ErrAuthNotEnabled)
		case req.Name == "" || g.users[req.Name] != req.Password:
			fakeetcd.WriteError(w, wire.ErrAuthFailed)
		default:
			g.minted++
			token := fmt.Sprintf("token%d.%d", g.minted, 10+g.minted)
			g.valid[token] = true
			w.Write(wire.Marshal(&wire.AuthenticateResponse{Header: &wire.ResponseHeader{Revision: 1}, Token: token}))
		}
		return true
	}
	token := r.Header.Get("Authorization")
	g.sent = append(g.sent, token)
	if !g.enabled {
		return false // etcd ignores tokens while auth is off
	}
	if list := g.refuse[r.URL.Path]; len(list) > 0 {
		g.refuse[r.URL.Path] = list[1:]
		refuse(w, r, list[0])
		return true
	}
	switch {
	case token == "":
		refuse(w, r, wire.ErrUserEmpty)
	case !g.valid[strings.TrimPrefix(token, "Bearer ")]:
		refuse(w, r, wire.ErrInvalidAuthToken)
	default:
		return false
	}
	return true
}

// refuse answers a request with an auth error in the form etcd's gateway
// gives it on that path.
func refuse(w http.ResponseWriter, r *http.Request, e *wire.Error) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v3/watch":
		w.Write(wire.AppendStreamResult(nil, &wire.WatchResponse{Header: &wire.ResponseHeader{Revision: 1}, WatchID: -1, Created: true, Canceled: true,
			CancelReason: fmt.Sprintf("rpc error: code = %s desc = %s", e.Code, e.Message)}))
	case "/v3/lease/keepalive":
		w.WriteHeader(e.HTTPStatus())
		w.Write(wire.AppendStreamError(nil, e))
	default:
		fakeetcd.WriteError(w, e)
	}
}

// expire forgets every token, as a member does after their TTL or a restart.
func (g *authGate) expire() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.valid = map[string]bool{}
}

func (g *authGate) counts() (authenticates int, sent []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.authenticates, append([]string(nil), g.sent...)
}

func authClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	cfg.DialTimeout, cfg.RequestTimeout = time.Second, 10*time.Second
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAuthenticatesOnFirstUseAndSendsTheTokenEverywhere(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	ctx := testCtx(t)

	_, err := c.Put(ctx, "k", "v")
	require.NoError(t, err)
	_, err = c.Get(ctx, "k")
	require.NoError(t, err)
	lease, err := c.Grant(ctx, 60)
	require.NoError(t, err)
	_, err = c.KeepAliveOnce(ctx, lease.ID)
	require.NoError(t, err)
	_, err = c.TimeToLive(ctx, lease.ID, false)
	require.NoError(t, err)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := c.Watch(wctx, "k", WithCreatedNotify())
	require.True(t, (<-wch).Created, "the watch was created")

	authenticates, sent := g.counts()
	require.Equal(t, 1, authenticates, "one authentication for all the requests")
	for i, tok := range sent {
		require.Equal(t, "token1.11", tok, "request %d carried the token", i)
	}
	require.Len(t, sent, 6)
}

func TestATokenThatDiedIsRenewedOnceAndTheRequestRepeated(t *testing.T) {
	g, store, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	ctx := testCtx(t)
	_, err := c.Put(ctx, "k", "v1")
	require.NoError(t, err)

	g.expire()
	put, err := c.Put(ctx, "k", "v2")
	require.NoError(t, err, "the put after the token died")
	authenticates, sent := g.counts()
	require.Equal(t, 2, authenticates)
	require.Equal(t, []string{"token1.11", "token1.11", "token2.12"}, sent, "the refused put is sent again with the new token")
	// The refused attempt did nothing: one write, one revision.
	require.EqualValues(t, 3, put.Header.Revision)
	require.Equal(t, 3, store.Count("/v3/kv/put"), "the first put, the refused one and its repetition reached the member")
}

func TestOldAuthRevisionAndEmptyUserAlsoRenewTheToken(t *testing.T) {
	for _, refusal := range []*wire.Error{wire.ErrAuthOldRevision, wire.ErrUserEmpty} {
		t.Run(refusal.Message, func(t *testing.T) {
			g, _, url := gatedMember(t)
			c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
			ctx := testCtx(t)
			g.refuse["/v3/kv/put"] = []*wire.Error{refusal}
			_, err := c.Put(ctx, "k", "v")
			require.NoError(t, err)
			authenticates, _ := g.counts()
			require.Equal(t, 2, authenticates, "authenticated again after %q", refusal.Message)
		})
	}
}

func TestATokenRefusedTwiceIsTheAnswer(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	g.refuse["/v3/kv/range"] = []*wire.Error{wire.ErrInvalidAuthToken, wire.ErrInvalidAuthToken, wire.ErrInvalidAuthToken}
	_, err := c.Get(testCtx(t), "k")
	require.ErrorIs(t, err, wire.ErrInvalidAuthToken)
	authenticates, sent := g.counts()
	require.Equal(t, 2, authenticates, "one renewal, not a loop")
	require.Len(t, sent, 2)
}

func TestOtherErrorsDoNotRenewTheToken(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	g.refuse["/v3/kv/put"] = []*wire.Error{wire.ErrPermissionDenied}
	_, err := c.Put(testCtx(t), "k", "v")
	require.ErrorIs(t, err, ErrPermissionDenied)
	require.Equal(t, "etcdserver: permission denied", err.Error(), "etcd's words, as etcdctl prints them")
	authenticates, sent := g.counts()
	require.Equal(t, 1, authenticates)
	require.Len(t, sent, 1, "a write refused for its permissions is not sent again")
}

func TestWrongPassword(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "wrong"})
	ctx := testCtx(t)
	require.ErrorIs(t, c.Login(ctx), ErrAuthFailed)
	_, err := c.Get(ctx, "k")
	require.ErrorIs(t, err, ErrAuthFailed, "a request fails with the authentication's error")
	_, sent := g.counts()
	require.Empty(t, sent, "nothing was sent without a token")
}

// Like clientv3, the same credentials work on a cluster without auth: the
// client learns that auth is off and sends no token.
func TestCredentialsOnAClusterWithoutAuth(t *testing.T) {
	g, _, url := gatedMember(t)
	g.enabled = false
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	ctx := testCtx(t)
	require.NoError(t, c.Login(ctx))
	for range 3 {
		_, err := c.Put(ctx, "k", "v")
		require.NoError(t, err)
	}
	authenticates, sent := g.counts()
	require.Equal(t, 1, authenticates, "auth off is remembered")
	require.Equal(t, []string{"", "", ""}, sent)
}

// clientv3 takes an empty password as no credentials (etcdctl --user
// alice: sends no token and gets "user name is empty"); so does this client.
func TestEmptyPasswordMeansNoCredentials(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "alice"})
	_, err := c.Get(testCtx(t), "k")
	require.ErrorIs(t, err, ErrUserEmpty)
	authenticates, sent := g.counts()
	require.Zero(t, authenticates)
	require.Equal(t, []string{""}, sent)
}

// A token given in the configuration (etcdctl --auth-jwt-token) is sent as
// it is and never replaced: the client has no password to get another.
func TestAFixedTokenIsNeverRenewed(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Token: "not-a-token", Username: "root", Password: "rootpw"})
	_, err := c.Get(testCtx(t), "k")
	require.ErrorIs(t, err, ErrInvalidAuthToken)
	authenticates, sent := g.counts()
	require.Zero(t, authenticates)
	require.Equal(t, []string{"not-a-token"}, sent)
}

func TestConcurrentRequestsRenewADeadTokenOnce(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	ctx := testCtx(t)
	require.NoError(t, c.Login(ctx))
	g.expire()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Get(ctx, "k")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	authenticates, _ := g.counts()
	require.Equal(t, 2, authenticates, "the login, then one renewal for all eight requests")
}

func TestWatchRenewsATokenItWasRefusedFor(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	ctx := testCtx(t)
	require.NoError(t, c.Login(ctx))
	g.expire()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := c.Watch(wctx, "k")
	// The watch's first stream is refused; it renews and comes back, and
	// then sees the puts.
	require.Eventually(t, func() bool {
		if _, err := c.Put(ctx, "k", "v"); err != nil {
			t.Errorf("put: %v", err)
		}
		select {
		case resp := <-wch:
			require.NoError(t, resp.Err)
			return len(resp.Events) > 0
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 10*time.Second, 10*time.Millisecond, "the watch to deliver a put after renewing its token")
	authenticates, _ := g.counts()
	require.Equal(t, 2, authenticates)
}

func TestWatchRefusedTwiceEndsWithTheReason(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	g.refuse["/v3/watch"] = []*wire.Error{wire.ErrInvalidAuthToken, wire.ErrInvalidAuthToken}
	resp, ok := <-c.Watch(testCtx(t), "k")
	require.True(t, ok)
	require.True(t, resp.Canceled)
	require.EqualError(t, resp.Err, "rpc error: code = Unauthenticated desc = etcdserver: invalid auth token")
	authenticates, _ := g.counts()
	require.Equal(t, 2, authenticates)
}

// etcd refuses a watch the user may not read with one message, created and
// canceled at once, and keeps the stream open: the watch must end with the
// reason (etcdctl: "watch is canceled by the server", exit 5), not wait on
// the open stream as if it had been created.
func TestWatchRefusedForPermissionEndsWithTheReason(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	g.refuse["/v3/watch"] = []*wire.Error{wire.ErrPermissionDenied}
	ctx, cancel := context.WithTimeout(testCtx(t), 5*time.Second)
	defer cancel()
	resp, ok := <-c.Watch(ctx, "k")
	require.True(t, ok, "the watch ended without a word")
	require.Equal(t, WatchResponse{WatchResponse: wire.WatchResponse{Header: &wire.ResponseHeader{}, Canceled: true}, Err: resp.Err}, resp,
		"clientv3's closing response: empty, canceled, the reason in Err")
	require.EqualError(t, resp.Err, "rpc error: code = PermissionDenied desc = etcdserver: permission denied")
	authenticates, _ := g.counts()
	require.Equal(t, 1, authenticates, "a permission is not a token: no renewal")
}

func TestKeepAliveRenewsATokenItWasRefusedFor(t *testing.T) {
	g, _, url := gatedMember(t)
	c := authClient(t, Config{Endpoints: []string{url}, Username: "root", Password: "rootpw"})
	ctx := testCtx(t)
	lease, err := c.Grant(ctx, 60)
	require.NoError(t, err)
	g.expire()
	ka, err := c.KeepAliveOnce(ctx, lease.ID)
	require.NoError(t, err, "a keepalive refused with a 401 stream error")
	require.Equal(t, lease.ID, ka.ID)
	authenticates, _ := g.counts()
	require.Equal(t, 2, authenticates)
}

// A keepalive stream refused before it starts answers with the error's
// HTTP status and a {"error":...} message (etcd's gateway): the client
// returns etcd's error, not the raw body.
func TestKeepAliveStreamErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"code":3,"message":"etcdserver: user name is empty"}}`+"\n")
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	_, err := c.KeepAliveOnce(testCtx(t), 1)
	var we *wire.Error
	require.ErrorAs(t, err, &we)
	require.Equal(t, wire.ErrUserEmpty, we)
}

// The auth API sends etcd's requests, field names and all, to etcd's paths,
// and reads etcd's answers (the bodies below are etcd 3.7.3's, from
// wire/testdata/etcd-auth-gateway.md).
func TestAuthAPIRequestsAndAnswers(t *testing.T) {
	const header = `{"cluster_id":"1158684527140923278","member_id":"11735172391864680521","revision":"1","raft_term":"2"}`
	answers := map[string]string{
		"/v3/auth/status":    `{"header":` + header + `,"enabled":true,"authRevision":"22"}`,
		"/v3/auth/user/get":  `{"header":` + header + `,"roles":["reader"]}`,
		"/v3/auth/user/list": `{"header":` + header + `,"users":["alice","bob","root"]}`,
		"/v3/auth/role/get":  `{"header":` + header + `,"perm":[{"permType":"WRITE","key":"YmFy"},{"key":"Zm9v","range_end":"Zm9w"},{"key":"ay8=","range_end":"AA=="}]}`,
		"/v3/auth/role/list": `{"header":` + header + `,"roles":["reader"]}`,
	}
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+" "+string(body))
		mu.Unlock()
		answer, ok := answers[r.URL.Path]
		if !ok {
			answer = `{"header":` + header + `}`
		}
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	ctx := testCtx(t)

	status, err := c.AuthStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, AuthStatusResponse{Header: status.Header, Enabled: true, AuthRevision: 22}, *status)
	userGet, err := c.UserGet(ctx, "alice")
	require.NoError(t, err)
	require.Equal(t, []string{"reader"}, userGet.Roles)
	users, err := c.UserList(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"alice", "bob", "root"}, users.Users)
	roleGet, err := c.RoleGet(ctx, "reader")
	require.NoError(t, err)
	require.Equal(t, []Permission{{PermType: PermWrite, Key: []byte("bar")}, {Key: []byte("foo"), RangeEnd: []byte("fop")}, {Key: []byte("k/"), RangeEnd: []byte{0}}}, roleGet.Perm)
	roles, err := c.RoleList(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"reader"}, roles.Roles)
	require.Equal(t, uint64(11735172391864680521), roles.Header.MemberID)

	for _, call := range []func() (any, error){
		func() (any, error) { return c.AuthEnable(ctx) },
		func() (any, error) { return c.AuthDisable(ctx) },
		func() (any, error) { return c.UserAdd(ctx, "alice", "pw") },
		func() (any, error) { return c.UserAddWithOptions(ctx, "eve", "", &UserAddOptions{NoPassword: true}) },
		func() (any, error) { return c.UserDelete(ctx, "eve") },
		func() (any, error) { return c.UserChangePassword(ctx, "alice", "pw2") },
		func() (any, error) { return c.UserGrantRole(ctx, "alice", "reader") },
		func() (any, error) { return c.UserRevokeRole(ctx, "alice", "reader") },
		func() (any, error) { return c.RoleAdd(ctx, "reader") },
		func() (any, error) {
			return c.RoleGrantPermission(ctx, "reader", "foo", GetPrefixRangeEnd("foo"), PermReadWrite)
		},
		func() (any, error) { return c.RoleRevokePermission(ctx, "reader", "k/", "\x00") },
		func() (any, error) { return c.RoleDelete(ctx, "reader") },
		func() (any, error) { return c.Authenticate(ctx, "root", "rootpw") },
	} {
		resp, err := call()
		require.NoError(t, err)
		b, _ := json.Marshal(resp)
		require.Contains(t, string(b), `"header":{"cluster_id":1158684527140923278`, "the answer decoded")
	}
	want := []string{
		`/v3/auth/status {}`,
		`/v3/auth/user/get {"name":"alice"}`,
		`/v3/auth/user/list {}`,
		`/v3/auth/role/get {"role":"reader"}`,
		`/v3/auth/role/list {}`,
		`/v3/auth/enable {}`,
		`/v3/auth/disable {}`,
		`/v3/auth/user/add {"name":"alice","password":"pw","options":{}}`,
		`/v3/auth/user/add {"name":"eve","options":{"no_password":true}}`,
		`/v3/auth/user/delete {"name":"eve"}`,
		`/v3/auth/user/changepw {"name":"alice","password":"pw2"}`,
		`/v3/auth/user/grant {"user":"alice","role":"reader"}`,
		`/v3/auth/user/revoke {"name":"alice","role":"reader"}`,
		`/v3/auth/role/add {"name":"reader"}`,
		`/v3/auth/role/grant {"name":"reader","perm":{"permType":"READWRITE","key":"Zm9v","range_end":"Zm9w"}}`,
		`/v3/auth/role/revoke {"role":"reader","key":"ay8=","range_end":"AA=="}`,
		`/v3/auth/role/delete {"role":"reader"}`,
		`/v3/auth/authenticate {"name":"root","password":"rootpw"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// A server error comes back as etcd's error, for errors.Is and for etcdctl's
// "Error: ..." line.
func TestAuthErrorsInEtcdsWords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fakeetcd.WriteError(w, wire.ErrRootRoleNotExist)
	}))
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv.URL).AuthEnable(testCtx(t))
	require.True(t, errors.Is(err, ErrRootRoleNotExist))
	require.Equal(t, "etcdserver: root user does not have root role", err.Error())
}

func TestStrToPermissionType(t *testing.T) {
	for s, want := range map[string]PermissionType{"read": PermRead, "Write": PermWrite, "READWRITE": PermReadWrite} {
		got, err := StrToPermissionType(s)
		require.NoError(t, err)
		require.Equal(t, want, got, s)
	}
	_, err := StrToPermissionType("sideways")
	require.EqualError(t, err, "invalid permission type: sideways")
}

func TestGetPrefixRangeEnd(t *testing.T) {
	for prefix, want := range map[string]string{"foo": "fop", "/app/": "/app0", "a\xff": "b", "\xff\xff": "\x00"} {
		require.Equal(t, want, GetPrefixRangeEnd(prefix), "prefix %q", prefix)
	}
}
