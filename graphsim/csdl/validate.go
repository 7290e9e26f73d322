package csdl

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ValidationError is a payload that Graph would reject with 400
// Request_BadRequest. Error() is Graph's message exactly.
type ValidationError struct {
	Message string
	// Path is the JSON path of the offending property, dotted, with [i] for
	// collection elements: "conditions.users.foo".
	Path string
}

func (e *ValidationError) Error() string { return e.Message }

// Graph's messages.
const (
	msgUnknownProperty = "Property '%s' does not exist as a declared property or extension property."
	msgInvalidValue    = "Invalid value specified for property '%s' of resource '%s'."
	msgUnresolvedType  = "A type named '%s' could not be resolved by the model. When a model is available, each type name must resolve to a valid type."
	msgNotAssignable   = "A resource with type '%s' was found, but it is not assignable to the expected type '%s'. The type specified in the resource must be equal to either the expected type or a derived type."
)

// ValidatePayload checks a POST/PATCH JSON object (as decoded by encoding/json
// into map[string]any) against typeName's declared properties. It returns a
// *ValidationError for the first problem, in sorted property order:
//
//   - a property that is neither a structural nor a navigation property of the
//     type (after "@odata.type" picks a derived type) gives Graph's
//     "Property 'x' does not exist as a declared property or extension property.";
//   - instance and property annotations (any name containing '@', such as
//     "@odata.type" or "members@odata.bind") are skipped;
//   - open types accept undeclared properties. The directoryObject family
//     (user, group, application, ... are all OpenType in the CSDL) is open
//     only for extension properties, whose names contain '_'
//     ("extension_<appId>_<name>", schema extensions "<prefix>_<name>"):
//     Graph rejects other undeclared names there;
//   - values must match the declared Edm type, enum members (comma-separated
//     lists for IsFlags enums), collection shape and nullability, else
//     "Invalid value specified for property 'x' of resource 'Type'.";
//   - complex values are checked recursively, against the type named by their
//     own "@odata.type" when it is given.
//
// Navigation property values are only checked for shape (object or array).
// ValidatePayload does not know which properties are read-only or required.
func ValidatePayload(typeName string, body map[string]any) error {
	t, ok := Lookup(typeName)
	if !ok || t.Kind == KindEnum {
		return fmt.Errorf("csdl: %q is not a known entity or complex type", typeName)
	}
	return validateObject(t, body, "")
}

func validateObject(declared *Type, obj map[string]any, path string) error {
	t := declared
	if v, ok := obj["@odata.type"]; ok {
		s, _ := v.(string)
		dt, ok := Lookup(s)
		if !ok || dt.Kind == KindEnum {
			return &ValidationError{Message: fmt.Sprintf(msgUnresolvedType, strings.TrimPrefix(s, "#")), Path: join(path, "@odata.type")}
		}
		if dt != declared && !dt.IsDerivedFrom(declared.qname) {
			return &ValidationError{Message: fmt.Sprintf(msgNotAssignable, dt.qname, declared.qname), Path: join(path, "@odata.type")}
		}
		t = dt
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.Contains(k, "@") {
			continue
		}
		v := obj[k]
		p := join(path, k)
		if prop, ok := t.Property(k); ok {
			if err := validateProperty(t, prop, v, p); err != nil {
				return err
			}
			continue
		}
		if nav, ok := t.Navigation(k); ok {
			if !navShapeOK(nav, v) {
				return invalid(t, k, p)
			}
			continue
		}
		if t.acceptsUndeclared(k) {
			continue
		}
		return &ValidationError{Message: fmt.Sprintf(msgUnknownProperty, k), Path: p}
	}
	return nil
}

// acceptsUndeclared reports whether an open type takes property name.
func (t *Type) acceptsUndeclared(name string) bool {
	if !t.Open {
		return false
	}
	if t.qname == Namespace+".directoryObject" || t.IsDerivedFrom("directoryObject") {
		return isExtensionName(name)
	}
	return true
}

// isExtensionName matches directory extension ("extension_<appId>_<name>")
// and schema extension ("<prefix>_<name>") property names.
func isExtensionName(name string) bool {
	i := strings.IndexByte(name, '_')
	return i > 0 && i < len(name)-1
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func invalid(owner *Type, prop, path string) *ValidationError {
	return &ValidationError{Message: fmt.Sprintf(msgInvalidValue, prop, resourceName(owner)), Path: path}
}

// resourceName is how Graph names a type in messages: "User",
// "ConditionalAccessPolicy".
func resourceName(t *Type) string {
	n := t.Name
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	if n == "" {
		return n
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

func navShapeOK(n *Navigation, v any) bool {
	if v == nil {
		return !n.Collection
	}
	if n.Collection {
		elems, ok := asSlice(v)
		if !ok {
			return false
		}
		for _, e := range elems {
			if _, ok := e.(map[string]any); !ok {
				return false
			}
		}
		return true
	}
	_, ok := v.(map[string]any)
	return ok
}

func validateProperty(owner *Type, p *Property, v any, path string) error {
	if v == nil {
		if p.Collection || !p.Nullable {
			return invalid(owner, p.Name, path)
		}
		return nil
	}
	et := p.ElemType()
	if !p.Collection {
		return validateValue(owner, p.Name, et, v, path)
	}
	elems, ok := asSlice(v)
	if !ok {
		return invalid(owner, p.Name, path)
	}
	for i, e := range elems {
		ep := path + "[" + strconv.Itoa(i) + "]"
		if e == nil {
			if !p.Nullable {
				return invalid(owner, p.Name, ep)
			}
			continue
		}
		if err := validateValue(owner, p.Name, et, e, ep); err != nil {
			return err
		}
	}
	return nil
}

// validateValue checks one non-null value of type typ (not a collection).
func validateValue(owner *Type, prop, typ string, v any, path string) error {
	if strings.HasPrefix(typ, "Edm.") {
		if !primitiveOK(typ, v) {
			return invalid(owner, prop, path)
		}
		return nil
	}
	t, ok := Lookup(typ)
	if !ok {
		return nil // not in the table: nothing to check against
	}
	switch t.Kind {
	case KindEnum:
		s, ok := v.(string)
		if !ok || !t.HasMember(s) {
			return invalid(owner, prop, path)
		}
		return nil
	default:
		m, ok := v.(map[string]any)
		if !ok {
			return invalid(owner, prop, path)
		}
		return validateObject(t, m, path)
	}
}

func asSlice(v any) ([]any, bool) {
	switch s := v.(type) {
	case []any:
		return s, true
	case []byte, string:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

var (
	guidRE     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	dateTimeRE = regexp.MustCompile(`^-?\d{4,}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$`)
	dateRE     = regexp.MustCompile(`^-?\d{4,}-\d{2}-\d{2}$`)
	timeRE     = regexp.MustCompile(`^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$`)
	durationRE = regexp.MustCompile(`^-?P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$`)
)

// primitiveOK checks the JSON kind (and, for strings with a fixed syntax, the
// syntax) of a non-null value of an Edm primitive type.
func primitiveOK(typ string, v any) bool {
	switch typ {
	case "Edm.String":
		_, ok := v.(string)
		return ok
	case "Edm.Boolean":
		_, ok := v.(bool)
		return ok
	case "Edm.Byte":
		return intOK(v, 0, math.MaxUint8, false)
	case "Edm.SByte":
		return intOK(v, math.MinInt8, math.MaxInt8, false)
	case "Edm.Int16":
		return intOK(v, math.MinInt16, math.MaxInt16, false)
	case "Edm.Int32":
		return intOK(v, math.MinInt32, math.MaxInt32, false)
	case "Edm.Int64":
		return intOK(v, math.MinInt64, math.MaxInt64, true)
	case "Edm.Double", "Edm.Single":
		if s, ok := v.(string); ok {
			return s == "NaN" || s == "INF" || s == "-INF"
		}
		_, ok := number(v)
		return ok
	case "Edm.Decimal":
		if s, ok := v.(string); ok { // IEEE754Compatible
			_, err := strconv.ParseFloat(s, 64)
			return err == nil
		}
		_, ok := number(v)
		return ok
	case "Edm.Guid":
		s, ok := v.(string)
		return ok && guidRE.MatchString(s)
	case "Edm.DateTimeOffset":
		s, ok := v.(string)
		return ok && dateTimeRE.MatchString(s)
	case "Edm.Date":
		s, ok := v.(string)
		return ok && dateRE.MatchString(s)
	case "Edm.TimeOfDay":
		s, ok := v.(string)
		return ok && timeRE.MatchString(s)
	case "Edm.Duration":
		s, ok := v.(string)
		return ok && s != "P" && s != "-P" && !strings.HasSuffix(s, "T") && durationRE.MatchString(s)
	case "Edm.Binary":
		s, ok := v.(string)
		return ok && base64OK(s)
	default: // Edm.Stream, Edm.Untyped, Edm.PrimitiveType, ...
		return true
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// intOK accepts an integral JSON number in [lo, hi]; strOK also accepts a
// decimal string (IEEE754Compatible Int64).
func intOK(v any, lo, hi float64, strOK bool) bool {
	switch n := v.(type) {
	case int64:
		return float64(n) >= lo && float64(n) <= hi
	case uint64:
		return float64(n) <= hi
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil && float64(i) >= lo && float64(i) <= hi
	case string:
		if !strOK {
			return false
		}
		i, err := strconv.ParseInt(n, 10, 64)
		return err == nil && float64(i) >= lo && float64(i) <= hi
	}
	f, ok := number(v)
	return ok && f == math.Trunc(f) && f >= lo && f <= hi
}

func base64OK(s string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if _, err := enc.DecodeString(s); err == nil {
			return true
		}
	}
	return false
}
