package wire

// Enums are written by name and read by name or number. The name tables are
// indexed by value and are read-only. Each enum type also hands its table to
// the tagged codec (tagged.go) through enumNames, so a message built from
// struct tags can hold an enum field like any other.

// SortOrder orders a range's results (RangeRequest.sort_order).
type SortOrder int32

const (
	SortNone SortOrder = iota // default: by key, ascending, as stored
	SortAscend
	SortDescend
)

var sortOrderNames = []string{"NONE", "ASCEND", "DESCEND"}

func (x SortOrder) String() string    { return enumName(int32(x), sortOrderNames) }
func (SortOrder) enumNames() []string { return sortOrderNames }

// SortTarget is what a range is sorted by (RangeRequest.sort_target).
type SortTarget int32

const (
	SortByKey SortTarget = iota
	SortByVersion
	SortByCreateRevision
	SortByModRevision
	SortByValue
)

var sortTargetNames = []string{"KEY", "VERSION", "CREATE", "MOD", "VALUE"}

func (x SortTarget) String() string    { return enumName(int32(x), sortTargetNames) }
func (SortTarget) enumNames() []string { return sortTargetNames }

// CompareResult is the relation a txn comparison tests.
type CompareResult int32

const (
	CompareEqual CompareResult = iota
	CompareGreater
	CompareLess
	CompareNotEqual
)

var compareResultNames = []string{"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}

func (x CompareResult) String() string    { return enumName(int32(x), compareResultNames) }
func (CompareResult) enumNames() []string { return compareResultNames }

// CompareTarget is the property of a key a txn comparison looks at.
type CompareTarget int32

const (
	CompareVersion CompareTarget = iota
	CompareCreate
	CompareMod
	CompareValue
	CompareLease
)

var compareTargetNames = []string{"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}

func (x CompareTarget) String() string    { return enumName(int32(x), compareTargetNames) }
func (CompareTarget) enumNames() []string { return compareTargetNames }

// FilterType drops a kind of event from a watch.
type FilterType int32

const (
	FilterNoPut FilterType = iota
	FilterNoDelete
)

var filterTypeNames = []string{"NOPUT", "NODELETE"}

func (x FilterType) String() string    { return enumName(int32(x), filterTypeNames) }
func (FilterType) enumNames() []string { return filterTypeNames }

// EventType is the kind of change a watch event reports.
type EventType int32

const (
	EventPut EventType = iota
	EventDelete
)

var eventTypeNames = []string{"PUT", "DELETE"}

func (x EventType) String() string    { return enumName(int32(x), eventTypeNames) }
func (EventType) enumNames() []string { return eventTypeNames }

// AlarmAction is what an alarm request does.
type AlarmAction int32

const (
	AlarmGet AlarmAction = iota
	AlarmActivate
	AlarmDeactivate
)

var alarmActionNames = []string{"GET", "ACTIVATE", "DEACTIVATE"}

func (x AlarmAction) String() string    { return enumName(int32(x), alarmActionNames) }
func (AlarmAction) enumNames() []string { return alarmActionNames }

// AlarmType is the kind of alarm a member raised.
type AlarmType int32

const (
	AlarmNone AlarmType = iota
	AlarmNoSpace
	AlarmCorrupt
)

var alarmTypeNames = []string{"NONE", "NOSPACE", "CORRUPT"}

func (x AlarmType) String() string    { return enumName(int32(x), alarmTypeNames) }
func (AlarmType) enumNames() []string { return alarmTypeNames }

// PermissionType is what a role's permission allows on its keys
// (authpb.Permission.Type).
type PermissionType int32

const (
	PermRead PermissionType = iota
	PermWrite
	PermReadWrite
)

var permissionTypeNames = []string{"READ", "WRITE", "READWRITE"}

func (x PermissionType) String() string    { return enumName(int32(x), permissionTypeNames) }
func (PermissionType) enumNames() []string { return permissionTypeNames }

func enumName(v int32, names []string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return string(appendInt(nil, int64(v)))
}

func appendEnumList[T ~int32](b []byte, name string, list []T, names []string) []byte {
	if len(list) == 0 {
		return b
	}
	b = appendField(b, name)
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendEnumValue(b, int32(v), names)
	}
	return append(b, ']')
}
