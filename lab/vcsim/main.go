// Command vcsim runs VMware's govmomi vCenter simulator (simulator.VPX) for failback's lab,
// extended with what the stock simulator lacks: real privilege checks from permissions,
// per-host licence assignments, a movable clock, VMware Tools guest operations without Docker
// (guest_ops.go), retrievals in pages of maxObjects (paging.go) and a JSON admin API under /lab. With -esx it is a
// standalone ESXi host (simulator.ESX) instead, which takes its licence as ESXi does (LicenseManager.UpdateLicense).
//
// It prints one JSON line {"url": ..., "lab": ...} once it serves, then runs until stdin
// closes or it receives SIGTERM/SIGINT.
//
// Built in GOPATH mode against Debian's golang-github-vmware-govmomi-dev (govmomi 0.24.2):
//
//	GO111MODULE=off GOPATH=<cache>/gopath:/usr/share/gocode go build -o vcsim .
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)

	// The stock VPX model's counts are the defaults: a small inventory.
	vpx := simulator.VPX()
	esx := flag.Bool("esx", false, "be a standalone ESXi host (one host, its ha-datacenter) instead of vCenter")
	datacenters := flag.Int("datacenter", vpx.Datacenter, "number of datacenters (vCenter only)")
	clusters := flag.Int("cluster", vpx.Cluster, "clusters per datacenter (vCenter only)")
	clusterHosts := flag.Int("cluster-host", vpx.ClusterHost, "hosts per cluster (vCenter only)")
	hosts := flag.Int("host", vpx.Host, "standalone hosts per datacenter (vCenter only)")
	datastores := flag.Int("datastore", vpx.Datastore, "datastores (mounted on every host)")
	machines := flag.Int("vm", vpx.Machine, "virtual machines per resource pool")
	port := flag.Int("port", 0, "port to listen on at 127.0.0.1 (0 picks a free one)")
	certFile := flag.String("tls-cert", "", "PEM file with the server certificate (chain)")
	keyFile := flag.String("tls-key", "", "PEM file with the server private key")
	username := flag.String("username", "", "the only user allowed to log in (default: any non-empty user)")
	flag.Parse()
	// From the environment, not the command line: a process's arguments are readable by every local user.
	password := os.Getenv("VCSIM_PASSWORD")

	model := vpx
	if *esx {
		model = simulator.ESX()
	} else {
		model.Datacenter, model.Cluster, model.ClusterHost, model.Host = *datacenters, *clusters, *clusterHosts, *hosts
	}
	model.Datastore, model.Machine = *datastores, *machines

	if *certFile == "" || *keyFile == "" {
		fail("-tls-cert and -tls-key are required (the simulator's built-in certificate is too weak for OpenSSL 3)")
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fail("loading the TLS certificate: %v", err)
	}

	if err := model.Create(); err != nil {
		fail("creating the inventory: %v", err)
	}
	// Remove deletes the datastores' temporary directories.
	defer model.Remove()

	listen := &url.URL{Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(*port))}
	if *username != "" {
		listen.User = url.UserPassword(*username, password)
	}
	model.Service.Listen = listen
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}

	clock := installExtensions()

	server := model.Service.NewServer()
	defer server.Close()
	_, guests.port, _ = net.SplitHostPort(server.URL.Host)
	// The server is listening, but nobody knows its port before the line below is printed,
	// so swapping the handler here cannot race with a request.
	server.Config.Handler = withGuestFiles(newFrontHandler(server.Config.Handler, clock))

	base := url.URL{Scheme: "https", Host: server.URL.Host}
	announce := struct {
		URL string `json:"url"`
		Lab string `json:"lab"`
	}{URL: base.String() + "/sdk", Lab: base.String() + labPrefix}
	line, _ := json.Marshal(announce)
	fmt.Println(string(line))

	waitForShutdown()
	stopGuestPrograms()
}

// installExtensions replaces the stock managers with the extended ones and gives every host
// its own DateTimeSystem. It returns the vCenter clock that /lab/clock moves.
func installExtensions() *clockOffset {
	content := serviceContent()
	installAuthorizationManager(*content.AuthorizationManager)
	installLicensing(*content.LicenseManager)
	installHostDateTimeSystems()
	installGuestOperations(*content.GuestOperationsManager)
	installPagingPropertyCollector(content.PropertyCollector)
	return new(clockOffset)
}

func serviceInstance() *simulator.ServiceInstance {
	return simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
}

// serviceContent returns a copy of vCenter's ServiceContent, read under the ServiceInstance's
// lock because /lab/about writes it.
func serviceContent() (content types.ServiceContent) {
	instance := serviceInstance()
	simulator.Map.WithLock(instance, func() { content = instance.Content })
	return content
}

// waitForShutdown blocks until stdin reaches EOF (the parent went away or closed it) or a
// termination signal arrives.
func waitForShutdown() {
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		done <- struct{}{}
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-signals:
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "vcsim: "+format+"\n", args...)
	os.Exit(2)
}
