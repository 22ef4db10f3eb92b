package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The /lab admin API sets what cannot be set over SOAP. Every route takes a JSON POST,
// addresses objects by moref value ("vm-42", "host-21"), and answers 200 {"ok":true} or
// 4xx {"ok":false,"error":...}. Absent fields are left as they are. Changes are made under
// the simulator's per-object locks, so they are safe against concurrent SOAP reads; they are
// not pushed to WaitForUpdates filters.
const labPrefix = "/lab"

// labError carries the HTTP status to answer.
type labError struct {
	status  int
	message string
}

func (e *labError) Error() string { return e.message }

func badRequest(format string, args ...interface{}) error {
	return &labError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func newLabAPI(clock *clockOffset) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(labPrefix+"/about", labRoute(setAbout))
	mux.Handle(labPrefix+"/host", labRoute(setHost))
	mux.Handle(labPrefix+"/vm", labRoute(setVM))
	mux.Handle(labPrefix+"/datastore", labRoute(setDatastore))
	mux.Handle(labPrefix+"/disk", labRoute(setDisk))
	mux.Handle(labPrefix+"/guest", labRoute(setGuest))
	mux.Handle(labPrefix+"/clock", labRoute(func(req clockRequest) error {
		clock.set(time.Duration(req.OffsetSeconds * float64(time.Second)))
		return nil
	}))
	return mux
}

// labRoute decodes a strict JSON body into T, applies it and writes the answer.
func labRoute[T any](apply func(T) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeLabAnswer(w, &labError{http.StatusMethodNotAllowed, "use POST"})
			return
		}
		var req T
		decoder := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		decoder.DisallowUnknownFields() // a misspelt field must not pass silently
		if err := decoder.Decode(&req); err != nil {
			writeLabAnswer(w, badRequest("invalid JSON body: %v", err))
			return
		}
		writeLabAnswer(w, apply(req))
	})
}

func writeLabAnswer(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err == nil {
		_, _ = w.Write([]byte(`{"ok":true}` + "\n"))
		return
	}
	status := http.StatusInternalServerError
	var le *labError
	if errors.As(err, &le) {
		status = le.status
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]interface{}{"ok": false, "error": err.Error()})
}

// lookup finds the registry object of the given managed type by moref value.
func lookup[T mo.Reference](kind, value string) (T, error) {
	obj, ok := simulator.Map.Get(types.ManagedObjectReference{Type: kind, Value: value}).(T)
	if !ok {
		if value == "" {
			return obj, badRequest("moref is required")
		}
		return obj, &labError{http.StatusNotFound, fmt.Sprintf("no %s with moref %q", kind, value)}
	}
	return obj, nil
}

// setIfGiven assigns an optional request field: absent (nil) leaves the object's value alone.
func setIfGiven[T any](dst *T, value *T) {
	if value != nil {
		*dst = *value
	}
}

// clone returns a shallow copy of *p. The lab changes objects copy-on-write: the simulator
// collects property values under the object's lock but encodes them after releasing it, so
// whatever a pointer reaches must never change in place.
func clone[T any](p *T) *T {
	c := *p
	return &c
}

// cloneDatastoreInfo is clone for the concrete type behind a datastore's info.
func cloneDatastoreInfo(info types.BaseDatastoreInfo) types.BaseDatastoreInfo {
	original := reflect.ValueOf(info).Elem()
	copied := reflect.New(original.Type())
	copied.Elem().Set(original)
	return copied.Interface().(types.BaseDatastoreInfo)
}

// --- /lab/about: vCenter's ServiceContent.about

type aboutRequest struct {
	Version    *string `json:"version"`
	Build      *string `json:"build"`
	APIVersion *string `json:"api_version"`
}

func setAbout(req aboutRequest) error {
	instance := serviceInstance()
	simulator.Map.WithLock(instance, func() {
		about := &instance.Content.About
		setIfGiven(&about.Version, req.Version)
		setIfGiven(&about.Build, req.Build)
		setIfGiven(&about.ApiVersion, req.APIVersion)
		about.FullName = fmt.Sprintf("%s %s build-%s", about.Name, about.Version, about.Build)
	})
	return nil
}

// --- /lab/host: ESXi product version, memory, clock, connection state

type hostRequest struct {
	Moref             string   `json:"moref"`
	Version           *string  `json:"version"`
	Build             *string  `json:"build"`
	MemorySizeBytes   *int64   `json:"memory_size_bytes"`
	MemoryUsageMB     *int32   `json:"memory_usage_mb"`
	TimeOffsetSeconds *float64 `json:"time_offset_seconds"`
	// What vCenter reports when it loses a host (disconnected, notResponding): no SOAP call of
	// a client makes a host stop answering vCenter.
	ConnectionState *string `json:"connection_state"`
}

var connectionStates = map[string]bool{
	string(types.HostSystemConnectionStateConnected):     true,
	string(types.HostSystemConnectionStateDisconnected):  true,
	string(types.HostSystemConnectionStateNotResponding): true,
}

func setHost(req hostRequest) error {
	host, err := lookup[*simulator.HostSystem]("HostSystem", req.Moref)
	if err != nil {
		return err
	}
	if req.ConnectionState != nil && !connectionStates[*req.ConnectionState] {
		return badRequest("connection_state must be connected, disconnected or notResponding, not %q", *req.ConnectionState)
	}
	var clockRef *types.ManagedObjectReference
	simulator.Map.WithLock(host, func() {
		if state := req.ConnectionState; state != nil {
			runtime := host.Runtime
			runtime.ConnectionState = types.HostSystemConnectionState(*state)
			summary := runtime // the summary's own copy: the stock host may share one with runtime
			host.Runtime, host.Summary.Runtime = runtime, &summary
		}
		if req.Version != nil || req.Build != nil {
			product := host.Config.Product
			setIfGiven(&product.Version, req.Version)
			setIfGiven(&product.Build, req.Build)
			product.FullName = fmt.Sprintf("%s %s build-%s", product.Name, product.Version, product.Build)
			config := clone(host.Config)
			config.Product = product
			host.Config = config
			host.Summary.Config.Product = &product // its own copy: the stock hosts share one AboutInfo
		}
		if size := req.MemorySizeBytes; size != nil {
			summary, hardware := clone(host.Summary.Hardware), clone(host.Hardware)
			summary.MemorySize, hardware.MemorySize = *size, *size
			host.Summary.Hardware, host.Hardware = summary, hardware
		}
		setIfGiven(&host.Summary.QuickStats.OverallMemoryUsage, req.MemoryUsageMB)
		clockRef = host.ConfigManager.DateTimeSystem
	})
	if req.TimeOffsetSeconds != nil {
		clock, ok := simulator.Map.Get(*clockRef).(*hostDateTimeSystem)
		if !ok {
			return &labError{http.StatusConflict, "this host has no DateTimeSystem of the lab (added after start?)"}
		}
		simulator.Map.WithLock(clock, func() {
			clock.offset = time.Duration(*req.TimeOffsetSeconds * float64(time.Second))
		})
	}
	return nil
}

// --- /lab/vm: guest information reported by VMware Tools

type guestIP struct {
	IP     string `json:"ip"`
	Prefix int32  `json:"prefix"`
	Origin string `json:"origin"` // manual | dhcp | linklayer | random | other
}

type guestNIC struct {
	MAC     string    `json:"mac"`
	Network string    `json:"network"`
	IPs     []guestIP `json:"ips"`
	DHCP    bool      `json:"dhcp"`
}

type vmRequest struct {
	Moref              string     `json:"moref"`
	ToolsRunningStatus *string    `json:"tools_running_status"`
	GuestFamily        *string    `json:"guest_family"`
	GuestID            *string    `json:"guest_id"`
	Net                []guestNIC `json:"net"`
	Gateway            *string    `json:"gateway"`
	DNS                []string   `json:"dns"`
	Hostname           *string    `json:"hostname"`
}

var toolsStatusFor = map[string]types.VirtualMachineToolsStatus{
	string(types.VirtualMachineToolsRunningStatusGuestToolsRunning):    types.VirtualMachineToolsStatusToolsOk,
	string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning): types.VirtualMachineToolsStatusToolsNotRunning,
}

func setVM(req vmRequest) error {
	vm, err := lookup[*simulator.VirtualMachine]("VirtualMachine", req.Moref)
	if err != nil {
		return err
	}
	if req.ToolsRunningStatus != nil {
		if _, ok := toolsStatusFor[*req.ToolsRunningStatus]; !ok {
			return badRequest("tools_running_status must be guestToolsRunning or guestToolsNotRunning")
		}
	}
	simulator.Map.WithLock(vm, func() {
		guest, summary := clone(vm.Guest), clone(vm.Summary.Guest)
		if status := req.ToolsRunningStatus; status != nil {
			guest.ToolsRunningStatus, summary.ToolsRunningStatus = *status, *status
			guest.ToolsStatus, summary.ToolsStatus = toolsStatusFor[*status], toolsStatusFor[*status]
			guest.GuestState = "notRunning"
			if *status == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
				guest.GuestState = "running"
			}
		}
		setIfGiven(&guest.GuestFamily, req.GuestFamily)
		if req.GuestID != nil {
			guest.GuestId, summary.GuestId = *req.GuestID, *req.GuestID
		}
		if req.Net != nil {
			guest.Net = guestNICs(guest.Net, req.Net)
			guest.IpAddress = ""
			if len(guest.Net) > 0 && len(guest.Net[0].IpAddress) > 0 {
				guest.IpAddress = guest.Net[0].IpAddress[0]
			}
			summary.IpAddress = guest.IpAddress
		}
		if req.Hostname != nil {
			guest.HostName, summary.HostName = *req.Hostname, *req.Hostname
		}
		if req.Gateway != nil || req.DNS != nil || req.Hostname != nil || req.Net != nil {
			guest.IpStack = ipStack(guest, req)
		}
		vm.Guest, vm.Summary.Guest = guest, summary
	})
	return nil
}

// guestNICs builds guest.net, keeping each NIC's deviceConfigId (its virtual device key) when
// the MAC, or else the position, matches a NIC the simulator already reports.
func guestNICs(current []types.GuestNicInfo, nics []guestNIC) []types.GuestNicInfo {
	var result []types.GuestNicInfo
	for i, nic := range nics {
		info := types.GuestNicInfo{Network: nic.Network, MacAddress: nic.MAC, Connected: true, DeviceConfigId: -1}
		for j, old := range current {
			if old.MacAddress == nic.MAC || (j == i && nic.MAC == "") {
				info.DeviceConfigId = old.DeviceConfigId
				if info.MacAddress == "" {
					info.MacAddress = old.MacAddress
				}
				if info.Network == "" {
					info.Network = old.Network
				}
				break
			}
		}
		info.IpConfig = &types.NetIpConfigInfo{
			Dhcp: &types.NetDhcpConfigInfo{Ipv4: &types.NetDhcpConfigInfoDhcpOptions{Enable: nic.DHCP}},
		}
		for _, ip := range nic.IPs {
			origin := ip.Origin
			if origin == "" {
				origin = string(types.NetIpConfigInfoIpAddressOriginManual)
				if nic.DHCP {
					origin = string(types.NetIpConfigInfoIpAddressOriginDhcp)
				}
			}
			info.IpAddress = append(info.IpAddress, ip.IP)
			info.IpConfig.IpAddress = append(info.IpConfig.IpAddress, types.NetIpConfigInfoIpAddress{
				IpAddress:    ip.IP,
				PrefixLength: ip.Prefix,
				Origin:       origin,
				State:        string(types.NetIpConfigInfoIpAddressStatusPreferred),
			})
		}
		result = append(result, info)
	}
	return result
}

// ipStack returns guest.ipStack with its first stack's DNS servers, host name and default route
// updated from the request.
func ipStack(guest *types.GuestInfo, req vmRequest) []types.GuestStackInfo {
	var stack types.GuestStackInfo
	var others []types.GuestStackInfo
	if len(guest.IpStack) > 0 {
		stack, others = guest.IpStack[0], guest.IpStack[1:]
	}
	dns := &types.NetDnsConfigInfo{}
	if stack.DnsConfig != nil {
		dns = clone(stack.DnsConfig)
	}
	if req.DNS != nil {
		dns.IpAddress = req.DNS
	}
	dns.HostName = guest.HostName
	// Tools reports DNS as DHCP-provided when the primary NIC uses DHCP.
	dns.Dhcp = len(guest.Net) > 0 && usesDHCP(guest.Net[0])
	stack.DnsConfig = dns
	if req.Gateway != nil && *req.Gateway == "" {
		stack.IpRouteConfig = &types.NetIpRouteConfigInfo{} // no default route
	} else if req.Gateway != nil {
		stack.IpRouteConfig = &types.NetIpRouteConfigInfo{IpRoute: []types.NetIpRouteConfigInfoIpRoute{{
			Network:      "0.0.0.0",
			PrefixLength: 0,
			Gateway:      types.NetIpRouteConfigInfoGateway{IpAddress: *req.Gateway, Device: "0"},
		}}}
	}
	return append([]types.GuestStackInfo{stack}, others...)
}

func usesDHCP(nic types.GuestNicInfo) bool {
	return nic.IpConfig != nil && nic.IpConfig.Dhcp != nil && nic.IpConfig.Dhcp.Ipv4 != nil && nic.IpConfig.Dhcp.Ipv4.Enable
}

// --- /lab/datastore: capacity, type, accessibility and per-host mounts

type hostMount struct {
	Host       string `json:"host"`
	AccessMode string `json:"access_mode"`
	Mounted    *bool  `json:"mounted"`
	Accessible *bool  `json:"accessible"`
}

type datastoreRequest struct {
	Moref         string      `json:"moref"`
	CapacityBytes *int64      `json:"capacity_bytes"`
	FreeBytes     *int64      `json:"free_bytes"`
	Accessible    *bool       `json:"accessible"`
	Type          *string     `json:"type"`
	HostMounts    []hostMount `json:"host_mounts"`
}

var accessModes = map[string]bool{
	string(types.HostMountModeReadWrite): true,
	string(types.HostMountModeReadOnly):  true,
}

func setDatastore(req datastoreRequest) error {
	ds, err := lookup[*simulator.Datastore]("Datastore", req.Moref)
	if err != nil {
		return err
	}
	var hosts []*simulator.HostSystem
	for i := range req.HostMounts {
		mount := &req.HostMounts[i]
		host, err := lookup[*simulator.HostSystem]("HostSystem", mount.Host)
		if err != nil {
			return err
		}
		if mount.AccessMode == "" {
			mount.AccessMode = string(types.HostMountModeReadWrite)
		}
		if !accessModes[mount.AccessMode] {
			return badRequest("access_mode must be readWrite or readOnly, not %q", mount.AccessMode)
		}
		hosts = append(hosts, host)
	}

	simulator.Map.WithLock(ds, func() {
		setIfGiven(&ds.Summary.Capacity, req.CapacityBytes)
		if req.FreeBytes != nil {
			ds.Summary.FreeSpace = *req.FreeBytes
			info := cloneDatastoreInfo(ds.Info)
			info.GetDatastoreInfo().FreeSpace = *req.FreeBytes
			ds.Info = info
		}
		setIfGiven(&ds.Summary.Accessible, req.Accessible)
		setIfGiven(&ds.Summary.Type, req.Type)
		if req.HostMounts != nil {
			ds.Host = datastoreMounts(ds, req.HostMounts)
		}
	})
	for _, host := range hosts {
		attachDatastore(host, ds.Self)
	}
	return nil
}

func datastoreMounts(ds *simulator.Datastore, mounts []hostMount) []types.DatastoreHostMount {
	yes := true
	result := make([]types.DatastoreHostMount, 0, len(mounts))
	for _, mount := range mounts {
		info := types.HostMountInfo{
			Path:       ds.Info.GetDatastoreInfo().Url,
			AccessMode: mount.AccessMode,
			Mounted:    &yes,
			Accessible: &yes,
		}
		if mount.Mounted != nil {
			info.Mounted = mount.Mounted
		}
		if mount.Accessible != nil {
			info.Accessible = mount.Accessible
		}
		result = append(result, types.DatastoreHostMount{
			Key:       types.ManagedObjectReference{Type: "HostSystem", Value: mount.Host},
			MountInfo: info,
		})
	}
	return result
}

// attachDatastore lists the datastore on a host that mounts it: on the host, its datastore
// system and its compute resource, as the simulator does when it creates one.
func attachDatastore(host *simulator.HostSystem, ds types.ManagedObjectReference) {
	var dssRef, parentRef *types.ManagedObjectReference
	simulator.Map.WithLock(host, func() {
		dssRef, parentRef = host.ConfigManager.DatastoreSystem, host.Parent
		if simulator.FindReference(host.Datastore, ds) == nil {
			host.Datastore = append(host.Datastore, ds)
		}
	})
	if dss, ok := simulator.Map.Get(*dssRef).(*simulator.HostDatastoreSystem); ok {
		simulator.Map.AddReference(dss, &dss.Datastore, ds)
	}
	switch parent := simulator.Map.Get(*parentRef).(type) {
	case *mo.ComputeResource:
		simulator.Map.AddReference(parent, &parent.Datastore, ds)
	case *simulator.ClusterComputeResource:
		simulator.Map.AddReference(parent, &parent.Datastore, ds)
	}
}

// --- /lab/clock: vCenter's CurrentTime offset

type clockRequest struct {
	OffsetSeconds float64 `json:"offset_seconds"`
}

// --- /lab/disk: how much of a virtual disk the guest has written
//
// A thin disk's extent holds only what was written to it; vCenter reports that as the size
// of the extent in the VM's layoutEx. The backing file becomes sparse of that size, so the
// simulator's own recount of the layout (after a reconfiguration) agrees.

type diskRequest struct {
	Moref        string `json:"moref"`
	Label        string `json:"label"`
	WrittenBytes int64  `json:"written_bytes"`
}

func setDisk(req diskRequest) error {
	vm, err := lookup[*simulator.VirtualMachine]("VirtualMachine", req.Moref)
	if err != nil {
		return err
	}
	if req.WrittenBytes < 0 {
		return badRequest("written_bytes must not be negative")
	}
	var result error
	simulator.Map.WithLock(vm, func() {
		disk := diskLabelled(vm, req.Label)
		if disk == nil {
			result = &labError{http.StatusNotFound, fmt.Sprintf("%s has no disk labelled %q", req.Moref, req.Label)}
			return
		}
		if disk.CapacityInBytes > 0 && req.WrittenBytes > disk.CapacityInBytes || disk.CapacityInBytes == 0 && req.WrittenBytes > disk.CapacityInKB*1024 {
			result = badRequest("written_bytes exceeds the disk's capacity")
			return
		}
		layout := clone(vm.LayoutEx)
		layout.File = append([]types.VirtualMachineFileLayoutExFileInfo(nil), layout.File...)
		for _, unit := range diskChain(layout, disk.Key) {
			for _, key := range unit.FileKey {
				for i := range layout.File {
					file := &layout.File[i]
					if file.Key != key || file.Type != string(types.VirtualMachineFileLayoutExFileTypeDiskExtent) {
						continue
					}
					if err := sparseFile(file.Name, req.WrittenBytes); err != nil {
						result = err
						return
					}
					file.Size, file.UniqueSize = req.WrittenBytes, req.WrittenBytes
				}
			}
		}
		vm.LayoutEx = layout
	})
	return result
}

func diskLabelled(vm *simulator.VirtualMachine, label string) *types.VirtualDisk {
	for _, device := range vm.Config.Hardware.Device {
		disk, ok := device.(*types.VirtualDisk)
		if ok && disk.DeviceInfo != nil && disk.DeviceInfo.GetDescription().Label == label {
			return disk
		}
	}
	return nil
}

func diskChain(layout *types.VirtualMachineFileLayoutEx, key int32) []types.VirtualMachineFileLayoutExDiskUnit {
	for _, disk := range layout.Disk {
		if disk.Key == key {
			return disk.Chain
		}
	}
	return nil
}

// sparseFile makes the file behind a datastore path ("[ds] dir/file") that many bytes long,
// allocating nothing.
func sparseFile(datastorePath string, size int64) error {
	var path object.DatastorePath
	if !path.FromString(datastorePath) {
		return badRequest("not a datastore path: %q", datastorePath)
	}
	for _, obj := range simulator.Map.All("Datastore") {
		ds := obj.(*simulator.Datastore)
		var name, url string
		simulator.Map.WithLock(ds, func() { name, url = ds.Name, ds.Info.GetDatastoreInfo().Url })
		if name != path.Datastore {
			continue
		}
		file, err := os.OpenFile(filepath.Join(url, path.Path), os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer file.Close()
		return file.Truncate(size)
	}
	return &labError{http.StatusNotFound, fmt.Sprintf("no datastore named %q", path.Datastore)}
}
