package main

// The Lua environment Argo CD (ArgoCDBehaviour) gives a health customization from argocd-cm
// (resource.customizations.health.<group>_<kind>), rebuilt from what Argo CD's util/lua and the health
// package of its gitops-engine do. Written here from those facts, not copied:
//
//   - A resource with metadata.deletionTimestamp (and no argocd.argoproj.io/hook-finalizer) is
//     Progressing "Pending deletion" before any script runs.
//   - gopher-lua state with SkipOpenLibs unless useOpenLibs is set for the kind (custom scripts default to
//     false; Argo's built-in scripts always get all libraries).
//   - Whatever useOpenLibs says, four openers are then called with the library name as argument: package,
//     base, table and Argo CD's "safe os". That last opener registers its functions under the module name
//     "table"; the table module is already loaded at that point, so the call returns it unchanged and no
//     global `os` appears. `require("os")` works: a preloaded module with only time and date.
//     So without useOpenLibs there is no string, math, io, os (global), debug or coroutine.
//   - A 1 s context deadline on the state.
//   - Globals: `actionParams` (an empty table for health) and `obj`, the live object converted value by
//     value: bool, number (every JSON number, int64 included, becomes a Lua number), string, list (a
//     sequence table), map (a string-keyed table), null (nil).
//   - The script runs with DoString; a runtime error loses its stack trace. An error, or a return value that
//     is neither a table nor nil, makes the health Unknown with the error as message.
//   - The returned table is JSON-encoded and decoded into {status, message}: an empty table (encoded as a
//     JSON array) or a field of the wrong type gives an empty health; a status outside Healthy,
//     Progressing, Degraded, Suspended, Missing, Unknown gives Unknown "Lua returned an invalid health
//     status"; nil gives an empty health.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	hookFinalizer        = "argocd.argoproj.io/hook-finalizer"
	invalidHealthMessage = "Lua returned an invalid health status"
	scriptTimeout        = time.Second
)

var argoHealthStatuses = []string{"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

func argoCDHealth(obj *unstructured.Unstructured, script string, openLibs bool) verdict {
	if obj.GetDeletionTimestamp() != nil && !slices.Contains(obj.GetFinalizers(), hookFinalizer) {
		return verdict{Status: "Progressing", Message: "Pending deletion"}
	}
	health, err := runHealthScript(obj.Object, script, openLibs)
	if err != nil {
		return verdict{Status: "Unknown", Message: err.Error(), Error: err.Error()}
	}
	return health
}

func runHealthScript(object map[string]any, script string, openLibs bool) (verdict, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer state.Close()
	openers := []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOsLikeArgoCD},
	}
	for _, opener := range openers {
		if err := state.CallByParam(lua.P{Fn: state.NewFunction(opener.open), NRet: 0, Protect: true},
			lua.LString(opener.name)); err != nil {
			return verdict{}, fmt.Errorf("opening Lua library %q: %w", opener.name, err)
		}
	}
	state.PreloadModule(lua.OsLibName, loadSafeOs)

	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("actionParams", state.CreateTable(0, 0))
	state.SetGlobal("obj", toLua(state, object))

	if err := state.DoString(script); err != nil {
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
			apiErr.StackTrace = ""
			return verdict{}, apiErr
		}
		return verdict{}, err
	}
	returned := state.Get(-1)
	switch value := returned.(type) {
	case *lua.LTable:
		return healthFromTable(value)
	case *lua.LNilType:
		return verdict{}, nil
	default:
		return verdict{}, fmt.Errorf("expect table output from Lua script, not %s", returned.Type().String())
	}
}

// healthFromTable reads the returned table the way a JSON round trip into {status, message} does.
func healthFromTable(table *lua.LTable) (verdict, error) {
	if err := checkEncodable(table); err != nil {
		return verdict{}, err
	}
	if table.MaxN() > 0 || table.Len() > 0 {
		return verdict{}, nil // a sequence encodes as a JSON array: not an object, so an empty health
	}
	fields := map[string]lua.LValue{}
	table.ForEach(func(key, value lua.LValue) { fields[key.String()] = value })
	if len(fields) == 0 {
		return verdict{}, nil // {} encodes as []
	}
	var health verdict
	for name, target := range map[string]*string{"status": &health.Status, "message": &health.Message} {
		value, present := fields[name]
		if !present {
			continue
		}
		text, isString := value.(lua.LString)
		if !isString {
			return verdict{}, nil // a JSON type mismatch: Argo CD answers with an empty health
		}
		*target = string(text)
	}
	if !slices.Contains(argoHealthStatuses, health.Status) {
		return verdict{Status: "Unknown", Message: invalidHealthMessage}, nil
	}
	return health, nil
}

// checkEncodable refuses what a JSON encoding of a Lua table refuses: keys that are neither all positive
// integers (a list) nor all strings (an object), and values that have no JSON form.
func checkEncodable(value lua.LValue) error {
	switch converted := value.(type) {
	case *lua.LTable:
		var problem error
		strings, numbers := 0, 0
		converted.ForEach(func(key, item lua.LValue) {
			switch key.(type) {
			case lua.LString:
				strings++
			case lua.LNumber:
				numbers++
			default:
				problem = fmt.Errorf("cannot encode a table key of type %s as JSON", key.Type())
			}
			if err := checkEncodable(item); err != nil && problem == nil {
				problem = err
			}
		})
		if problem == nil && strings > 0 && numbers > 0 {
			problem = errors.New("cannot encode a table with both list and map keys as JSON")
		}
		return problem
	case *lua.LFunction, *lua.LUserData, *lua.LState, lua.LChannel:
		return fmt.Errorf("cannot encode a %s as JSON", value.Type())
	}
	return nil
}

func toLua(state *lua.LState, value any) lua.LValue {
	switch converted := value.(type) {
	case bool:
		return lua.LBool(converted)
	case string:
		return lua.LString(converted)
	case float64:
		return lua.LNumber(converted)
	case int64:
		return lua.LNumber(converted)
	case int:
		return lua.LNumber(converted)
	case []any:
		list := state.CreateTable(len(converted), 0)
		for _, item := range converted {
			list.Append(toLua(state, item))
		}
		return list
	case map[string]any:
		table := state.CreateTable(0, len(converted))
		for key, item := range converted {
			table.RawSetH(lua.LString(key), toLua(state, item))
		}
		return table
	}
	return lua.LNil
}

var safeOsFunctions = map[string]lua.LGFunction{"time": osTime, "date": osDate}

// openSafeOsLikeArgoCD registers the safe os functions the way Argo CD's opener does: under the module
// name "table", which is already loaded, so the existing table module comes back untouched.
func openSafeOsLikeArgoCD(state *lua.LState) int {
	state.Push(state.RegisterModule(lua.TabLibName, safeOsFunctions))
	return 1
}

// loadSafeOs is what `require("os")` returns: a table with time and date only.
func loadSafeOs(state *lua.LState) int {
	state.Push(state.SetFuncs(state.NewTable(), safeOsFunctions))
	return 1
}

func osTime(state *lua.LState) int {
	if state.GetTop() == 0 {
		state.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	fields := state.CheckTable(1)
	number := func(name string, fallback int) int {
		if value, ok := fields.RawGetString(name).(lua.LNumber); ok {
			return int(value)
		}
		return fallback
	}
	moment := time.Date(number("year", -1), time.Month(number("month", -1)), number("day", -1),
		number("hour", 12), number("min", 0), number("sec", 0), 0, time.Local)
	state.Push(lua.LNumber(moment.Unix()))
	return 1
}

// osDate supports what a health script could want: "*t" / "!*t" tables and the common % directives.
func osDate(state *lua.LState) int {
	moment := time.Now()
	format := "%c"
	if state.GetTop() >= 1 {
		format = state.CheckString(1)
	}
	if len(format) > 0 && format[0] == '!' {
		moment = moment.UTC()
		format = format[1:]
	}
	if state.GetTop() >= 2 {
		moment = time.Unix(state.CheckInt64(2), 0)
	}
	if len(format) >= 2 && format[:2] == "*t" {
		table := state.NewTable()
		for name, value := range map[string]int{
			"year": moment.Year(), "month": int(moment.Month()), "day": moment.Day(), "hour": moment.Hour(),
			"min": moment.Minute(), "sec": moment.Second(), "wday": int(moment.Weekday()) + 1, "yday": 0,
		} {
			table.RawSetString(name, lua.LNumber(value))
		}
		table.RawSetString("isdst", lua.LFalse)
		state.Push(table)
		return 1
	}
	layouts := map[byte]string{
		'a': "Mon", 'A': "Monday", 'b': "Jan", 'B': "January", 'c': "02 Jan 06 15:04 MST", 'd': "02",
		'F': "2006-01-02", 'H': "15", 'I': "03", 'm': "01", 'M': "04", 'p': "PM", 'S': "05",
		'X': "15:04:05", 'y': "06", 'Y': "2006", 'z': "-0700", 'Z': "MST",
	}
	var out []byte
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			out = append(out, format[i])
			continue
		}
		i++
		if layout, known := layouts[format[i]]; known {
			out = append(out, moment.Format(layout)...)
		} else if format[i] == '%' {
			out = append(out, '%')
		} else {
			out = append(out, '%', format[i])
		}
	}
	state.Push(lua.LString(string(out)))
	return 1
}
