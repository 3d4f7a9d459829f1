package auth

import (
	"bytes"
	"slices"
	"sync"
)

// RootUser and RootRole are etcd's: the user that must exist, holding the
// role that must exist, before authentication can be enabled.
const (
	RootUser = "root"
	RootRole = "root"
)

// User is one user. Password is a bcrypt hash, never the password.
type User struct {
	Name       string   `json:"name"`
	Password   []byte   `json:"password,omitempty"`
	NoPassword bool     `json:"no_password,omitempty"`
	Roles      []string `json:"roles,omitempty"` // sorted
}

// Role is one role and its permissions, sorted by key.
type Role struct {
	Name  string       `json:"name"`
	Perms []Permission `json:"perms,omitempty"`
}

// Store is the auth state of one member: users, roles, whether
// authentication is on, and the auth revision. Apply changes it, on the
// member's goroutine, in log order; every other method may be called from
// any goroutine (the API checks reads and tokens concurrently).
type Store struct {
	mu       sync.RWMutex
	enabled  bool
	revision uint64
	users    map[string]*User
	roles    map[string]*Role
	// perms are each user's merged intervals, rebuilt on every change
	// (changes are rare, checks are on every request).
	perms map[string]*userPerms
}

type userPerms struct {
	read, write unionOf
	root        bool
}

// New returns an empty store at revision 1, with authentication off (a
// store's revision starts at 1, as etcd's does, so that a request that
// carries revision 0 is known to carry none).
func New() *Store {
	s := &Store{revision: 1, users: map[string]*User{}, roles: map[string]*Role{}}
	s.refresh()
	return s
}

// Enabled reports whether authentication is on.
func (s *Store) Enabled() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.enabled
}

// Revision is the auth revision: it grows with every change.
func (s *Store) Revision() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.revision
}

// refresh rebuilds every user's merged permissions. The caller holds mu
// for writing.
func (s *Store) refresh() {
	s.perms = map[string]*userPerms{}
	for name, u := range s.users {
		var read, write []interval
		p := &userPerms{}
		for _, rn := range u.Roles {
			if rn == RootRole {
				p.root = true
			}
			r := s.roles[rn]
			if r == nil {
				continue
			}
			for _, perm := range r.Perms {
				iv := keyInterval(perm.Key, perm.RangeEnd)
				if perm.Type.allows(Read) {
					read = append(read, iv)
				}
				if perm.Type.allows(Write) {
					write = append(write, iv)
				}
			}
		}
		p.read, p.write = merge(read), merge(write)
		s.perms[name] = p
	}
}

// commit records a change: a new revision and fresh permissions. The
// caller holds mu for writing.
func (s *Store) commit() {
	s.revision++
	s.refresh()
}

// User returns a copy of a user.
func (s *Store) User(name string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[name]
	if !ok {
		return User{}, false
	}
	return cloneUser(u), true
}

// Users lists the users' names, sorted.
func (s *Store) Users() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.users)
}

// Role returns a copy of a role. The root role's permissions read as
// etcd shows them: READWRITE on every key.
func (s *Store) Role(name string) (Role, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.roles[name]
	if !ok {
		return Role{}, false
	}
	if name == RootRole {
		return Role{Name: name, Perms: []Permission{{Type: ReadWrite, Key: []byte{}, RangeEnd: []byte{0}}}}, true
	}
	return cloneRole(r), true
}

// Roles lists the roles' names, sorted.
func (s *Store) Roles() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.roles)
}

// HasRole reports whether user holds role.
func (s *Store) HasRole(user, role string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[user]
	return ok && slices.Contains(u.Roles, role)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func cloneUser(u *User) User {
	return User{Name: u.Name, Password: bytes.Clone(u.Password), NoPassword: u.NoPassword, Roles: slices.Clone(u.Roles)}
}

func cloneRole(r *Role) Role {
	out := Role{Name: r.Name, Perms: make([]Permission, len(r.Perms))}
	for i, p := range r.Perms {
		out.Perms[i] = Permission{Type: p.Type, Key: bytes.Clone(p.Key), RangeEnd: bytes.Clone(p.RangeEnd)}
	}
	return out
}
