#!/usr/bin/env bash
# Captures etcd-auth-gateway.md: the JSON gateway's answers to the auth
# requests, verbatim, from a FRESH single-member etcd (auth off, no users).
#
#   etcd --name a1 --data-dir /tmp/a1 \
#     --listen-client-urls http://127.0.0.1:46379 --advertise-client-urls http://127.0.0.1:46379 \
#     --listen-peer-urls http://127.0.0.1:46380 --initial-advertise-peer-urls http://127.0.0.1:46380 \
#     --initial-cluster a1=http://127.0.0.1:46380 &
#   ./capture-auth-gateway.sh http://127.0.0.1:46379 > etcd-auth-gateway.md
#
# Each step is one `curl -sS -i`, kept as received (only \r\n turned into \n).
set -u
EP=${1:-http://127.0.0.1:46379}

cat <<EOF
# etcd v3.7.3 JSON gateway: authentication, users and roles (verbatim transcripts)

Captured with \`testdata/capture-auth-gateway.sh\` against a fresh single-member etcd **$(curl -s "$EP/version" | sed 's/.*"etcdserver":"\([^"]*\)".*/\1/')**
(defaults: simple tokens, bcrypt cost 10) on $EP. Every step is a real request, in order: the state carries
over from one step to the next. A token in a command is the one the last \`authenticate\` step returned.
The format is that of etcd-json-gateway.md; the golden tests parse both.

Notes for readers:
- Auth requests are unary POSTs under \`/v3/auth/\`: \`enable\`, \`disable\`, \`status\`, \`authenticate\`,
  \`user/{add,get,list,delete,changepw,grant,revoke}\`, \`role/{add,get,list,delete,grant,revoke}\`.
- Field names are the proto's: \`AuthUserGrantRoleRequest{user, role}\` but \`AuthUserRevokeRoleRequest{name, role}\`,
  \`AuthRoleGetRequest{role}\`, \`Permission{permType, key, range_end}\`, \`AuthStatusResponse{enabled, authRevision}\`.
- The token goes in the \`Authorization\` header, bare or after "Bearer ". A 401 also carries
  \`Www-Authenticate: etcdserver: invalid auth token\`.
- A watch whose token is missing or invalid is not refused by HTTP status: the stream opens (200) and its first
  message is \`created\` and \`canceled\` at once, with \`watch_id\` -1 and the gRPC error as \`cancel_reason\`.
  A lease keepalive is refused with the HTTP status of the error and an \`{"error":{...}}\` stream message.

---
EOF

TOKEN=""
# step TITLE PATH BODY [TOKEN-HEADER] [curl options...]
step() {
	local title=$1 path=$2 body=$3 auth=${4:-}
	shift 4 2>/dev/null || shift $#
	echo
	echo "#### $title"
	echo '```'
	local shown="curl -sS -i -X POST $EP$path"
	local args=(-sS -i -X POST "$EP$path")
	if [ -n "$auth" ]; then
		shown="$shown -H 'Authorization: $auth'"
		args+=(-H "Authorization: $auth")
	fi
	shown="$shown -d '$body'"
	args+=(-d "$body")
	for o in "$@"; do
		shown="$shown $o"
		args+=("$o")
	done
	echo "\$ $shown"
	local out rc
	out=$(curl "${args[@]}" 2>/tmp/capture-auth-gateway.err | tr -d '\r')
	rc=$?
	printf '%s\n' "$out"
	if [ $rc -ne 0 ]; then
		echo "[curl exit code $rc: $(cat /tmp/capture-auth-gateway.err)]"
	fi
	echo '```'
	LAST=$out
}
token_of() { printf '%s' "$LAST" | tail -1 | sed -n 's/.*"token":"\([^"]*\)".*/\1/p'; }

echo
echo "## Auth off: status, users and roles"
step "auth status (fresh store)" /v3/auth/status '{}'
step "auth enable without a root user" /v3/auth/enable '{}'
step "user add root" /v3/auth/user/add '{"name":"root","password":"rootpw"}'
step "auth enable: root has no root role" /v3/auth/enable '{}'
step "user add alice, options given as clientv3 sends them" /v3/auth/user/add '{"name":"alice","password":"alicepw","options":{}}'
step "user add bob, no_password option" /v3/auth/user/add '{"name":"bob","options":{"no_password":true}}'
step "user add an existing user" /v3/auth/user/add '{"name":"alice","password":"x"}'
step "user add with an empty name" /v3/auth/user/add '{"name":"","password":"x"}'
step "user get (no roles)" /v3/auth/user/get '{"name":"alice"}'
step "user get an unknown user" /v3/auth/user/get '{"name":"nobody"}'
step "user list (sorted)" /v3/auth/user/list '{}'
step "role add" /v3/auth/role/add '{"name":"reader"}'
step "role add an existing role" /v3/auth/role/add '{"name":"reader"}'
step "role add with an empty name" /v3/auth/role/add '{"name":""}'
step "role grant READ on a prefix (READ is the zero value: permType may be left out)" /v3/auth/role/grant '{"name":"reader","perm":{"key":"Zm9v","range_end":"Zm9w"}}'
step "role grant WRITE on one key, permType as a number" /v3/auth/role/grant '{"name":"reader","perm":{"permType":1,"key":"YmFy"}}'
step "role grant from a key on" /v3/auth/role/grant '{"name":"reader","perm":{"permType":"WRITE","key":"ay8=","range_end":"AA=="}}'
step "(setup) role add everything" /v3/auth/role/add '{"name":"everything"}'
step "role grant READWRITE on every key, JSON name rangeEnd" /v3/auth/role/grant '{"name":"everything","perm":{"permType":"READWRITE","key":"AA==","rangeEnd":"AA=="}}'
step "role get (one permission on every key)" /v3/auth/role/get '{"role":"everything"}'
step "role grant the same interval again: only the type changes" /v3/auth/role/grant '{"name":"reader","perm":{"permType":"READ","key":"ay8=","range_end":"AA=="}}'
step "role grant to an unknown role" /v3/auth/role/grant '{"name":"nobody","perm":{"key":"eA=="}}'
step "role get (permissions sorted by key; READ left out)" /v3/auth/role/get '{"role":"reader"}'
step "role get an unknown role" /v3/auth/role/get '{"role":"nobody"}'
step "role list" /v3/auth/role/list '{}'
step "user grant (field user, not name)" /v3/auth/user/grant '{"user":"alice","role":"reader"}'
step "user grant an unknown role" /v3/auth/user/grant '{"user":"alice","role":"nobody"}'
step "user grant to an unknown user" /v3/auth/user/grant '{"user":"nobody","role":"reader"}'
step "user get (with a role)" /v3/auth/user/get '{"name":"alice"}'
step "user revoke a role not granted (field name, not user)" /v3/auth/user/revoke '{"name":"alice","role":"nobody"}'
step "role revoke a permission" /v3/auth/role/revoke '{"role":"reader","key":"YmFy"}'
step "role revoke it again" /v3/auth/role/revoke '{"role":"reader","key":"YmFy"}'
step "role revoke a range, JSON name rangeEnd" /v3/auth/role/revoke '{"role":"reader","key":"ay8=","rangeEnd":"AA=="}'
step "user changepw" /v3/auth/user/changepw '{"name":"alice","password":"alicepw2"}'
step "user changepw of an unknown user" /v3/auth/user/changepw '{"name":"nobody","password":"x"}'
step "user delete an unknown user" /v3/auth/user/delete '{"name":"nobody"}'
step "role delete an unknown role" /v3/auth/role/delete '{"role":"nobody"}'
step "role add, then delete" /v3/auth/role/add '{"name":"temp"}'
step "role delete" /v3/auth/role/delete '{"role":"temp"}'
step "user delete bob" /v3/auth/user/delete '{"name":"bob"}'

echo
echo "## Requests etcd refuses before reading them (the decoder's words)"
step "a string field given a number" /v3/auth/user/add '{"name":5}'
step "a string field given a list" /v3/auth/user/grant '{"user":["alice"],"role":"reader"}'
step "a bool option given a string" /v3/auth/user/add '{"name":"x","options":{"no_password":"yes"}}'
step "options given a number" /v3/auth/user/add '{"name":"x","options":5}'
step "options null is not set" /v3/auth/user/add '{"name":"carol","password":"c","options":null}'
step "an enum given a bool" /v3/auth/role/grant '{"name":"reader","perm":{"permType":true,"key":"eA=="}}'
step "an enum given an unknown name (ignored: READ)" /v3/auth/role/grant '{"name":"reader","perm":{"permType":"SIDEWAYS","key":"eA=="}}'
step "perm given a string" /v3/auth/role/grant '{"name":"reader","perm":"x"}'
step "bytes given a number" /v3/auth/role/grant '{"name":"reader","perm":{"key":5}}'
step "bytes that are not base64" /v3/auth/role/revoke '{"role":"reader","key":"!!"}'
step "a field given twice" /v3/auth/user/get '{"name":"alice","name":"root"}'
step "a field given under both its names" /v3/auth/role/revoke '{"role":"reader","key":"eA==","range_end":"AA==","rangeEnd":"AA=="}'
step "JSON cut short" /v3/auth/role/get '{"role":'
step "unknown fields ignored" /v3/auth/role/get '{"role":"reader","bogus":[1,{"x":null}]}'

echo
echo "## Auth on"
step "(setup) role add root" /v3/auth/role/add '{"name":"root"}'
step "(setup) user grant root root" /v3/auth/user/grant '{"user":"root","role":"root"}'
step "auth enable" /v3/auth/enable '{}'
step "auth status" /v3/auth/status '{}'
step "authenticate with a wrong password" /v3/auth/authenticate '{"name":"root","password":"wrong"}'
step "authenticate an unknown user" /v3/auth/authenticate '{"name":"nobody","password":"x"}'
step "authenticate with an empty name" /v3/auth/authenticate '{"name":"","password":"x"}'
step "authenticate root" /v3/auth/authenticate '{"name":"root","password":"rootpw"}'
ROOT=$(token_of)
step "a request without a token" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}'
step "a request with an invalid token" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}' "not-a-token"
step "a request with root's token" /v3/kv/put '{"key":"Zm9v","value":"YmFy"}' "$ROOT"
step "the same token after \"Bearer \"" /v3/kv/range '{"key":"Zm9v"}' "Bearer $ROOT"
step "auth status needs no token" /v3/auth/status '{}'
step "auth status with an invalid token" /v3/auth/status '{}' "not-a-token"
step "role get root: a synthetic READWRITE on every key" /v3/auth/role/get '{"role":"root"}' "$ROOT"
step "user delete root while enabled" /v3/auth/user/delete '{"name":"root"}' "$ROOT"
step "role delete root while enabled" /v3/auth/role/delete '{"role":"root"}' "$ROOT"
step "user revoke root from root while enabled" /v3/auth/user/revoke '{"name":"root","role":"root"}' "$ROOT"
step "authenticate alice" /v3/auth/authenticate '{"name":"alice","password":"alicepw2"}'
ALICE=$(token_of)
step "alice reads a key her role may read" /v3/kv/range '{"key":"Zm9v"}' "$ALICE"
step "alice writes a key her role may only read" /v3/kv/put '{"key":"Zm9v","value":"YmF6"}' "$ALICE"
step "alice lists users (root only)" /v3/auth/user/list '{}' "$ALICE"
step "alice gets herself" /v3/auth/user/get '{"name":"alice"}' "$ALICE"
step "alice gets a role she holds" /v3/auth/role/get '{"role":"reader"}' "$ALICE"
step "alice gets a role she does not hold" /v3/auth/role/get '{"role":"root"}' "$ALICE"
step "a watch without a token: created and canceled at once" /v3/watch '{"create_request":{"key":"Zm9v"}}' "" -N --max-time 2
step "a watch with an invalid token" /v3/watch '{"create_request":{"key":"Zm9v"}}' "not-a-token" -N --max-time 2
step "a watch alice may not read" /v3/watch '{"create_request":{"key":"YmFy"}}' "$ALICE" -N --max-time 2
step "a lease keepalive without a token" /v3/lease/keepalive '{"ID":"1"}' "" -N --max-time 2
step "a lease keepalive with an invalid token" /v3/lease/keepalive '{"ID":"1"}' "not-a-token" -N --max-time 2
step "(setup) root changes alice's password" /v3/auth/user/changepw '{"name":"alice","password":"alicepw3"}' "$ROOT"
step "alice's token died with her password" /v3/kv/range '{"key":"Zm9v"}' "$ALICE"
step "auth status: every change bumped the auth revision" /v3/auth/status '{}' "$ROOT"
step "auth disable" /v3/auth/disable '{}' "$ROOT"
step "auth status" /v3/auth/status '{}'
step "after auth disable, any token is ignored" /v3/kv/range '{"key":"Zm9v"}' "not-a-token"
step "authenticate while auth is off" /v3/auth/authenticate '{"name":"root","password":"rootpw"}'
step "auth disable again" /v3/auth/disable '{}'
