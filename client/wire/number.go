package wire

import "strconv"

// parseInt parses an integer the way protojson does: the text must be a JSON
// number whose value is an integer, so "2", "-7", "2.0" and "1e3" are all
// fine, while "2.5", "+2", " 2" and "0x10" are not. The plain-digits case,
// the only one a sane client sends, takes the fast path.
func parseInt(s []byte, bits int) (int64, bool) {
	if v, ok := fastInt(s, bits); ok {
		return v, true
	}
	t, ok := integralText(s)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(t, 10, bits)
	return v, err == nil
}

func parseUint(s []byte, bits int) (uint64, bool) {
	if len(s) > 0 && s[0] != '-' {
		if v, ok := fastInt(s, 64); ok && (bits == 64 || v <= 1<<bits-1) {
			return uint64(v), true
		}
	}
	t, ok := integralText(s)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(t, 10, bits)
	return v, err == nil
}

// fastInt handles -?[1-9][0-9]{0,17} and "0": no overflow is possible in 18
// digits, so there is nothing to check but the digits themselves.
func fastInt(s []byte, bits int) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var v int64
	for _, c := range s {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	if bits == 32 && int64(int32(v)) != v {
		return 0, false
	}
	return v, true
}

// integralText turns a JSON number with a fraction or an exponent into plain
// integer digits, or reports that it is not an integer (or not a number).
func integralText(s []byte) (string, bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return "", false
	}
	intPart := s[start:i]
	var frac []byte
	if i < len(s) && s[i] == '.' {
		i++
		f := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == f {
			return "", false
		}
		frac = s[f:i]
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		e := i
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == d {
			return "", false
		}
		n, err := strconv.ParseInt(string(s[e:i]), 10, 32)
		if err != nil {
			return "", false
		}
		exp = int(n)
	}
	if i != len(s) {
		return "", false
	}
	digits := append(append([]byte(nil), intPart...), frac...)
	exp -= len(frac)
	if exp >= 0 {
		if len(digits)+exp > 20 { // more digits than any uint64 has
			return "", false
		}
		for ; exp > 0; exp-- {
			digits = append(digits, '0')
		}
	} else {
		cut := -exp
		if cut > len(digits) {
			cut = len(digits)
		}
		for _, c := range digits[len(digits)-cut:] {
			if c != '0' {
				return "", false // a fraction remains: not an integer
			}
		}
		digits = digits[:len(digits)-cut]
	}
	if len(digits) == 0 {
		digits = []byte{'0'}
	}
	if neg {
		return "-" + string(digits), true
	}
	return string(digits), true
}
