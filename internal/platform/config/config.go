// Package config reads each role's settings from the environment (12-factor).
// A role's settings are one struct (API, OrdersWorker, ...) made of the
// groups in groups.go; every field names its variable and its default in
// tags, and the defaults run against the local stack that `orderflow dev`
// starts, so a fresh clone needs no configuration at all. Stack holds every
// group once: what `orderflow dev` and the integration tests hand to the
// roles they start.
package config

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/caarlos0/env/v11"
)

// Lookup is where settings come from: os.LookupEnv, or a map in tests.
type Lookup func(name string) (string, bool)

// Load reads the settings T from lookup: a variable that is unset or empty
// takes its default. Then every group of T that has a Validate method checks
// its values, and in production no setting tagged public may hold its
// default (see RefusePublicDefaults).
func Load[T any](lookup Lookup) (T, error) {
	var c T
	values := environment(lookup, Names(c))
	if err := env.ParseWithOptions(&c, env.Options{Environment: values}); err != nil {
		return c, parseError(err, c, values)
	}
	if err := validate(reflect.ValueOf(c)); err != nil {
		return c, err
	}
	return c, RefusePublicDefaults(c)
}

// From converts settings to the settings T that share their groups: the
// Stack that dev and the tests build becomes each role's own struct, just
// as the role's process would read it from the environment.
func From[T any](settings any) (T, error) {
	return Load[T](LookupOf(settings))
}

// LookupOf looks names up in settings, as if Environ(settings) were the
// environment.
func LookupOf(settings any) Lookup {
	values := map[string]string{}
	for _, kv := range Environ(settings) {
		k, v, _ := strings.Cut(kv, "=")
		values[k] = v
	}
	return func(name string) (string, bool) { v, ok := values[name]; return v, ok }
}

// Defaults are the settings T with every default: the local stack's.
func Defaults[T any]() T {
	c, err := Load[T](func(string) (string, bool) { return "", false })
	if err != nil {
		panic(err) // the defaults are valid: config_test checks them
	}
	return c
}

// parseError names the variable, and the value, of each setting that did
// not parse (env names the Go field).
func parseError(err error, settings any, values map[string]string) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	vars := map[string]string{} // field name: variable
	walk(reflect.ValueOf(settings), func(name string, f reflect.StructField, _ reflect.Value) { vars[f.Name] = name })
	errs := make([]error, len(agg.Errors))
	for i, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) && vars[pe.Name] != "" {
			name := vars[pe.Name]
			if want := describeType(pe.Type); want != "" {
				e = fmt.Errorf("%s=%q: want %s", name, values[name], want)
			} else { // one of ours: its error says what it wants
				e = fmt.Errorf("%s=%q: %v", name, values[name], pe.Err)
			}
		}
		errs[i] = e
	}
	return errors.Join(errs...)
}

// describeType says in words what a setting of a built-in type t takes;
// "" for the types of this package.
func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 30s"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return ""
}

// environment collects the named variables that lookup knows.
func environment(lookup Lookup, names []string) map[string]string {
	out := map[string]string{}
	for _, name := range names {
		if v, ok := lookup(name); ok {
			out[name] = v
		}
	}
	return out
}

// Names lists the variables that settings (a settings struct) reads.
func Names(settings any) []string {
	var names []string
	walk(reflect.ValueOf(settings), func(name string, _ reflect.StructField, _ reflect.Value) { names = append(names, name) })
	slices.Sort(names)
	return slices.Compact(names)
}

// Environ is settings as environment variables, the inverse of Load: how dev
// and the integration tests hand their settings to the processes they start.
func Environ(settings any) []string {
	var out []string
	walk(reflect.ValueOf(settings), func(name string, _ reflect.StructField, v reflect.Value) {
		out = append(out, name+"="+format(v))
	})
	return out
}

// walk calls fn for every field of a settings struct that names a variable,
// through its groups.
func walk(v reflect.Value, fn func(name string, f reflect.StructField, v reflect.Value)) {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
			fn(name, f, v.Field(i))
		} else if f.Type.Kind() == reflect.Struct {
			walk(v.Field(i), fn)
		}
	}
}

// format writes one value as Load reads it back.
func format(v reflect.Value) string {
	if m, ok := v.Interface().(encoding.TextMarshaler); ok {
		b, _ := m.MarshalText() // the types here never fail
		return string(b)
	}
	return fmt.Sprint(v.Interface())
}

// validator is a group that checks its own values.
type validator interface{ Validate() error }

// validate runs the Validate method of every group in the settings v. A
// group holds values; a struct that embeds groups (a role) is walked
// through, never asked itself: it would answer with a promoted method.
func validate(v reflect.Value) error {
	var errs []error
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if f.Kind() != reflect.Struct || !sf.IsExported() || sf.Tag.Get("env") != "" {
			continue
		}
		if c, ok := f.Interface().(validator); ok && !hasGroups(f.Type()) {
			errs = append(errs, c.Validate())
		} else {
			errs = append(errs, validate(f))
		}
	}
	return errors.Join(errs...)
}

func hasGroups(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).Anonymous {
			return true
		}
	}
	return false
}

// RefusePublicDefaults fails, in production, when a setting tagged
// `public:"default"` is empty or holds its default anywhere in it: those
// defaults (the development signing key, the demo admin) are committed here,
// so they are public, and the development key would sign admin tokens just
// as well under another kid, or as a verify-only key kept from a rotation.
// A default of the form "kid:secret" is matched on its secret, and a
// base64 secret on the bytes it decodes to as well: the decoders accept
// other spellings of the same key (a newline in it, other trailing bits).
func RefusePublicDefaults(settings any) error {
	if !production(settings) {
		return nil
	}
	var errs []error
	walk(reflect.ValueOf(settings), func(name string, f reflect.StructField, v reflect.Value) {
		if f.Tag.Get("public") != "default" {
			return
		}
		def := f.Tag.Get("envDefault")
		secret := strings.ToLower(def[strings.LastIndex(def, ":")+1:])
		if val := strings.ToLower(strings.TrimSpace(v.String())); val == "" || strings.Contains(val, secret) || holdsKey(v.String(), def) {
			errs = append(errs, fmt.Errorf("%s must be set in production, without the development value: that one is public", name))
		}
	})
	return errors.Join(errs...)
}

// holdsKey reports whether an entry of the "kid:key[,kid:key]" list value
// decodes to the same bytes as the base64 key of def ("kid:key").
func holdsKey(value, def string) bool {
	want, err := base64.StdEncoding.DecodeString(def[strings.LastIndex(def, ":")+1:])
	if err != nil || len(want) == 0 {
		return false
	}
	for _, entry := range strings.Split(value, ",") {
		key := entry[strings.LastIndex(entry, ":")+1:]
		key = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, key)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if got, err := enc.DecodeString(key); err == nil && bytes.Equal(got, want) {
				return true
			}
		}
	}
	return false
}

// production reports whether settings hold an Environment of production.
func production(settings any) bool {
	prod := false
	walk(reflect.ValueOf(settings), func(name string, _ reflect.StructField, v reflect.Value) {
		prod = prod || (name == environmentVar && v.String() == Production)
	})
	return prod
}
