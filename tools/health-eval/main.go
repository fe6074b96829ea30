// Command health-eval reads Kubernetes objects (JSON documents one after another on stdin, e.g. one per
// line) and prints, for each, one JSON line with two verdicts on the object's health:
//
//   - "kstatus": what sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute says (Flux, kpt and `kstatus`
//     read health this way);
//   - "argocd": what Argo CD says when a health customization (the -script file, e.g.
//     deploy/argocd/health.lua) is configured for the object's kind, in the Lua environment Argo CD gives
//     such a script (see argocd.go).
//
// Usage:
//
//	health-eval -script deploy/argocd/health.lua < objects.jsonl
//	health-eval -versions
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// ArgoCDBehaviour names the Argo CD release whose health-script handling argocd.go reproduces.
const ArgoCDBehaviour = "v3.5.1"

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

type result struct {
	KStatus verdict `json:"kstatus"`
	ArgoCD  verdict `json:"argocd"`
}

func kstatusVerdict(obj *unstructured.Unstructured) verdict {
	res, err := status.Compute(obj)
	if err != nil {
		return verdict{Status: "Error", Error: err.Error()}
	}
	return verdict{Status: string(res.Status), Message: res.Message}
}

func versions() map[string]string {
	found := map[string]string{"argocd-behaviour": ArgoCDBehaviour}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return found
	}
	found["go"] = info.GoVersion
	for _, dep := range info.Deps {
		switch dep.Path {
		case "sigs.k8s.io/cli-utils", "github.com/yuin/gopher-lua", "k8s.io/apimachinery":
			found[dep.Path] = dep.Version
		}
	}
	return found
}

func run(scriptPath string, openLibs bool, in io.Reader, out io.Writer) error {
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		return fmt.Errorf("reading the health script: %w", err)
	}
	decoder := json.NewDecoder(bufio.NewReader(in))
	encoder := json.NewEncoder(out)
	encoder.SetEscapeHTML(false)
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := decoder.Decode(&raw); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("object %d: not JSON: %w", n, err)
		}
		obj := &unstructured.Unstructured{}
		// The apiserver's own JSON decoding: integers become int64, as in Argo CD's live cache.
		if err := obj.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("object %d: not a Kubernetes object: %w", n, err)
		}
		if err := encoder.Encode(result{
			KStatus: kstatusVerdict(obj),
			ArgoCD:  argoCDHealth(obj, string(script), openLibs),
		}); err != nil {
			return err
		}
	}
}

func main() {
	scriptPath := flag.String("script", "", "the Argo CD health script (Lua) to run for every object")
	openLibs := flag.Bool("use-open-libs", false,
		"open all Lua libraries, as Argo CD does with resource.customizations.useOpenLibs.<group_kind>: true")
	showVersions := flag.Bool("versions", false, "print the versions this binary was built with, as JSON")
	flag.Parse()
	if *showVersions {
		_ = json.NewEncoder(os.Stdout).Encode(versions())
		return
	}
	if *scriptPath == "" {
		fmt.Fprintln(os.Stderr, "health-eval: -script is required (e.g. -script deploy/argocd/health.lua)")
		os.Exit(2)
	}
	if err := run(*scriptPath, *openLibs, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "health-eval:", err)
		os.Exit(1)
	}
}
