package auth

import (
	"bytes"
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// The permission checker (merged intervals, binary searches) must agree
// with a model so plain it is obviously right: a request is allowed if
// every key it names is allowed, and a key is allowed if one of the user's
// permissions names it.
//
// Keys are drawn from a small alphabet that includes "\x00", the smallest
// byte, and the interval bounds are one byte shorter than the longest key:
// then every gap between intervals starts at a key of the universe (a
// bound, or a bound followed by "\x00", the key right after it), so
// testing the universe's keys one by one finds every gap the real key
// space has.
func TestPermissionCheckMatchesAPerKeyModel(t *testing.T) {
	alphabet := []byte{0, 'a', 'b'}
	var universe [][]byte
	var grow func(prefix []byte)
	grow = func(prefix []byte) {
		if len(prefix) > 0 {
			universe = append(universe, bytes.Clone(prefix))
		}
		if len(prefix) == 3 {
			return
		}
		for _, c := range alphabet {
			grow(append(prefix, c))
		}
	}
	grow(nil)
	bound := rapid.Custom(func(t *rapid.T) []byte {
		n := rapid.IntRange(1, 2).Draw(t, "len")
		b := make([]byte, n)
		for i := range b {
			b[i] = rapid.SampledFrom(alphabet).Draw(t, "byte")
		}
		return b
	})
	// An end: "" (one key), "\x00" (from the key on), or a bound.
	end := rapid.OneOf(rapid.Just([]byte(nil)), rapid.Just([]byte{0}), bound)

	rapid.Check(t, func(t *rapid.T) {
		s := New()
		root := Caller{User: RootUser}
		mustApply := func(r *Request) {
			if _, err := s.Apply(r); err != nil {
				t.Fatalf("%+v: %v", r, err)
			}
		}
		mustApply(&Request{Op: OpUserAdd, User: RootUser, NoPassword: true})
		mustApply(&Request{Op: OpUserGrantRole, User: RootUser, Role: RootRole})
		mustApply(&Request{Op: OpUserAdd, User: "u", NoPassword: true})
		roles := []string{"r1", "r2"}
		for _, r := range roles {
			mustApply(&Request{Op: OpRoleAdd, Role: r})
		}
		mustApply(&Request{Op: OpEnable})
		root.Revision = s.Revision()

		// The model: each role's permissions, and the roles u holds.
		model := map[string][]Permission{}
		held := map[string]bool{}
		names := func(p Permission, k []byte) bool {
			switch {
			case len(p.RangeEnd) == 0:
				return bytes.Equal(k, p.Key)
			case isOpenEnded(p.RangeEnd):
				return bytes.Compare(k, p.Key) >= 0
			}
			return bytes.Compare(k, p.Key) >= 0 && bytes.Compare(k, p.RangeEnd) < 0
		}
		allowed := func(k []byte, need PermType) bool {
			for r := range held {
				for _, p := range model[r] {
					if p.Type.allows(need) && names(p, k) {
						return true
					}
				}
			}
			return false
		}

		for step := range rapid.IntRange(1, 40).Draw(t, "steps") {
			role := rapid.SampledFrom(roles).Draw(t, "role")
			switch rapid.IntRange(0, 4).Draw(t, "action") {
			case 0, 1: // grant a permission
				p := Permission{Type: PermType(rapid.IntRange(0, 2).Draw(t, "type")), Key: bound.Draw(t, "key"), RangeEnd: end.Draw(t, "end")}
				root.Revision = s.Revision()
				_, err := s.Apply(&Request{Caller: root, Op: OpRoleGrantPermission, Role: role, Perm: p})
				if !validPermission(p.Key, p.RangeEnd) {
					if err != ErrInvalidAuthMgmt {
						t.Fatalf("an empty interval %+v was granted: %v", p, err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				replaced := false
				for i, q := range model[role] {
					if bytes.Equal(q.Key, p.Key) && bytes.Equal(q.RangeEnd, p.RangeEnd) {
						model[role][i].Type, replaced = p.Type, true
					}
				}
				if !replaced {
					model[role] = append(model[role], p)
				}
			case 2: // revoke one
				if len(model[role]) == 0 {
					continue
				}
				i := rapid.IntRange(0, len(model[role])-1).Draw(t, "which")
				p := model[role][i]
				mustApply(&Request{Caller: Caller{User: RootUser, Revision: s.Revision()}, Op: OpRoleRevokePermission, Role: role, Perm: Permission{Key: p.Key, RangeEnd: p.RangeEnd}})
				model[role] = append(model[role][:i:i], model[role][i+1:]...)
			case 3: // grant or revoke the role to u
				if held[role] {
					mustApply(&Request{Caller: Caller{User: RootUser, Revision: s.Revision()}, Op: OpUserRevokeRole, User: "u", Role: role})
					delete(held, role)
				} else {
					mustApply(&Request{Caller: Caller{User: RootUser, Revision: s.Revision()}, Op: OpUserGrantRole, User: "u", Role: role})
					held[role] = true
				}
			case 4: // a request
				key, rend := bound.Draw(t, "reqKey"), end.Draw(t, "reqEnd")
				need := PermType(rapid.IntRange(0, 1).Draw(t, "need"))
				want := true
				switch {
				case len(rend) == 0 || (!isOpenEnded(rend) && bytes.Compare(key, rend) >= 0):
					want = allowed(key, need) // one key (an empty range is its first key)
				default:
					for _, k := range universe {
						if names(Permission{Key: key, RangeEnd: rend}, k) && !allowed(k, need) {
							want = false
						}
					}
				}
				got := s.CheckKeys(Caller{User: "u", Revision: s.Revision()}, key, rend, need)
				if (got == nil) != want {
					t.Fatalf("step %d: %s of [%q, %q) by u holding %v with %v: checker says %v, the model %v",
						step, need, key, rend, held, fmt.Sprint(model), got, want)
				}
			}
		}
	})
}
