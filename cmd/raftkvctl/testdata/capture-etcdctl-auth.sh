#!/usr/bin/env bash
# Captures etcdctl-auth.md: etcdctl's output for its auth, user and role
# commands, run in order against a FRESH single-member etcd (auth off, no
# users, revision 1), with etcdctl on the PATH:
#
#   etcd --name a1 --data-dir /tmp/a1 \
#     --listen-client-urls http://127.0.0.1:46379 --advertise-client-urls http://127.0.0.1:46379 \
#     --listen-peer-urls http://127.0.0.1:46380 --initial-advertise-peer-urls http://127.0.0.1:46380 \
#     --initial-cluster a1=http://127.0.0.1:46380 &
#   PATH=/work/etcd-bin:$PATH ./capture-etcdctl-auth.sh 127.0.0.1:46379 > etcdctl-auth.md
#
# TestAuthTranscript replays the same commands with raftkvctl.
set -u
export ETCDCTL_ENDPOINTS=${1:-127.0.0.1:46379}

cat <<EOF
# etcdctl $(etcdctl version | sed -n 's/etcdctl version: //p') transcripts: auth, user and role

Captured with \`testdata/capture-etcdctl-auth.sh\` against a fresh single-member etcd (auth off, no users,
revision 1), with \`ETCDCTL_ENDPOINTS\` set to its client URL. Each command ran through \`sh -c\`, in order (the
state carries over), and its stdout and stderr were recorded together, verbatim, except that a NUL byte is
shown as ␀ (etcdctl prints the key "\\x00" of a permission on every key raw). \`[exit code N]\` is added when
the command exited non-zero.

Things to notice for a look-alike CLI:
- Password prompts ("Password: ", "Password of alice: ", "Type password of alice again for confirmation: ")
  are written to stdout, each followed by a newline once the password is read. etcdctl runs \`stty -echo\`
  around each prompt even when standard input is not a terminal: the \`stty:\` lines on stderr are its
  failures, harmless.
- \`user add NAME --interactive=false\` reads the password as one word of standard input.
- \`--user NAME\` without a password prompts "Password: " before the command runs, after the command's
  own prompts.
- A failed authentication ends etcdctl with exit code 2 (it happens when the client is built); a refused
  request with exit code 1. Bad arguments exit with 128.
- \`auth enable\` creates the role root and grants it to the user root when root lacks it, then enables.
- \`-w table\` (and \`-w fields\` for auth status, user get and user list) is refused with exit code 4 only
  after the request was made: \`role add tabled -w table\` creates the role.
- The \`{"level":"warn",...}\` lines are the client's log of a failed attempt.

---
EOF

while IFS= read -r cmd; do
	case "$cmd" in
	'' ) continue ;;
	'### '*) printf '\n%s\n' "$cmd"; continue ;;
	esac
	out=$(mktemp)
	sh -c "$cmd" >"$out" 2>&1
	rc=$?
	printf '\n```\n$ %s\n' "$cmd"
	perl -pe 's/\x00/\xe2\x90\x80/g' "$out"
	if [ $rc -ne 0 ]; then
		echo "[exit code $rc]"
	fi
	echo '```'
	rm -f "$out"
done <<'COMMANDS'
### Auth off: users
etcdctl auth status
etcdctl auth enable
etcdctl auth enable extra
etcdctl user add root --new-user-password=rootpw
etcdctl user add root --new-user-password=other
etcdctl user add alice:alicepw
echo bobpw | etcdctl user add bob --interactive=false
printf 'carolpw\ncarolpw\n' | etcdctl user add carol
printf 'pw1\npw2\n' | etcdctl user add dave
printf '\n' | etcdctl user add dave
etcdctl user add :pw
etcdctl user add
etcdctl user add eve --no-password
etcdctl user add '' --new-user-password=x
echo '' | etcdctl user add gina --interactive=false
etcdctl user add harry --new-user-password=h -w json
etcdctl user list
etcdctl user list -w json
etcdctl user list extra
etcdctl user get alice
etcdctl user get nobody
etcdctl user get
### Auth off: roles and permissions
etcdctl role add reader
etcdctl role add reader
etcdctl role add ''
etcdctl role add writer -w json
etcdctl role add spare -w fields
etcdctl role grant-permission reader read /app/config
etcdctl role grant-permission reader read /app/ --prefix
etcdctl role grant-permission reader Write /logs/ /logs0
etcdctl role grant-permission reader readwrite /queue/ --from-key
etcdctl role grant-permission writer readwrite '' --prefix
etcdctl role grant-permission spare read ''
etcdctl role grant-permission spare READ '' --from-key -w json
etcdctl role grant-permission reader sideways x
etcdctl role grant-permission reader read x y --prefix
etcdctl role grant-permission reader read x y --from-key
etcdctl role grant-permission reader read x --prefix --from-key
etcdctl role grant-permission reader read
etcdctl role grant-permission nobody read x
etcdctl role get reader
etcdctl role get writer
etcdctl role get spare
etcdctl role get reader -w json
etcdctl role get reader -w fields
etcdctl role get spare -w json
etcdctl role get nobody
etcdctl role list
etcdctl role list -w fields
etcdctl role list -w json
### Auth off: users and roles together
etcdctl user grant-role alice reader
etcdctl user grant-role alice writer
etcdctl user grant-role alice nobody
etcdctl user grant-role nobody reader
etcdctl user grant-role alice
etcdctl user grant-role harry reader -w fields
etcdctl user get alice
etcdctl user get alice --detail
etcdctl user get alice -w json
etcdctl user get alice -w fields
etcdctl user revoke-role alice writer
etcdctl user revoke-role alice writer
etcdctl user revoke-role harry reader -w json
etcdctl role revoke-permission reader /app/config
etcdctl role revoke-permission reader /app/ --prefix
etcdctl role revoke-permission reader /logs/ /logs0
etcdctl role revoke-permission reader /queue/ --from-key
etcdctl role revoke-permission reader /nothing
etcdctl role revoke-permission writer '' --prefix
etcdctl role revoke-permission spare '' -w json
etcdctl role revoke-permission reader
etcdctl role grant-permission reader read /app/ --prefix
etcdctl role grant-permission reader write /app/tmp
etcdctl role get reader
etcdctl role delete spare
etcdctl role delete spare
echo alicepw2 | etcdctl user passwd alice --interactive=false
printf 'x\ny\n' | etcdctl user passwd alice
etcdctl user delete eve
etcdctl user delete eve
etcdctl user delete harry -w json
etcdctl user list -w table
etcdctl role add tabled -w table
etcdctl role list
etcdctl put /app/config v1
### Auth on
etcdctl auth enable
etcdctl auth status
etcdctl auth status -w json
etcdctl get /app/config
etcdctl --user root:wrong get /app/config
etcdctl --user nobody:x get /app/config
etcdctl --user root:rootpw get /app/config
etcdctl --user root --password rootpw put /app/config v2
echo rootpw | etcdctl --user root get /app/config
printf 'ivanpw\nivanpw\nrootpw\n' | etcdctl --user root user add ivan
ETCDCTL_USER=root:rootpw etcdctl user list
etcdctl --user root:rootpw auth status
etcdctl --user alice:alicepw2 get /app/config
etcdctl --user alice:alicepw2 put /app/config v3
etcdctl --user alice:alicepw2 put /app/tmp t
etcdctl --user alice:alicepw2 get /app/ --prefix
etcdctl --user alice:alicepw2 get / --prefix
etcdctl --user alice:alicepw2 user list
etcdctl --user alice:alicepw2 user get alice
etcdctl --user alice:alicepw2 role get reader
etcdctl --user alice:alicepw2 role get writer
etcdctl --user alice:alicepw2 watch /secret
etcdctl --user alice:alicepw2 watch /secret -w json
etcdctl --user alice:alicepw2 lease grant 100
etcdctl member list
etcdctl --user alice: get /app/config
etcdctl --user carol:carolpw get /app/config
etcdctl --user bob:bobpw auth status
etcdctl --auth-jwt-token=not-a-token get /app/config
etcdctl --user root:rootpw role get root
etcdctl --user root:rootpw role get root -w json
etcdctl --user root:rootpw user get root
etcdctl --user root:rootpw user delete root
etcdctl --user root:rootpw role delete root
etcdctl --user root:rootpw user revoke-role root root
echo alicepw3 | etcdctl --user root:rootpw user passwd alice --interactive=false
etcdctl --user alice:alicepw2 get /app/config
etcdctl --user alice:alicepw3 get /app/config
etcdctl --user root:rootpw auth enable
etcdctl --user root:rootpw auth disable
### Auth off again
etcdctl auth status
etcdctl get /app/config
etcdctl --user nobody:x get /app/config
etcdctl auth disable
COMMANDS
