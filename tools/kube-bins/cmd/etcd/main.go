// Command etcd is upstream etcd's server entry point, built inside this module so that its
// version is exactly the one k8s.io/kubernetes pins (etcd's own go.mod has local replaces, which
// makes `go install go.etcd.io/etcd/server/v3@...` impossible).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
