package auth

import (
	"bytes"
	"slices"
)

// Op is a change to the auth state.
type Op string

// The changes, one per etcd Auth RPC that writes.
const (
	OpEnable               Op = "enable"
	OpDisable              Op = "disable"
	OpUserAdd              Op = "user_add"
	OpUserDelete           Op = "user_delete"
	OpUserChangePassword   Op = "user_change_password"
	OpUserGrantRole        Op = "user_grant_role"
	OpUserRevokeRole       Op = "user_revoke_role"
	OpRoleAdd              Op = "role_add"
	OpRoleDelete           Op = "role_delete"
	OpRoleGrantPermission  Op = "role_grant_permission"
	OpRoleRevokePermission Op = "role_revoke_permission"
)

// Request is one change, as it travels through the log (JSON-encoded by
// the member). Caller is who asked: every change needs the root role
// while authentication is on, checked when the change is applied.
type Request struct {
	Caller Caller `json:"caller"`
	Op     Op     `json:"op"`
	User   string `json:"user,omitempty"`
	Role   string `json:"role,omitempty"`
	// Password is the new password's bcrypt hash (user add, change
	// password); the password itself never enters the log.
	Password   []byte     `json:"password,omitempty"`
	NoPassword bool       `json:"no_password,omitempty"`
	Perm       Permission `json:"perm"`
}

// Apply makes one change, exactly as every member makes it: the outcome
// depends only on the store and the request. It returns the users whose
// tokens must be dropped (a deleted user, a changed password), and for
// OpDisable every token goes: the caller handles tokens.
func (s *Store) Apply(r *Request) (dropTokensOf string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkAdminLocked(r.Caller); err != nil {
		return "", err
	}
	switch r.Op {
	case OpEnable:
		return "", s.enable()
	case OpDisable:
		if s.enabled {
			s.enabled = false
			s.commit()
		}
		return "", nil
	case OpUserAdd:
		return "", s.userAdd(r)
	case OpUserDelete:
		return r.User, s.userDelete(r.User)
	case OpUserChangePassword:
		return r.User, s.userChangePassword(r)
	case OpUserGrantRole:
		return "", s.userGrantRole(r.User, r.Role)
	case OpUserRevokeRole:
		return "", s.userRevokeRole(r.User, r.Role)
	case OpRoleAdd:
		return "", s.roleAdd(r.Role)
	case OpRoleDelete:
		return "", s.roleDelete(r.Role)
	case OpRoleGrantPermission:
		return "", s.roleGrantPermission(r.Role, r.Perm)
	case OpRoleRevokePermission:
		return "", s.roleRevokePermission(r.Role, r.Perm.Key, r.Perm.RangeEnd)
	}
	return "", ErrInvalidAuthMgmt
}

// enable turns authentication on, once root exists and holds the root
// role: without them, nobody could ever change anything again. Enabling
// what is on already changes nothing (and no revision).
func (s *Store) enable() error {
	if s.enabled {
		return nil
	}
	u, ok := s.users[RootUser]
	if !ok {
		return ErrRootUserNotExist
	}
	if !slices.Contains(u.Roles, RootRole) {
		return ErrRootRoleNotExist
	}
	s.enabled = true
	s.refresh()
	return nil
}

func (s *Store) userAdd(r *Request) error {
	if r.User == "" {
		return ErrUserEmpty
	}
	if _, ok := s.users[r.User]; ok {
		return ErrUserAlreadyExist
	}
	u := &User{Name: r.User, NoPassword: r.NoPassword}
	if !r.NoPassword {
		u.Password = bytes.Clone(r.Password)
	}
	s.users[r.User] = u
	s.commit()
	return nil
}

// userDelete refuses to delete root while authentication is on: nobody
// could administer the cluster any more.
func (s *Store) userDelete(name string) error {
	if s.enabled && name == RootUser {
		return ErrInvalidAuthMgmt
	}
	if _, ok := s.users[name]; !ok {
		return ErrUserNotFound
	}
	delete(s.users, name)
	s.commit()
	return nil
}

func (s *Store) userChangePassword(r *Request) error {
	u, ok := s.users[r.User]
	if !ok {
		return ErrUserNotFound
	}
	if !u.NoPassword {
		u.Password = bytes.Clone(r.Password)
	}
	s.commit()
	return nil
}

// userGrantRole grants a role; root may be granted before the role root
// exists (etcd creates the user, grants it root, then the role). Granting
// a role held already changes nothing.
func (s *Store) userGrantRole(user, role string) error {
	u, ok := s.users[user]
	if !ok {
		return ErrUserNotFound
	}
	if _, ok := s.roles[role]; !ok && role != RootRole {
		return ErrRoleNotFound
	}
	i, held := slices.BinarySearch(u.Roles, role)
	if held {
		return nil
	}
	u.Roles = slices.Insert(u.Roles, i, role)
	s.commit()
	return nil
}

func (s *Store) userRevokeRole(user, role string) error {
	if s.enabled && user == RootUser && role == RootRole {
		return ErrInvalidAuthMgmt
	}
	u, ok := s.users[user]
	if !ok {
		return ErrUserNotFound
	}
	i, held := slices.BinarySearch(u.Roles, role)
	if !held {
		return ErrRoleNotGranted
	}
	u.Roles = slices.Delete(u.Roles, i, i+1)
	s.commit()
	return nil
}

func (s *Store) roleAdd(name string) error {
	if name == "" {
		return ErrRoleEmpty
	}
	if _, ok := s.roles[name]; ok {
		return ErrRoleAlreadyExist
	}
	s.roles[name] = &Role{Name: name}
	s.commit()
	return nil
}

// roleDelete deletes a role and takes it from every user who held it.
func (s *Store) roleDelete(name string) error {
	if s.enabled && name == RootRole {
		return ErrInvalidAuthMgmt
	}
	if _, ok := s.roles[name]; !ok {
		return ErrRoleNotFound
	}
	delete(s.roles, name)
	for _, u := range s.users {
		if i, held := slices.BinarySearch(u.Roles, name); held {
			u.Roles = slices.Delete(u.Roles, i, i+1)
		}
	}
	s.commit()
	return nil
}

// roleGrantPermission adds a permission, or changes the type of the one
// on the same interval; permissions stay sorted by key.
func (s *Store) roleGrantPermission(name string, p Permission) error {
	if !validPermission(p.Key, p.RangeEnd) {
		return ErrInvalidAuthMgmt
	}
	r, ok := s.roles[name]
	if !ok {
		return ErrRoleNotFound
	}
	i := slices.IndexFunc(r.Perms, func(q Permission) bool {
		return bytes.Equal(q.Key, p.Key) && bytes.Equal(q.RangeEnd, p.RangeEnd)
	})
	if i >= 0 {
		r.Perms[i].Type = p.Type
	} else {
		r.Perms = append(r.Perms, Permission{Type: p.Type, Key: bytes.Clone(p.Key), RangeEnd: bytes.Clone(p.RangeEnd)})
		slices.SortStableFunc(r.Perms, func(a, b Permission) int { return bytes.Compare(a.Key, b.Key) })
	}
	s.commit()
	return nil
}

func (s *Store) roleRevokePermission(name string, key, end []byte) error {
	r, ok := s.roles[name]
	if !ok {
		return ErrRoleNotFound
	}
	kept := slices.DeleteFunc(slices.Clone(r.Perms), func(q Permission) bool {
		return bytes.Equal(q.Key, key) && bytes.Equal(q.RangeEnd, end)
	})
	if len(kept) == len(r.Perms) {
		return ErrPermissionNotGranted
	}
	r.Perms = kept
	s.commit()
	return nil
}
