package auth

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"slices"
)

// State is the auth state as a snapshot (and a backup) carries it.
type State struct {
	Enabled  bool    `json:"enabled,omitempty"`
	Revision uint64  `json:"revision"`
	Users    []*User `json:"users,omitempty"`
	Roles    []*Role `json:"roles,omitempty"`
}

// State returns a copy of the store's state, users and roles sorted by
// name (the same state always encodes to the same bytes).
func (s *Store) State() *State {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := &State{Enabled: s.enabled, Revision: s.revision}
	for _, name := range sortedKeys(s.users) {
		u := cloneUser(s.users[name])
		st.Users = append(st.Users, &u)
	}
	for _, name := range sortedKeys(s.roles) {
		r := cloneRole(s.roles[name])
		st.Roles = append(st.Roles, &r)
	}
	return st
}

// Restore replaces the store's state with st (a snapshot's). A nil st is
// the empty state of a new store (a snapshot from before authentication
// existed).
func (s *Store) Restore(st *State) error {
	if st == nil {
		st = &State{Revision: 1}
	}
	users, roles := map[string]*User{}, map[string]*Role{}
	for _, u := range st.Users {
		if u == nil || u.Name == "" || users[u.Name] != nil || !slices.IsSorted(u.Roles) {
			return fmt.Errorf("auth: snapshot: bad user %+v", u)
		}
		c := cloneUser(u)
		users[u.Name] = &c
	}
	for _, r := range st.Roles {
		if r == nil || r.Name == "" || roles[r.Name] != nil {
			return fmt.Errorf("auth: snapshot: bad role %+v", r)
		}
		c := cloneRole(r)
		roles[r.Name] = &c
	}
	if st.Enabled {
		if u := users[RootUser]; u == nil || !slices.Contains(u.Roles, RootRole) {
			return fmt.Errorf("auth: snapshot: authentication on without a root user holding the root role")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enabled, s.revision, s.users, s.roles = st.Enabled, max(st.Revision, 1), users, roles
	s.refresh()
	return nil
}

// Hash is a CRC-32 (Castagnoli) of the state, for comparing members.
func (s *Store) Hash() uint32 {
	b, _ := json.Marshal(s.State()) // plain structs: cannot fail
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
}
