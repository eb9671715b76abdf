package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Optional is a body field that tells absent (Set false) from present, null
// included: a JSON merge patch (RFC 7396) clears what it sets to null.
// DecodeJSON holds the names inside it to T's.
type Optional[T any] struct {
	Set   bool
	Value T
}

// UnmarshalJSON is called for null too, so null is Set with a zero Value.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	return json.Unmarshal(b, &o.Value)
}

func (Optional[T]) decodesAs() reflect.Type { return reflect.TypeFor[T]() }

var (
	decodesAsType   = reflect.TypeFor[interface{ decodesAs() reflect.Type }]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// checkBody reads body, one JSON value that dst decoded from, again for
// what encoding/json lets through: every object key of a struct must be one
// of its JSON field names exactly (400), and no string or map key may hold
// a NUL (422), which PostgreSQL refuses in text and jsonb. The body is read
// as an any, so its objects' keys are the names it used, and the walk below
// follows dst's type alongside.
func checkBody(body []byte, dst any) *Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are only skipped: none can overflow
	var v any
	if err := dec.Decode(&v); err != nil {
		return JSONProblem(err)
	}
	var c bodyCheck
	c.value(v, reflect.TypeOf(dst))
	// Objects are walked in no particular order: the problems name the
	// fields in a stable one.
	slices.SortFunc(c.unknown, func(a, b unknownField) int { return strings.Compare(a.path, b.path) })
	slices.Sort(c.nul)
	switch {
	case len(c.unknown) > 0:
		return unknownProblem(c.unknown)
	case len(c.nul) > 0:
		return nulProblem(c.nul)
	}
	return nil
}

type bodyCheck struct {
	// path leads to the value being checked; it is spelled out only for a
	// problem, so that a large body costs no string per value.
	path    []segment
	unknown []unknownField
	nul     []string // paths
}

// unknownField is an object key that names no field of its struct type.
type unknownField struct {
	path  string
	meant string // the field it spells in another case, if any
}

// segment is an object key, or an array index when index >= 0.
type segment struct {
	key   string
	index int
}

// value checks v, decoded into t (nil: names unknown, as in an any or a
// type with its own UnmarshalJSON). encoding/json made v, so its nesting,
// and this recursion, are within that package's depth limit.
func (c *bodyCheck) value(v any, t reflect.Type) {
	switch v := v.(type) {
	case string:
		if strings.ContainsRune(v, 0) {
			c.nul = append(c.nul, c.pathString())
		}
	case []any:
		var elem reflect.Type
		if t = decodedType(t); t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i, e := range v {
			c.path = append(c.path, segment{index: i})
			c.value(e, elem)
			c.path = c.path[:len(c.path)-1]
		}
	case map[string]any:
		c.object(v, decodedType(t))
	}
}

func (c *bodyCheck) object(v map[string]any, t reflect.Type) {
	var (
		fields map[string]reflect.Type
		elem   reflect.Type
	)
	switch {
	case t == nil:
	case t.Kind() == reflect.Struct:
		fields = fieldsOf(t)
	case t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	for key, e := range v {
		if fields == nil && strings.ContainsRune(key, 0) {
			c.nul = append(c.nul, c.pathString())
		}
		c.path = append(c.path, segment{key: key, index: -1})
		switch ft, known := fields[key]; {
		case fields == nil:
			c.value(e, elem)
		case known:
			c.value(e, ft)
		default:
			c.unknown = append(c.unknown, unknownField{path: c.pathString(), meant: otherCase(fields, key)})
		}
		c.path = c.path[:len(c.path)-1]
	}
}

// otherCase returns the field name that key spells in another case, or "".
func otherCase(fields map[string]reflect.Type, key string) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return name
		}
	}
	return ""
}

// pathString spells the path as problems name fields: items[0].sku, or
// body for the body itself.
func (c *bodyCheck) pathString() string {
	var b strings.Builder
	for _, s := range c.path {
		switch {
		case s.index >= 0:
			fmt.Fprintf(&b, "[%d]", s.index)
		case b.Len() > 0:
			b.WriteString("." + s.key)
		default:
			b.WriteString(s.key)
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

// unknownProblem is the 400 that names the unknown fields.
func unknownProblem(unknown []unknownField) *Problem {
	p := NewProblem(http.StatusBadRequest, "")
	details := make([]string, len(unknown))
	for i, u := range unknown {
		details[i] = fmt.Sprintf("unknown field %q", u.path)
		if u.meant != "" {
			details[i] += fmt.Sprintf(" (names are case-sensitive: %q?)", u.meant)
		}
		p.Errors = append(p.Errors, FieldError{Field: u.path, Detail: "unknown field"})
	}
	p.Detail = strings.Join(details, "; ")
	return p
}

// nulProblem is the 422 that names the fields holding a NUL.
func nulProblem(paths []string) *Problem {
	const detail = "must not contain NUL characters"
	p := NewProblem(http.StatusUnprocessableEntity, "")
	details := make([]string, len(paths))
	for i, path := range paths {
		details[i] = path + " " + detail
		p.Errors = append(p.Errors, FieldError{Field: path, Detail: detail})
	}
	p.Detail = strings.Join(details, "; ")
	return p
}

// decodedType is the type whose names a JSON object or array decoded into t
// must have: t's, through pointers and Optional. It is nil for a type with
// its own UnmarshalJSON, whose names are its own business.
func decodedType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return nil
	case t.Implements(decodesAsType):
		return decodedType(reflect.Zero(t).Interface().(interface{ decodesAs() reflect.Type }).decodesAs())
	case reflect.PointerTo(t).Implements(unmarshalerType):
		return nil
	}
	return t
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf returns struct type t's JSON field names, as encoding/json reads
// them (the tag's name, else the Go name; not "-"; those of an embedded
// struct promoted, a field of the outer struct winning), and their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if fields, ok := fieldCache.Load(t); ok {
		return fields.(map[string]reflect.Type)
	}
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		embedded := f.Type
		if embedded.Kind() == reflect.Pointer {
			embedded = embedded.Elem()
		}
		switch {
		case tag == "-":
		case f.Anonymous && name == "" && embedded.Kind() == reflect.Struct:
			for name, ft := range fieldsOf(embedded) {
				if _, taken := fields[name]; !taken {
					fields[name] = ft
				}
			}
		case f.IsExported():
			if name == "" {
				name = f.Name
			}
			fields[name] = f.Type
		}
	}
	fieldCache.Store(t, fields)
	return fields
}
