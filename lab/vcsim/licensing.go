package main

import (
	"sort"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Label keys AddLicense reads; the stock simulator stores licences without edition or name.
const (
	editionKeyLabel = "editionKey"
	nameLabel       = "name"
)

// Product names for the editions the lab uses when the caller gives no name label.
var editionNames = map[string]string{
	"esxBasic":            "vSphere Hypervisor",
	"esx.hypervisor.free": "vSphere 8 Hypervisor",
	"esxEnterprisePlus":   "vSphere Enterprise Plus",
	"esxStandard":         "vSphere Standard",
	"vc.standard":         "vCenter Server Standard",
}

// licenseManager gives licences added over SOAP the edition and name of their labels.
type licenseManager struct {
	simulator.LicenseManager
}

// licenseAssignmentManager stores per-entity assignments; the stock one answers the
// evaluation licence for everything and lacks UpdateAssignedLicense.
type licenseAssignmentManager struct {
	simulator.LicenseAssignmentManager
	licenses *licenseManager
	assigned map[string]types.LicenseManagerLicenseInfo // by host moref value or vCenter instance uuid
}

func installLicensing(ref types.ManagedObjectReference) {
	stock := simulator.Map.Get(ref).(*simulator.LicenseManager)
	licenses := &licenseManager{LicenseManager: *stock}
	simulator.Map.Put(licenses)

	if stock.LicenseAssignmentManager == nil {
		return // a standalone ESXi host: it has its own licence, assigned by nobody
	}
	assignmentRef := *stock.LicenseAssignmentManager
	assignments := &licenseAssignmentManager{
		LicenseAssignmentManager: *simulator.Map.Get(assignmentRef).(*simulator.LicenseAssignmentManager),
		licenses:                 licenses,
		assigned:                 make(map[string]types.LicenseManagerLicenseInfo),
	}
	simulator.Map.Put(assignments)
}

func newLicenseInfo(key string, labels []types.KeyValue) types.LicenseManagerLicenseInfo {
	info := types.LicenseManagerLicenseInfo{LicenseKey: key, Labels: labels, CostUnit: "cpuPackage"}
	for _, label := range labels {
		switch label.Key {
		case editionKeyLabel:
			info.EditionKey = label.Value
		case nameLabel:
			info.Name = label.Value
		}
	}
	if info.Name == "" {
		info.Name = editionNames[info.EditionKey]
	}
	return info
}

// find returns the licence with the given key. Callers hold the manager's lock.
func (m *licenseManager) find(key string) (types.LicenseManagerLicenseInfo, bool) {
	for _, license := range m.Licenses {
		if license.LicenseKey == key {
			return license, true
		}
	}
	return types.LicenseManagerLicenseInfo{}, false
}

func (m *licenseManager) AddLicense(req *types.AddLicense) soap.HasFault {
	info, known := m.find(req.LicenseKey)
	if !known {
		info = newLicenseInfo(req.LicenseKey, req.Labels)
		m.Licenses = append(m.Licenses, info)
	}
	return &methods.AddLicenseBody{Res: &types.AddLicenseResponse{Returnval: info}}
}

// UpdateLicense is how a standalone ESXi host takes a licence: it becomes the host's one licence
// (an added one keeps the edition and name of its labels).
func (m *licenseManager) UpdateLicense(req *types.UpdateLicense) soap.HasFault {
	info, known := m.find(req.LicenseKey)
	if !known {
		info = newLicenseInfo(req.LicenseKey, req.Labels)
	}
	m.Licenses = []types.LicenseManagerLicenseInfo{info}
	return &methods.UpdateLicenseBody{Res: &types.UpdateLicenseResponse{Returnval: info}}
}

// licensableEntity returns the display name of a licensable entity id (a host moref value or
// the vCenter instance uuid) and whether it exists.
func licensableEntity(id string) (name string, ok bool) {
	if about := serviceContent().About; id == about.InstanceUuid {
		return about.Name, true
	}
	host, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "HostSystem", Value: id}).(*simulator.HostSystem)
	if !ok {
		return "", false
	}
	simulator.Map.WithLock(host, func() { name = host.Name })
	return name, true
}

func (m *licenseAssignmentManager) UpdateAssignedLicense(req *types.UpdateAssignedLicense) soap.HasFault {
	body := &methods.UpdateAssignedLicenseBody{}
	if _, ok := licensableEntity(req.Entity); !ok {
		body.Fault_ = simulator.Fault("", &types.LicenseEntityNotFound{EntityId: req.Entity})
		return body
	}
	var info types.LicenseManagerLicenseInfo
	var known bool
	simulator.Map.WithLock(m.licenses, func() { info, known = m.licenses.find(req.LicenseKey) })
	if !known {
		body.Fault_ = simulator.Fault("licence key not added to the LicenseManager", &types.InvalidArgument{InvalidProperty: "licenseKey"})
		return body
	}
	m.assigned[req.Entity] = info
	body.Res = &types.UpdateAssignedLicenseResponse{Returnval: info}
	return body
}

// QueryAssignedLicenses answers for one entity, or for vCenter and every host when entityId is empty.
func (m *licenseAssignmentManager) QueryAssignedLicenses(req *types.QueryAssignedLicenses) soap.HasFault {
	ids := []string{req.EntityId}
	if req.EntityId == "" {
		ids = []string{serviceContent().About.InstanceUuid}
		var hosts []string
		for _, host := range simulator.Map.All("HostSystem") {
			hosts = append(hosts, host.Reference().Value)
		}
		sort.Strings(hosts) // the registry is a map: give callers a stable order
		ids = append(ids, hosts...)
	}
	var result []types.LicenseAssignmentManagerLicenseAssignment
	for _, id := range ids {
		name, ok := licensableEntity(id)
		if !ok {
			continue
		}
		info, assigned := m.assigned[id]
		if !assigned {
			info = simulator.EvalLicense
		}
		result = append(result, types.LicenseAssignmentManagerLicenseAssignment{
			EntityId:          id,
			EntityDisplayName: name,
			AssignedLicense:   info,
		})
	}
	return &methods.QueryAssignedLicensesBody{Res: &types.QueryAssignedLicensesResponse{Returnval: result}}
}
