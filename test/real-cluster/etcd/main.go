// Command etcd is the etcd server of the real-cluster test tier, built from the published
// go.etcd.io/etcd/server/v3 module: the same entry point as etcd's own binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
